"""TOTP secrets encrypted at rest: staff.TOTPDevice (secret in an EncryptedTextField) takes the place of
django-otp's otp_totp.TOTPDevice, which stored it in clear. Every device is moved with its secret, replay
state (last_t, drift) and throttle, so sign-in keeps working with the same authenticator app; the plain rows
are deleted. `django_otp.plugins.otp_totp` is no longer installed, so its table is read with plain SQL when
an earlier version created it (a new installation has none). Signed-in staff sign in once more: their
sessions name the old device. Reversible: going back copies the devices (decrypted) to the old table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import hotline.core.fields
import hotline.staff.models

OLD_TABLE = "otp_totp_totpdevice"
COLUMNS = (
    "user_id", "name", "confirmed", "key", "step", "t0", "digits", "tolerance", "drift", "last_t",
    "throttling_failure_timestamp", "throttling_failure_count", "created_at", "last_used_at",
)  # fmt: skip


def _old_table_exists(schema_editor) -> bool:  # type: ignore[no-untyped-def]
    return OLD_TABLE in schema_editor.connection.introspection.table_names()


def move_devices(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Copy every plain device into staff_totpdevice (the key is encrypted on save), then delete the plain rows."""
    if not _old_table_exists(schema_editor):
        return
    TOTPDevice = apps.get_model("staff", "TOTPDevice")
    qn = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(map(qn, COLUMNS))} FROM {qn(OLD_TABLE)} ORDER BY {qn('id')}")  # noqa: S608 (constant identifiers)  # nosec B608
        rows = cursor.fetchall()
    for row in rows:
        values = dict(zip(COLUMNS, row, strict=True))
        created_at = values.pop("created_at")
        device = TOTPDevice.objects.create(**values)
        # created_at is auto_now_add: keep the original time of enrolment.
        TOTPDevice.objects.filter(pk=device.pk).update(created_at=created_at)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {qn(OLD_TABLE)}")  # noqa: S608  # nosec B608


def move_devices_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    if not _old_table_exists(schema_editor):
        return
    TOTPDevice = apps.get_model("staff", "TOTPDevice")
    qn = schema_editor.connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    with schema_editor.connection.cursor() as cursor:
        for device in TOTPDevice.objects.order_by("pk"):
            cursor.execute(
                f"INSERT INTO {qn(OLD_TABLE)} ({', '.join(map(qn, COLUMNS))}) VALUES ({placeholders})",  # noqa: S608  # nosec B608
                [getattr(device, column) for column in COLUMNS],  # user_id is the attribute of the foreign key
            )
    TOTPDevice.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0008_session_epoch_and_sign_in_counters"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TOTPDevice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="The human-readable name of this device.", max_length=64)),
                ("confirmed", models.BooleanField(default=True, help_text="Is this device ready for use?")),
                (
                    "throttling_failure_timestamp",
                    models.DateTimeField(
                        blank=True,
                        default=None,
                        help_text="A timestamp of the last failed verification attempt. Null if last attempt succeeded.",
                        null=True,
                    ),
                ),
                (
                    "throttling_failure_count",
                    models.PositiveIntegerField(default=0, help_text="Number of successive failed attempts."),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True,
                        help_text="The date and time when this device was initially created in the system.",
                        null=True,
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(
                        blank=True, help_text="The most recent date and time this device was used.", null=True
                    ),
                ),
                ("key", hotline.core.fields.EncryptedTextField(default=hotline.staff.models.default_totp_key)),
                ("step", models.PositiveSmallIntegerField(default=30)),
                ("t0", models.BigIntegerField(default=0)),
                ("digits", models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                ("tolerance", models.PositiveSmallIntegerField(default=1)),
                ("drift", models.SmallIntegerField(default=0)),
                ("last_t", models.BigIntegerField(default=-1)),
                (
                    "user",
                    models.ForeignKey(
                        help_text="The user that this device belongs to.",
                        on_delete=django.db.models.deletion.CASCADE,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "authenticator app", "abstract": False},
        ),
        migrations.RunPython(move_devices, move_devices_back),
    ]
