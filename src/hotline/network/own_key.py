"""This instance's Ed25519 key: created by `manage.py network_init`, read from HOTLINE_NETWORK_KEY_FILE, and the
start-up check that refuses production when the file is missing or readable by others."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core import checks

from hotline.network import conf
from hotline.network.protocol import (
    KeyFileError,
    generate_private_key,
    key_file_exposure,
    key_id,
    read_private_key,
    write_private_key,
)

_lock = threading.Lock()
_cache: dict[tuple[str, float], Ed25519PrivateKey] = {}


def create_key(path: Path | None = None) -> Ed25519PrivateKey:
    """Write a new key file (mode 0600). Refuses to replace an existing one (FileExistsError)."""
    key = generate_private_key()
    write_private_key(path or conf.key_file(), key)
    return key


def private_key() -> Ed25519PrivateKey:
    """The signing key, read once per file version. Raises KeyFileError when it is missing, or (in
    production) when group or others may read it."""
    path = conf.key_file()
    problem = key_file_exposure(path)
    if problem is not None and (settings.PRODUCTION or not path.exists()):
        raise KeyFileError(problem)
    mtime = path.stat().st_mtime
    with _lock:
        cached = _cache.get((str(path), mtime))
        if cached is None:
            cached = read_private_key(path)
            _cache.clear()
            _cache[(str(path), mtime)] = cached
    return cached


def own_key_id() -> str:
    return key_id(private_key().public_key())


def _network_in_use() -> bool:
    """Whether this instance takes part in the network (network_init stored its identity). A hotline that never
    joined needs no key (and may not have migrated yet)."""
    from django.db import DatabaseError

    try:
        from hotline.network.models import OwnIdentity

        return OwnIdentity.objects.exists()
    except DatabaseError:
        return False


def check_key_file(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """In production the key file must be readable by its owner only, and present once the instance is on the
    network (like the data keys, it never sits in the database). Outside production a missing key only means
    the network is not set up yet."""
    if not settings.PRODUCTION:
        return []
    path = conf.key_file()
    if not path.exists() and not _network_in_use():
        return []
    problem = key_file_exposure(path)
    if problem is None:
        try:
            read_private_key(path)
        except (KeyFileError, ValueError) as exc:
            problem = str(exc)
    if problem is None:
        return []
    return [
        checks.Error(
            f"The hotline network key (HOTLINE_NETWORK_KEY_FILE) is not usable: {problem}",
            hint="Run `manage.py network_init` once, or fix the file's mode with chmod 600 (docs/network.md).",
            id="network.E002",
        )
    ]
