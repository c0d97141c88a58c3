"""This instance's identity: network_init writes a key file of mode 0600 and keeps it on a second run; production
refuses a key readable by others or missing once the network is in use."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from hotline.network import own_key
from hotline.network.models import OwnIdentity

pytestmark = pytest.mark.django_db


def test_network_init_writes_the_key_and_the_identity(settings: Any, capsys: Any) -> None:
    call_command(
        "network_init", "--code", "SE-ECPAT", "--countries", "SE", "--base-url", "https://Hotline.Example.org/"
    )
    path = Path(settings.HOTLINE_NETWORK_KEY_FILE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    identity = OwnIdentity.objects.get()
    assert (identity.code, identity.countries, identity.base_url) == ("SE-ECPAT", "SE", "https://hotline.example.org")
    out = capsys.readouterr().out
    assert "Created the network key" in out and "fingerprint" in out

    call_command(
        "network_init", "--code", "SE-ECPAT", "--countries", "SE,AX", "--base-url", "https://hotline.example.org"
    )
    assert path.read_bytes() == first, "a second run must keep the key partners pinned"
    assert OwnIdentity.objects.get().countries == "SE,AX"


def test_network_init_refuses_a_bad_code() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("network_init", "--code", "not a code", "--countries", "SE", "--base-url", "https://h.example.org")
    assert not OwnIdentity.objects.exists()


def test_production_refuses_a_key_readable_by_others_or_missing(settings: Any) -> None:
    settings.PRODUCTION = True
    path = Path(settings.HOTLINE_NETWORK_KEY_FILE)
    assert own_key.check_key_file() == []  # not on the network: no key needed
    own_key.create_key()
    assert own_key.check_key_file() == []
    path.chmod(0o644)
    (error,) = own_key.check_key_file()
    assert error.id == "network.E002" and "group or others" in error.msg
    with pytest.raises(OSError):
        own_key.private_key()
    path.unlink()
    OwnIdentity.objects.create(
        code="SE-ECPAT", name="x", countries="SE", base_url="https://h.example.org", contact_email="n@example.test"
    )
    (error,) = own_key.check_key_file()
    assert "does not exist" in error.msg
