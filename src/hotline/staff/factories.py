"""Staff accounts and partner keys built one way, for tests and demo data (never used by a request), and
signing an account in on a test client.

Raw rows for tests unless an `actor` is given: then the audit entry the staff services write for the same
change is recorded too (demo data). Made-up addresses under hotline.example only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.core import audit
from hotline.staff.models import DEFAULT_SCOPES, PartnerKey, StaffUser
from hotline.staff.services import hash_partner_key

TEST_PASSWORD = "correct horse battery staple"  # nosec B105  # tests and factories only


def staff_user(
    *roles: str,
    email: str,
    password: str | None = TEST_PASSWORD,
    display_name: str = "",
    totp_key: str | None = None,
    device_name: str = "test",
    with_device: bool = True,
    actor: str | None = None,
) -> StaffUser:
    """A staff account with `roles` (groups made if missing) and, unless `with_device` is false, a confirmed
    TOTP device (`totp_key` as hex, random if None). `password=None` leaves no usable password. With `actor`,
    the account's creation is audited as `staff.created` (marked as demo data)."""
    with transaction.atomic():
        user = StaffUser.objects.create_user(email=email, password=password, display_name=display_name)
        # get_or_create: transactional tests flush the groups that the data migration created.
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
        if with_device:
            device = TOTPDevice(user=user, name=device_name, confirmed=True)
            if totp_key is not None:
                device.key = totp_key
            device.save()
        if actor is not None:
            audit.record(actor=actor, action="staff.created", object_type="staff", object_id=user.pk,
                         details={"roles": list(roles), "demo": True})  # fmt: skip
    return user


def known_staff_user(*roles: str, email: str) -> StaffUser:
    """The account with `email`, made (without a TOTP device) if there is none, holding exactly `roles`:
    for builders that need some analyst and are called many times in one test."""
    user = StaffUser.objects.filter(email=email).first() or staff_user(
        email=email, password="x" * 16, with_device=False
    )
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    return user


def partner_key(
    *, partner: str, key: str, scopes: list[str] | None = None, actor: str | None = None, demo: bool = False
) -> PartnerKey:
    """A partner key whose secret is known in advance (`hlk_<prefix>_<secret>`, as create_partner_key makes
    them): the stored row and, with `actor`, the `partner_key.created` audit entry the service writes."""
    prefix = key.split("_")[1]
    with transaction.atomic():
        record = PartnerKey.objects.create(
            partner=partner, prefix=prefix, key_hash=hash_partner_key(key), scopes=list(scopes or DEFAULT_SCOPES)
        )
        if actor is not None:
            details: dict[str, object] = {"partner": partner, "prefix": prefix}
            if demo:
                details["demo"] = True
            else:
                details["scopes"] = record.scopes
            audit.record(
                actor=actor, action="partner_key.created", object_type="partner_key", object_id=record.pk,
                details=details,
            )  # fmt: skip
    return record


def login_verified(client: Any, user: StaffUser) -> Any:
    """Sign `user` in on a Django test client with the second factor verified (as after a TOTP step)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assert device is not None, "the account has no confirmed TOTP device"
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def current_totp(user: StaffUser) -> str:
    """The code the account's authenticator app shows now."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assert device is not None, "the account has no confirmed TOTP device"
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
