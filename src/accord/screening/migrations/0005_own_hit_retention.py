# Retention of the traveller's details in this node's own hits and background jobs' results
# (accord.screening.retention: depersonalised after ACCORD_HIT_DEPERSONALISE_DAYS, deleted after
# ACCORD_HIT_RETENTION_DAYS, both counted from the screening).

import datetime

from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Hits and jobs made before this migration: the node's settings, from the hit's creation
    (the screening's time) and from the job's screening (its creation when it has none)."""
    Hit = apps.get_model("screening", "Hit")
    ScreeningJob = apps.get_model("screening", "ScreeningJob")
    depersonalise = datetime.timedelta(
        days=max(int(getattr(settings, "ACCORD_HIT_DEPERSONALISE_DAYS", 183)), 1)
    )
    retain = datetime.timedelta(
        days=max(int(getattr(settings, "ACCORD_HIT_RETENTION_DAYS", 1826)), 1)
    )
    for hit in Hit.objects.filter(depersonalise_after__isnull=True).only("pk", "created_at"):
        Hit.objects.filter(pk=hit.pk).update(depersonalise_after=hit.created_at + depersonalise)
    for hit in Hit.objects.filter(retain_until__isnull=True).only("pk", "created_at"):
        Hit.objects.filter(pk=hit.pk).update(retain_until=hit.created_at + retain)
    jobs = ScreeningJob.objects.filter(depersonalise_after__isnull=True).select_related("screening")
    for job in jobs:
        start = job.screening.created_at if job.screening_id else job.created_at
        ScreeningJob.objects.filter(pk=job.pk).update(depersonalise_after=start + depersonalise)


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0004_incoming_hit_retention"),
    ]

    operations = [
        migrations.AddField(
            model_name="hit",
            name="depersonalise_after",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="hit",
            name="depersonalised_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="hit",
            name="retain_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="screeningjob",
            name="depersonalise_after",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="screeningjob",
            name="depersonalised_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="hit",
            index=models.Index(
                fields=["depersonalised_at", "depersonalise_after"], name="hit_depersonalise"
            ),
        ),
        migrations.AddIndex(
            model_name="hit",
            index=models.Index(fields=["retain_until"], name="hit_retain_until"),
        ),
        migrations.AddIndex(
            model_name="screeningjob",
            index=models.Index(
                fields=["depersonalised_at", "depersonalise_after"], name="job_depersonalise"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
