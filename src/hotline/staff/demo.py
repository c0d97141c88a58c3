"""Demo staff accounts for `make run` (development only): fixed passwords and TOTP secrets."""

from __future__ import annotations

import base64
from typing import Any

from django.db import transaction

from hotline.staff.factories import staff_user
from hotline.staff.models import StaffUser

DEMO_PASSWORD = "demo-hotline-2026"  # nosec B105  # demo accounts only; demo_data refuses production
# (email, roles, TOTP key as hex). Made-up, for the demo only; demo_data refuses production.
DEMO_STAFF = [
    ("analyst@hotline.example", ["analyst"], "3132333435363738393031323334353637383930"),
    ("analyst2@hotline.example", ["analyst"], "3132333435363738393031323334353637383931"),
    ("supervisor@hotline.example", ["supervisor", "analyst"], "3132333435363738393031323334353637383932"),
    ("admin@hotline.example", ["admin", "supervisor"], "3132333435363738393031323334353637383933"),
    ("campaigner@hotline.example", ["campaigner"], "3132333435363738393031323334353637383934"),
    ("director@hotline.example", ["statistician"], "3132333435363738393031323334353637383935"),
    ("police@hotline.example", ["police_liaison"], "3132333435363738393031323334353637383936"),
    ("coalition@hotline.example", ["coalition_liaison"], "3132333435363738393031323334353637383937"),
]


def base32_secret(hex_key: str) -> str:
    return base64.b32encode(bytes.fromhex(hex_key)).decode()


@transaction.atomic
def load(stdout: Any) -> None:
    for email, roles, key in DEMO_STAFF:
        if not StaffUser.objects.filter(email=email).exists():
            staff_user(*roles, email=email, password=DEMO_PASSWORD, display_name=email.split("@")[0],
                       totp_key=key, device_name="demo", actor="demo_data")  # fmt: skip


def describe_logins() -> str:
    lines = ["", f"Demo staff logins (password for all: {DEMO_PASSWORD}):"]
    for email, roles, key in DEMO_STAFF:
        lines.append(f"  {email:<30} roles: {','.join(roles):<22} TOTP secret: {base32_secret(key)}")
    lines.append("  Add a secret to any authenticator app, or: .venv/bin/python manage.py demo_totp EMAIL")
    return "\n".join(lines)
