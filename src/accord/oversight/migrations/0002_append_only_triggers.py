"""Install the triggers that make the audit trail append-only (see accord.oversight.triggers)."""

from django.db import migrations


def install(apps, schema_editor):
    from accord.oversight.triggers import install_triggers

    install_triggers(schema_editor.connection, ("trail",))


def remove(apps, schema_editor):
    from accord.oversight.triggers import remove_triggers

    remove_triggers(schema_editor.connection, ("trail",))


class Migration(migrations.Migration):
    dependencies = [("oversight", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
