"""The name-token indexes order tokens by their bytes on PostgreSQL (``varchar_pattern_ops``), so
a prefix search (``LIKE 't%'``) is an index range under any collation. SQLite has no operator
classes: its indexes stay as they are (only the migration state changes there)."""

from django.db import migrations, models

OLD = (
    models.Index(fields=["token", "record"], name="nametoken_token"),
    models.Index(fields=["record", "token"], name="nametoken_record_token"),
)
NEW = (
    models.Index(
        fields=["token", "record"],
        name="nametoken_token",
        opclasses=["varchar_pattern_ops", "int8_ops"],
    ),
    models.Index(
        fields=["record", "token"],
        name="nametoken_record_token",
        opclasses=["int8_ops", "varchar_pattern_ops"],
    ),
)


def _swap(old, new):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model("intel", "NameToken")
        for index in old:
            schema_editor.remove_index(model, index)
        for index in new:
            schema_editor.add_index(model, index)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("intel", "0007_name_tokens_arabic_folding"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *(migrations.RemoveIndex(model_name="nametoken", name=i.name) for i in OLD),
                *(migrations.AddIndex(model_name="nametoken", index=i) for i in NEW),
            ],
            database_operations=[migrations.RunPython(_swap(OLD, NEW), _swap(NEW, OLD))],
        ),
    ]
