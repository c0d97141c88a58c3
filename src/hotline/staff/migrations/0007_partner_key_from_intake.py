# Partner API keys move from intake to staff (who may act: staff accounts and partner keys), which breaks the
# model cycle cases.Report -> intake.PartnerKey -> cases.Report. The table keeps its name (intake_partnerkey):
# only Django's record of the owner changes, no row is copied and no table is touched.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("staff", "0006_audit_log_moved_to_core"),
        ("intake", "0002_partner_key_owner_messages_idempotency"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PartnerKey",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("partner", models.CharField(db_index=True, max_length=120)),
                        ("prefix", models.CharField(max_length=16, unique=True)),
                        ("key_hash", models.CharField(max_length=64, unique=True)),
                        ("scopes", models.JSONField(default=list)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"ordering": ["partner", "-created_at"], "db_table": "intake_partnerkey"},
                ),
            ],
            database_operations=[],
        ),
    ]
