"""PostgreSQL: drop the ``varchar_pattern_ops`` copies that Django adds beside the index of
every indexed text column (``*_like``), for the record columns that no query matches by
prefix or pattern: ``stix_id`` (looked up whole), ``tlp``, ``handling_code`` and
``origin_node`` (compared whole). Each record written updated four indexes that no search
read (1,000,000 records: 15 MB of index, and a share of the import's time on the server).

The name tokens' prefix indexes are the ones kept for ``LIKE 't%'`` (``intel 0008``). Django
drops these indexes with ``IF EXISTS`` when it alters such a column, so later migrations are
unaffected. SQLite never had them: nothing changes there."""

from django.db import migrations

UNUSED = ("stix_id", "tlp", "handling_code", "origin_node")


def _like_indexes(cursor):
    cursor.execute(
        "SELECT i.relname, a.attname FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0] "
        "WHERE t.relname = 'intel_record' AND i.relname LIKE %s AND x.indnatts = 1",
        ["%\\_like"],
    )
    return [name for name, column in cursor.fetchall() if column in UNUSED]


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in _like_indexes(cursor):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("intel", "Record")
    for column in UNUSED:
        statement = schema_editor._create_like_index_sql(model, model._meta.get_field(column))
        if statement is not None:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("intel", "0009_name_token_statistics"),
    ]

    operations = [migrations.RunPython(drop, restore)]
