# The audit log now belongs to core (core.0004_audit_log_from_staff). Only Django's state forgets the
# staff models: the tables stay, owned by core under their old names.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("staff", "0005_hash_recovery_codes"),
        ("core", "0004_audit_log_from_staff"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEntry"),
                migrations.DeleteModel(name="AuditChainHead"),
            ],
            database_operations=[],
        ),
    ]
