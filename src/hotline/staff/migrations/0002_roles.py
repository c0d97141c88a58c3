"""Create one group per staff role (hotline.core.authz.ROLES)."""

from django.db import migrations

ROLES = ("analyst", "supervisor", "admin", "campaigner", "statistician", "coalition_liaison")


def create_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
