# State only: PartnerKey now belongs to staff (staff.0007) and ReporterMessage to cases (cases.0010). Their
# tables stay, under their old names, owned by those apps.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("intake", "0002_partner_key_owner_messages_idempotency"),
        ("cases", "0010_reporter_message_and_partner_key_moved"),
        ("staff", "0007_partner_key_from_intake"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ReporterMessage"),
                migrations.DeleteModel(name="PartnerKey"),
            ],
            database_operations=[],
        ),
    ]
