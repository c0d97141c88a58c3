"""Recovery codes are stored as keyed hashes (staff.services.recovery_code_digest); hash the codes
that earlier versions stored as they were. Every code keeps working. Not reversible: going back
leaves the hashes, and staff then need new codes (a new enrolment link)."""

from django.db import migrations

from hotline.core.crypto import IndexPurpose, blind_index


def hash_plain_codes(apps, schema_editor):  # type: ignore[no-untyped-def]
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.all().iterator():
        if len(token.token) < 16:  # a plain code (django-otp's codes are 8 characters); hashes are 16
            code = "".join(ch for ch in token.token if ch not in " -\t").lower()
            token.token = blind_index(code, purpose=IndexPurpose.STAFF_RECOVERY_CODE)[:16]
            token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [("staff", "0004_police_liaison_role"), ("otp_static", "0003_add_timestamps")]
    operations = [migrations.RunPython(hash_plain_codes, migrations.RunPython.noop)]
