"""TOTP secrets encrypted at rest (issue 19): no staff TOTP secret is in the database in clear, the data keyring
encrypts it like every other secret and `rotate_data_key` re-encrypts it; the migration moves devices made by
earlier releases (django-otp's table, secret in clear) and sign-in keeps working with them, replay refused."""

from __future__ import annotations

import base64
import importlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_otp.oath import totp

from conftest import current_totp

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OLD_KEY = "00112233445566778899aabbccddeeff01234567"  # a device made the old way, in clear


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _sign_in(client: Client, email: str, code: str) -> int:
    assert client.post("/staff/login/", {"email": email, "password": PASSWORD})["Location"] == "/staff/login/verify/"
    return int(client.post("/staff/login/verify/", {"otp_token": code}).status_code)


def _stored_key(device: Any) -> str:
    table, column = device._meta.db_table, connection.ops.quote_name("key")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [device.pk])
        return str(cursor.fetchone()[0])


def _every_stored_value() -> str:
    """Every value of every table, as text (what a copy of the database holds)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def test_no_totp_secret_is_stored_in_clear(make_staff: Any) -> None:
    user = make_staff("analyst")
    device = user.totpdevice_set.get()
    secret_hex = device.key
    assert len(bytes.fromhex(secret_hex)) == 20
    stored = _stored_key(device)
    assert stored.startswith("enc1:dev1:"), "the secret is encrypted with the data keyring"
    dump = _every_stored_value()
    for form in (secret_hex, secret_hex.upper(), base64.b32encode(bytes.fromhex(secret_hex)).decode()):
        assert form not in dump


def test_the_secret_is_bound_to_its_column(make_staff: Any) -> None:
    from hotline.core import crypto

    device = make_staff("analyst").totpdevice_set.get()
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(_stored_key(device), context="cases.report.description")


def test_sign_in_works_and_a_code_verifies_once(make_staff: Any, clock: Any) -> None:
    user = make_staff("analyst")
    code = current_totp(user)
    assert _sign_in(Client(), user.email, code) == 302
    clock.shift(timedelta(seconds=5))
    assert _sign_in(Client(), user.email, code) == 400, "the same code a second time is refused"
    clock.shift(timedelta(seconds=60))
    assert _sign_in(Client(), user.email, current_totp(user)) == 302


def test_rotate_data_key_reencrypts_the_secrets(make_staff: Any, settings: Any, clock: Any) -> None:
    from hotline.core import crypto

    user = make_staff("analyst")
    device = user.totpdevice_set.get()
    settings.HOTLINE_DATA_KEYS = f"{crypto.generate_key_spec('k2027')},{settings.HOTLINE_DATA_KEYS}"
    call_command("rotate_data_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _stored_key(device).startswith("enc1:k2027:")
    assert _sign_in(Client(), user.email, current_totp(user)) == 302


def _old_table() -> None:
    """django-otp's otp_totp_totpdevice as the releases before staff/0009 created it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_totp_totpdevice (id integer PRIMARY KEY, user_id bigint NOT NULL, name varchar(64) "
            "NOT NULL, confirmed boolean NOT NULL, key varchar(80) NOT NULL, step smallint NOT NULL, t0 bigint NOT "
            "NULL, digits smallint NOT NULL, tolerance smallint NOT NULL, drift smallint NOT NULL, last_t bigint "
            "NOT NULL, throttling_failure_timestamp timestamp with time zone NULL, throttling_failure_count "
            "integer NOT NULL, created_at timestamp with time zone NULL, last_used_at timestamp with time zone NULL)"
        )


def test_the_migration_encrypts_devices_made_the_old_way_and_sign_in_keeps_working(make_staff: Any, clock: Any) -> None:
    user = make_staff("analyst")
    user.totpdevice_set.all().delete()
    _old_table()
    used_step = int(START.timestamp()) // 30 - 10  # a code of ten steps ago was already used: replay state
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES (5, %s, 'authenticator', %s, %s, 30, 0, 6, 1, 0, %s, NULL, 0, "
            "%s, NULL)",
            [user.pk, True, OLD_KEY, used_step, START - timedelta(days=100)],
        )
    migration = importlib.import_module("hotline.staff.migrations.0009_totp_device_encrypted")
    migration.move_devices(apps, SimpleNamespace(connection=connection))

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone()[0] == 0, "no secret is left in clear"
    device = user.totpdevice_set.get()
    assert device.key == OLD_KEY and device.confirmed and device.last_t == used_step
    assert device.created_at == START - timedelta(days=100)
    stored = _stored_key(device)
    assert stored.startswith("enc1:") and OLD_KEY not in stored and OLD_KEY not in _every_stored_value()

    code = f"{totp(bytes.fromhex(OLD_KEY), step=30, t0=0, digits=6):06d}"  # what the staff member's app shows
    assert _sign_in(Client(), user.email, code) == 302
    assert _sign_in(Client(), user.email, code) == 400, "replay refused after the move too"

    device.refresh_from_db()
    assert device.last_t == int(START.timestamp()) // 30  # the code just accepted

    # Going back puts the devices, secret in clear, where the earlier release reads them.
    migration.move_devices_back(apps, SimpleNamespace(connection=connection))
    assert not user.totpdevice_set.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, key, last_t FROM otp_totp_totpdevice")
        assert cursor.fetchall() == [(user.pk, OLD_KEY, device.last_t)]


def test_a_new_installation_has_no_old_table_to_move() -> None:
    migration = importlib.import_module("hotline.staff.migrations.0009_totp_device_encrypted")
    assert "otp_totp_totpdevice" not in connection.introspection.table_names()
    migration.move_devices(apps, SimpleNamespace(connection=connection))  # nothing to do, no error
