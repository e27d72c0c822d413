from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intel", "0005_recordgrant_can_write"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="record",
            index=models.Index(fields=["stix_type", "updated_at"], name="record_type_updated"),
        ),
    ]
