# The audit log moves from the staff app to core (below every app). Its tables keep their names
# (staff_auditentry, staff_auditchainhead): only Django's record of which app owns the models changes,
# so no row is copied and no table is touched.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_rate_counter"),
        ("staff", "0005_hash_recovery_codes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditChainHead",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("last_seq", models.BigIntegerField(default=0)),
                        ("last_hash", models.CharField(default="0" * 64, max_length=64)),
                    ],
                    options={"db_table": "staff_auditchainhead"},
                ),
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("seq", models.BigIntegerField(unique=True)),
                        ("at", models.DateTimeField(db_index=True)),
                        ("actor_label", models.CharField(max_length=200)),
                        ("action", models.CharField(max_length=80)),
                        ("object_type", models.CharField(blank=True, max_length=80)),
                        ("object_id", models.CharField(blank=True, max_length=80)),
                        ("details", models.JSONField(blank=True, default=dict)),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64, unique=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "audit entry",
                        "verbose_name_plural": "audit entries",
                        "ordering": ["-seq"],
                        "db_table": "staff_auditentry",
                        "indexes": [
                            models.Index(fields=["actor", "seq"], name="audit_actor_seq"),
                            models.Index(fields=["actor_label", "seq"], name="audit_actor_label_seq"),
                            models.Index(fields=["action", "seq"], name="audit_action_seq"),
                            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_seq"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
