# Retention of the traveller's details in partners' hit notices (accord.screening.retention).

import datetime

from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Hits received before this migration: the node setting, from the answer or receipt
    (the agreements they name are not looked up here; the rule for new notices is)."""
    IncomingHit = apps.get_model("screening", "IncomingHit")
    days = int(getattr(settings, "ACCORD_HIT_NOTICE_RETENTION_DAYS", 90))
    for hit in IncomingHit.objects.filter(retain_until__isnull=True):
        start = hit.answered_at or hit.received_at
        hit.retain_until = start + datetime.timedelta(days=days)
        hit.retention_basis = (
            f"ACCORD_HIT_NOTICE_RETENTION_DAYS: {days} days after the answer "
            "(set when retention was introduced)"
        )
        hit.save(update_fields=["retain_until", "retention_basis"])


class Migration(migrations.Migration):

    dependencies = [
        ("screening", "0003_screening_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="incominghit",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="incominghit",
            name="retain_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="incominghit",
            name="retention_agreed",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="incominghit",
            name="retention_basis",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddIndex(
            model_name="incominghit",
            index=models.Index(
                fields=["erased_at", "retain_until"], name="incoming_hit_retention"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
