# State only, no table touched: ReporterMessage (a message attached to a cases.Report) moves from intake to
# cases under its old table name (intake_reportermessage), and Report.partner_key now points at
# staff.PartnerKey, the same table (intake_partnerkey) under its new owner. The message text keeps its encryption
# binding (intake.reportermessage.text): the stored ciphertexts are bound to it.

import django.db.models.deletion
import django.utils.timezone
import hotline.core.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0009_report_texts_erased_at"),
        ("intake", "0002_partner_key_owner_messages_idempotency"),
        ("staff", "0007_partner_key_from_intake"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReporterMessage",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("received_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ("text", hotline.core.fields.EncryptedTextField(context="intake.reportermessage.text")),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "report",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reporter_messages",
                                to="cases.report",
                            ),
                        ),
                    ],
                    options={"ordering": ["report_id", "received_at", "pk"], "db_table": "intake_reportermessage"},
                ),
                migrations.AlterField(
                    model_name="report",
                    name="partner_key",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reports",
                        to="staff.partnerkey",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
