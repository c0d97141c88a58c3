"""Sessions end when access ends (StaffUser.session_epoch joins the session hash), and each account counts
its failed sign-ins until the next sign-in shows them. No data changes: every epoch starts at 0, under which
the session hash is Django's own, so nobody is signed out by the upgrade."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("staff", "0007_partner_key_from_intake")]

    operations = [
        migrations.AddField(
            model_name="staffuser", name="session_epoch", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="staffuser", name="failed_sign_ins", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="staffuser", name="refused_sign_ins", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="staffuser",
            name="last_failed_sign_in_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
