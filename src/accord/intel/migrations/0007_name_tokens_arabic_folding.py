"""Name tokens computed again for the names that search now reads differently.

Search normalises names with the screening engine's Arabic folding (``accord.engine.names``):
ta marbuta, ain and hamza are dropped, the Persian yeh and keheh folded, Quranic annotation
marks and Hebrew points no longer removed before transliteration. A query is normalised by the
new rule, so the stored tokens of every record whose JSON holds one of these characters are
rebuilt by it; the others' tokens do not change.
"""

from django.db import migrations

_AFFECTED = frozenset(
    "ةیکعء" + "".join(map(chr, range(0x06D6, 0x06EE))) + "".join(map(chr, range(0x0591, 0x05C8)))
)


def rebuild(apps, schema_editor):
    import orjson

    from accord.intel.indexing import index_object

    Record = apps.get_model("intel", "Record")
    NameToken = apps.get_model("intel", "NameToken")
    for pk, data in Record.objects.values_list("pk", "data").iterator(chunk_size=2000):
        if "\\u" not in data and _AFFECTED.isdisjoint(data):
            continue
        tokens = index_object(orjson.loads(data)).tokens
        NameToken.objects.filter(record_id=pk).delete()
        NameToken.objects.bulk_create(NameToken(record_id=pk, token=t) for t in tokens)


class Migration(migrations.Migration):
    dependencies = [
        ("intel", "0006_record_type_updated"),
    ]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
