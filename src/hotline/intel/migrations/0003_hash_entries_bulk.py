"""Faster bulk imports of hash lists: no foreign-key constraint from entries to their list, and on PostgreSQL the
"C" collation (byte order) for an entry's type and value (see HashEntry)."""

import django.db.models.deletion
from django.db import migrations, models

# The unique index (intel_hash_entry_unique) is rebuilt by PostgreSQL with the columns' new collation.
TO_C = (
    'ALTER TABLE intel_hashentry ALTER COLUMN hash_type TYPE varchar(8) COLLATE "C", '
    'ALTER COLUMN value TYPE varchar(64) COLLATE "C"'
)
TO_DEFAULT = (
    'ALTER TABLE intel_hashentry ALTER COLUMN hash_type TYPE varchar(8) COLLATE "default", '
    'ALTER COLUMN value TYPE varchar(64) COLLATE "default"'
)


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("intel", "0002_payment_indicators"),
    ]

    operations = [
        migrations.AlterField(
            model_name="hashentry",
            name="hash_list",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="entries",
                to="intel.hashlist",
            ),
        ),
        migrations.RunPython(_on_postgresql(TO_C), _on_postgresql(TO_DEFAULT)),
    ]
