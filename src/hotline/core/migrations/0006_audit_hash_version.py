"""Audit entries say which canonical form their hash is over. Every existing entry is version 1 and keeps its
hash, so anchors written down before this upgrade still check (`verify_audit --anchor`); entries written from
now on are version 2, whose hash covers every column (docs/security.md, "Audit log"). Nothing is re-chained."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0005_metrics_and_audit_checks")]

    operations = [
        migrations.AddField(
            model_name="auditentry", name="hash_version", field=models.PositiveSmallIntegerField(db_default=1)
        ),
    ]
