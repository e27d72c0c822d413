"""Name tokens, identifiers and marking rows keep their ``record`` key without a foreign-key
constraint in the database (``accord.intel.models.DERIVED_ROWS`` says why: the constraint's
check at commit was a third of a bulk import's time on PostgreSQL's side).

PostgreSQL drops the three constraints (no rewrite). SQLite has no ``DROP CONSTRAINT``: Django
copies each of the three tables once into a new one without it (at 1,000,000 records, about
seven million rows in all, once, during ``accord upgrade``)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intel", "0010_drop_unused_pattern_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="identifier",
            name="record",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="identifiers",
                to="intel.record",
            ),
        ),
        migrations.AlterField(
            model_name="nametoken",
            name="record",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="intel.record",
            ),
        ),
        migrations.AlterField(
            model_name="recordmarking",
            name="record",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="marking_rows",
                to="intel.record",
            ),
        ),
    ]
