"""Add the police-liaison role (collects police referral packages by download)."""

from django.db import migrations


def create_role(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("auth", "Group").objects.get_or_create(name="police_liaison")


class Migration(migrations.Migration):
    dependencies = [("staff", "0003_audit_browser_indexes")]
    operations = [migrations.RunPython(create_role, migrations.RunPython.noop)]
