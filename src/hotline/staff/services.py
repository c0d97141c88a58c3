"""Writes about who may act: staff accounts, roles, enrolment links, sign-in protection, partner API keys. Each
one audited in its transaction (except the failed-sign-in counter: see note_failed_sign_in).

The errors raised live in staff.errors (imported here, so `services.StaffError` keeps working).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from hotline.core import audit, crypto
from hotline.core.authz import ADMIN, ROLES
from hotline.core.text import text_problem
from hotline.staff import conf, lockout, rules
from hotline.staff.errors import EnrolmentLinkNotValid, StaffError
from hotline.staff.models import DEFAULT_SCOPES, EnrolmentLink, PartnerKey, StaffUser, TOTPDevice


def _validate_roles(roles: Iterable[str]) -> list[str]:
    roles = [r.strip() for r in roles if r.strip()]
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise StaffError(
            _("Unknown role: %(roles)s. Known roles: %(known)s.")
            % {"roles": ", ".join(unknown), "known": ", ".join(ROLES)}
        )
    if not roles:
        raise StaffError(_("Give at least one role."))
    return roles


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _end_sessions(user: StaffUser) -> None:
    """Every session `user` signed in before now is refused on its next request (StaffUser.session_epoch is
    part of the session hash); the caller's view keeps its own session if it changed its own account."""
    StaffUser.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


@transaction.atomic
def issue_enrolment_link(*, user: StaffUser, actor: StaffUser | str | None) -> str:
    """A new one-time link (path) to set the password and enrol two-factor; older links stop working."""
    EnrolmentLink.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    token = secrets.token_urlsafe(32)
    EnrolmentLink.objects.create(
        user=user, token_hash=hash_token(token), expires_at=timezone.now() + settings.HOTLINE_ENROLMENT_VALID
    )
    audit.record(actor=actor, action="staff.enrolment_link_issued", object_type="staff", object_id=user.pk)
    return f"/staff/enrol/{token}/"


@transaction.atomic
def create_staff_user(
    *, email: str, roles: Iterable[str], actor: StaffUser | str | None, display_name: str = ""
) -> tuple[StaffUser, str]:
    """Create an account without a usable password; returns it and its enrolment link path."""
    role_list = _validate_roles(roles)
    email = email.strip().lower()
    if StaffUser.objects.filter(email=email).exists():
        raise StaffError(_("A staff member with this email already exists."))
    user = StaffUser.objects.create_user(email=email, display_name=display_name)
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in role_list])
    audit.record(
        actor=actor, action="staff.created", object_type="staff", object_id=user.pk, details={"roles": role_list}
    )
    link = issue_enrolment_link(user=user, actor=actor)
    return user, link


def _check_admin_change(
    *, user: StaffUser, actor: StaffUser | str | None, keeps_admin: bool, stays_active: bool
) -> None:
    """Refuse a change that locks everyone out of account management (see rules.admin_change_problem)."""
    # Lock the admins' rows so two admins demoting each other at once cannot both succeed (PostgreSQL).
    admin_ids = list(
        StaffUser.objects.select_for_update(of=("self",))
        .filter(groups__name=ADMIN, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    problem = rules.admin_change_problem(
        actor_id=actor.pk if isinstance(actor, StaffUser) else None,
        user_id=user.pk,
        is_active_admin=user.pk in admin_ids,
        keeps_admin=keeps_admin,
        stays_active=stays_active,
        other_active_admins=len([pk for pk in admin_ids if pk != user.pk]),
    )
    if problem == "self_deactivate":
        raise StaffError(_("You cannot deactivate your own account."))
    if problem == "last_admin":
        raise StaffError(_("At least one active administrator must remain."))


@transaction.atomic
def set_roles(*, user: StaffUser, roles: Iterable[str], actor: StaffUser | str | None) -> None:
    role_list = _validate_roles(roles)
    _check_admin_change(user=user, actor=actor, keeps_admin=ADMIN in role_list, stays_active=user.is_active)
    user.__dict__.pop("role_names", None)
    before = sorted(user.role_names)
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in role_list])
    user.__dict__.pop("role_names", None)
    if set(before) - set(role_list):  # access that ends ends the sessions; a role added needs no new sign-in
        _end_sessions(user)
    audit.record(
        actor=actor,
        action="staff.roles_changed",
        object_type="staff",
        object_id=user.pk,
        details={"before": before, "after": sorted(role_list)},
    )


@transaction.atomic
def set_active(*, user: StaffUser, active: bool, actor: StaffUser | str | None) -> None:
    user.__dict__.pop("role_names", None)
    _check_admin_change(user=user, actor=actor, keeps_admin=user.has_role(ADMIN), stays_active=active)
    user.is_active = active
    user.save(update_fields=["is_active"])
    # Deactivation ends the sessions for good: reactivating later never revives one.
    _end_sessions(user)
    audit.record(
        actor=actor, action="staff.activated" if active else "staff.deactivated", object_type="staff", object_id=user.pk
    )


# --- Two-factor: reset, enrolment, sign-in ----------------------------------------------


def _delete_devices(user: StaffUser) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()  # its tokens go with it (cascade)


@transaction.atomic
def reset_two_factor(*, user: StaffUser, actor: StaffUser | str | None) -> str:
    """Remove the password and every two-factor device, and issue a new enrolment link (returned).

    Open sessions of the user end at once (session epoch raised; their device and password are gone too).
    """
    _delete_devices(user)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    _end_sessions(user)
    audit.record(actor=actor, action="staff.two_factor_reset", object_type="staff", object_id=user.pk)
    return issue_enrolment_link(user=user, actor=actor)


def _lock_valid_link(link_id: int) -> EnrolmentLink:
    link = EnrolmentLink.objects.select_for_update().select_related("user").filter(pk=link_id).first()
    if link is None or link.used_at is not None or link.expires_at <= timezone.now() or not link.user.is_active:
        raise EnrolmentLinkNotValid(
            _("This enrolment link has expired or has already been used. Ask an administrator for a new one.")
        )
    return link


@transaction.atomic
def start_enrolment(*, link: EnrolmentLink) -> TOTPDevice:
    """The unconfirmed TOTP device whose secret the enrolment page shows (the same one on every visit)."""
    link = _lock_valid_link(link.pk)
    device = TOTPDevice.objects.filter(user=link.user, confirmed=False, name="enrolment").first()
    if device is None:
        device = TOTPDevice.objects.create(user=link.user, name="enrolment", confirmed=False)
        audit.record(
            actor=link.user, action="staff.enrolment_started", object_type="staff", object_id=link.user.pk,
            details={"link": link.pk},
        )  # fmt: skip
    return device


def recovery_code_digest(code: str) -> str:
    """What is stored for a recovery code, never the code itself: a keyed hash (HMAC-SHA256 with
    HOTLINE_INDEX_KEY, which is not in the database), cut to django-otp's 16-character token column.
    A copy of the database alone gives no code that signs in."""
    return crypto.blind_index(rules.clean_code(code), purpose=crypto.IndexPurpose.STAFF_RECOVERY_CODE)[:16]


def _stored_recovery_token(device: Device, code: str) -> str:
    """The token to look for: the code's hash, or the code itself when a process of an earlier
    version (still running during an upgrade, after migration staff/0005) stored it in plain. Only
    an 8-character code can match a plain one, so a stolen 16-character hash is never a code."""
    if len(code) < 16 and device.token_set.filter(token=code).exists():  # type: ignore[attr-defined]
        return code
    return recovery_code_digest(code)


@dataclass(frozen=True)
class Enrolment:
    user: StaffUser
    device: TOTPDevice
    recovery_codes: list[str]


def complete_enrolment(*, link: EnrolmentLink, password: str, code: str) -> Enrolment:
    """Set the password, confirm the TOTP device with a code from the app, create recovery codes, use up the link.

    Raises django ValidationError for a weak password and StaffError for a wrong code or a dead link;
    nothing is written then except django-otp's throttle counter for the wrong code.
    """
    code_ok = False
    with transaction.atomic():
        link = _lock_valid_link(link.pk)
        user = link.user
        password_validation.validate_password(password, user)
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False, name="enrolment").first()
        if device is None:
            raise StaffError(_("Open the enrolment link again to get a new QR code."))
        code_ok = device.verify_token(rules.clean_code(code))
        if code_ok:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            StaticDevice.objects.filter(user=user).delete()
            device.confirmed = True
            device.name = "authenticator"
            device.save(update_fields=["confirmed", "name"])
            recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
            tokens = [StaticToken.random_token() for _ in range(rules.RECOVERY_CODE_COUNT)]
            StaticToken.objects.bulk_create(
                [StaticToken(device=recovery, token=recovery_code_digest(t)) for t in tokens]
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            link.used_at = timezone.now()
            link.save(update_fields=["used_at"])
            audit.record(
                actor=user, action="staff.enrolled", object_type="staff", object_id=user.pk,
                details={"link": link.pk, "recovery_codes": len(tokens)},
            )  # fmt: skip
    if not code_ok:  # outside the block so the throttle counter above is committed
        raise StaffError(_("The code is not correct. Check the time on your phone and enter the current code."))
    return Enrolment(user=user, device=device, recovery_codes=[rules.format_recovery_code(t) for t in tokens])


def confirmed_devices(user: StaffUser) -> tuple[TOTPDevice | None, StaticDevice | None]:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first(),
        StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first(),
    )


@dataclass(frozen=True)
class SecondFactor:
    device: Device | None  # the device that accepted the code, None if refused
    throttled: bool = False  # django-otp asks to wait before the next try; the code was not checked
    method: str = ""
    failed_before: int = 0  # failed attempts on the account since its previous sign-in (shown, then reset)
    refused_before: int = 0  # of those, refused without a check (locked network, per-account delay)
    last_failed_at: datetime | None = None


def verify_second_factor(*, user: StaffUser, code: str) -> SecondFactor:
    """Check a TOTP code (each accepted once: django-otp keeps the last time step) or a recovery code
    (deleted when used). Audits the outcome. Throttle counters are committed either way."""
    code = rules.clean_code(code)
    with transaction.atomic():
        totp, static = confirmed_devices(user)
        device: Device | None = totp if rules.looks_like_totp(code, totp.digits if totp else 6) else static
        method = "totp" if device is totp else "recovery_code"
        if device is None:
            result = SecondFactor(device=None, method=method)
        else:
            device = type(device).objects.select_for_update().get(pk=device.pk)
            allowed, _info = device.verify_is_allowed()
            if not allowed:
                return SecondFactor(device=None, throttled=True, method=method)
            token = code if method == "totp" else _stored_recovery_token(device, code)
            result = SecondFactor(device=device if device.verify_token(token) else None, method=method)
        details: dict[str, Any] = {"method": method}
        if result.device is not None and method == "recovery_code":
            details["recovery_codes_left"] = StaticToken.objects.filter(device=result.device).count()
        if result.device is not None:
            result = _take_failed_sign_ins(user, result)
            if result.failed_before:
                details["failed_attempts_before"] = result.failed_before
        audit.record(
            actor=user,
            action="staff.signed_in" if result.device is not None else "staff.second_factor_refused",
            object_type="staff",
            object_id=user.pk,
            details=details,
        )
    return result


def _take_failed_sign_ins(user: StaffUser, result: SecondFactor) -> SecondFactor:
    """Read the account's failed-attempt counters for the sign-in page to show, and start them again at zero."""
    failed, refused, last_at = (
        StaffUser.objects.select_for_update()
        .filter(pk=user.pk)
        .values_list("failed_sign_ins", "refused_sign_ins", "last_failed_sign_in_at")
        .get()
    )
    if failed:
        StaffUser.objects.filter(pk=user.pk).update(failed_sign_ins=0, refused_sign_ins=0)
    return SecondFactor(
        device=result.device,
        method=result.method,
        failed_before=failed,
        refused_before=refused,
        last_failed_at=last_at,
    )


# --- sign-in protection ---------------------------------------------------------------------------------
def note_failed_sign_in(*, email: str, refused: bool) -> None:
    """Count a failed attempt on the account `email` names (nothing for an unknown email), to be shown at its
    next sign-in. `refused`: turned away without a check (locked network or per-account delay).

    Deliberately not audited: anyone on the internet can fail to sign in, and one audit entry each would let
    them write to the audit chain (one lock for every audited write) at will. django-axes keeps the security
    record of failures; this is one counter per account that no attack makes bigger than a row."""
    changes: dict[str, Any] = {"failed_sign_ins": F("failed_sign_ins") + 1, "last_failed_sign_in_at": timezone.now()}
    if refused:
        changes["refused_sign_ins"] = F("refused_sign_ins") + 1
    StaffUser.objects.filter(email=email).update(**changes)


@transaction.atomic
def unlock_sign_in(*, user: StaffUser, actor: StaffUser | str) -> lockout.AccountFailures:
    """An admin lifts the lockout of an account from every network (and its per-account delay) at once.
    Returns what was cleared. The failures of an attacker are cleared too: they may try again."""
    state = lockout.account_failures(user.email)
    AxesProxyHandler.reset_attempts(username=user.email)
    audit.record(
        actor=actor, action="staff.sign_in_unlocked", object_type="staff", object_id=user.pk,
        details={"failures": state.failures, "networks": state.networks, "locked_networks": state.locked_networks},
    )  # fmt: skip
    return state


@transaction.atomic
def prune_sign_in_records(*, now: datetime | None = None) -> int:
    """Delete django-axes' sign-in records (account, network, user agent, time) older than
    HOTLINE_STAFF_SIGN_IN_RECORD_DAYS, and failed attempts older than the cool-off (they no longer count toward
    any lock). Audited (numbers only) when something was deleted. Returns how many rows went."""
    now = now or timezone.now()
    days = conf.sign_in_record_days()
    cutoff = now - timedelta(days=days)
    sign_ins, _ = AccessLog.objects.filter(attempt_time__lt=cutoff).delete()
    failure_log, _ = AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
    attempts, _ = AccessAttempt.objects.filter(attempt_time__lt=max(cutoff, now - settings.AXES_COOLOFF_TIME)).delete()
    total = sign_ins + failure_log + attempts
    if total:
        audit.record(
            actor=audit.SYSTEM, action="staff.sign_in_records_pruned", object_type="staff",
            details={"sign_ins": sign_ins, "failure_log": failure_log, "attempts": attempts, "older_than_days": days},
        )  # fmt: skip
    return total


@transaction.atomic
def record_sign_out(*, user: StaffUser, reason: str = "logout") -> None:
    audit.record(
        actor=user, action="staff.signed_out", object_type="staff", object_id=user.pk, details={"reason": reason}
    )


@transaction.atomic
def record_audit_view(*, actor: StaffUser, filters: dict[str, Any]) -> None:
    """Reading the audit log is itself recorded (who looked, with which filters: ids only, never emails)."""
    audit.record(actor=actor, action="audit.viewed", object_type="audit", details={"filters": filters})


def verify_audit_chain(*, actor: StaffUser) -> tuple[int, audit.ChainBreak | None]:
    """Walk the whole chain (slow on millions of entries: outside any transaction), then record the result."""
    checked, broken = audit.verify()
    with transaction.atomic():
        audit.record(
            actor=actor, action="audit.chain_verified", object_type="audit",
            details={"checked": checked, "broken_at": broken.seq if broken else None},
        )  # fmt: skip
    return checked, broken


# --- partner API keys ---------------------------------------------------------------------
KEY_PREFIX = "hlk"


def hash_partner_key(key: str) -> str:
    """Partner keys carry 256 bits of randomness: a plain SHA-256 is enough (no slow hash needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_partner_key(
    *, partner: str, actor: StaffUser | str, scopes: Sequence[str] | None = None
) -> tuple[PartnerKey, str]:
    """A new API key for `partner`. Returns (record, key): the key is shown once and never stored."""
    partner = (partner or "").strip()
    if not partner or len(partner) > 120 or text_problem(partner, limit=120):
        raise StaffError(_("Give the partner a name of 1 to 120 characters."))
    if any(ch in partner for ch in ":\n\r\t"):
        raise StaffError(_("A partner name cannot contain ':' or line breaks."))
    for _attempt in range(5):
        prefix = secrets.token_hex(4)
        if not PartnerKey.objects.filter(prefix=prefix).exists():
            break
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        record = PartnerKey.objects.create(
            partner=partner,
            prefix=prefix,
            key_hash=hash_partner_key(key),
            scopes=list(scopes or DEFAULT_SCOPES),
            created_by=actor if isinstance(actor, StaffUser) else None,
        )
        audit.record(
            actor=actor,
            action="partner_key.created",
            object_type="partner_key",
            object_id=record.pk,
            details={"partner": partner, "prefix": prefix, "scopes": record.scopes},
        )
    return record, key


def _forget_cached_key(key_hash: str) -> None:
    from hotline.staff.selectors import forget_write_key  # selectors import this module

    forget_write_key(key_hash)


def revoke_partner_key(*, key: PartnerKey, actor: StaffUser | str) -> PartnerKey:
    """Revoke at once; requests with the key get 403 from then on. Revoking twice changes nothing."""
    with transaction.atomic():
        locked = PartnerKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            transaction.on_commit(lambda: _forget_cached_key(locked.key_hash))
            audit.record(
                actor=actor,
                action="partner_key.revoked",
                object_type="partner_key",
                object_id=locked.pk,
                details={"partner": locked.partner, "prefix": locked.prefix},
            )
    key.refresh_from_db()
    return key
