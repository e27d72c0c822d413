"""Entries of one object are looked up by (collection, record, date added): new entries append
to that index (new records get ascending keys), where (collection, stix_id, date added) took a
random page per new entry."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("taxii", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="collectionentry", name="taxii_entry_id"),
        migrations.AddIndex(
            model_name="collectionentry",
            index=models.Index(
                fields=["collection", "record", "date_added_us"], name="taxii_entry_record"
            ),
        ),
    ]
