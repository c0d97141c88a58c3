"""Settings of the payment indicators and the coalition export (docs/coalition.md), read through hotline.core.conf."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from hotline.core import conf


def coalition_key_file() -> Path:
    """HOTLINE_COALITION_KEY_FILE: the Ed25519 private key (PKCS#8 PEM, mode 0600) that signs the coalition
    exports. Outside production it is created on first use; in production `manage.py coalition_key` creates it,
    and start-up stops while the file is readable by group or others."""
    return conf.path("HOTLINE_COALITION_KEY_FILE", Path(settings.VAR_DIR) / "coalition-ed25519.pem")


def indicator_retention_days() -> int | None:
    """HOTLINE_PAYMENT_INDICATOR_RETENTION_DAYS (default unset: kept): an indicator not entered on any case for this
    many days is deleted with its case links, and a coalition export published that long ago with its files. An
    IBAN or a descriptor can name a person (a money mule's account), so an organisation may want a limit."""
    days = conf.integer("HOTLINE_PAYMENT_INDICATOR_RETENTION_DAYS", 0, minimum=0)
    return days or None


ACCESSORS: tuple[conf.Accessor, ...] = (coalition_key_file, indicator_retention_days)
