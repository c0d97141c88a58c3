"""This instance's Ed25519 key: created by `manage.py network_init`, read from HOTLINE_NETWORK_KEY_FILE, its
rotation (`manage.py network_rotate_key`: a next key published beside it, then taking its place), and the
start-up check that refuses production when a key file is missing or readable by others."""

from __future__ import annotations

import os
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


def next_key_file() -> Path:
    """The key a rotation published beside the signing key, until the administrator ends the overlap."""
    path = conf.key_file()
    return path.with_name(path.name + ".next")


def next_private_key() -> Ed25519PrivateKey | None:
    """The rotation's next key, or None when no rotation is under way."""
    path = next_key_file()
    if not path.exists():
        return None
    problem = key_file_exposure(path)
    if problem is not None and settings.PRODUCTION:
        raise KeyFileError(problem)
    return read_private_key(path)


def published_keys() -> list[Ed25519PrivateKey]:
    """The keys the identity document lists: the signing key, and during a rotation the next one beside it."""
    keys = [private_key()]
    upcoming = next_private_key()
    if upcoming is not None:
        keys.append(upcoming)
    return keys


def start_rotation() -> Ed25519PrivateKey:
    """Publish a new key beside the signing key (which still signs: partners pin the new one first).
    Refuses when a rotation is already under way (FileExistsError)."""
    private_key()  # a rotation needs a key to rotate from (KeyFileError otherwise)
    key = generate_private_key()
    write_private_key(next_key_file(), key)
    return key


def end_rotation() -> Ed25519PrivateKey:
    """End the overlap: the next key becomes the signing key and the old one is no longer published (partners
    then retire it). FileNotFoundError when no rotation is under way."""
    upcoming = next_key_file()
    if not upcoming.exists():
        raise FileNotFoundError(str(upcoming))
    key = read_private_key(upcoming)
    with _lock:
        os.replace(upcoming, conf.key_file())  # atomic: a reader sees the old file or the new one
        _cache.clear()
    return key


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
    if problem is None and next_key_file().exists():
        path = next_key_file()
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
