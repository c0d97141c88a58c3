"""Reads about who may act: enrolment links, accounts, partner API keys (the partner API authenticates here),
and pages of the audit log (keyset on the unique seq)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from hotline.core.models import AuditEntry
from hotline.staff.models import EnrolmentLink, PartnerKey, StaffUser
from hotline.staff.services import hash_partner_key, hash_token

AUDIT_PAGE_SIZE = 50


def enrolment_link_for_token(*, token: str) -> EnrolmentLink | None:
    """The link behind a token if it can still be used (unused, not expired, account active), else None."""
    if not token or len(token) > 200:
        return None
    link = EnrolmentLink.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    if link is None or link.used_at is not None or link.expires_at <= timezone.now() or not link.user.is_active:
        return None
    return link


def staff_list() -> QuerySet[StaffUser]:
    from django.contrib.auth.models import Group

    return StaffUser.objects.order_by("email").prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("name"), to_attr="role_groups")
    )


def staff_member(*, user_id: int) -> StaffUser | None:
    return StaffUser.objects.filter(pk=user_id).first()


def has_confirmed_totp(user: StaffUser) -> bool:
    from hotline.staff.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: StaffUser) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def recovery_codes_left_if_issued(user: StaffUser) -> int | None:
    """Unused recovery codes, or None when the account never got any (no confirmed recovery device: accounts
    made outside enrolment, such as test and set-up accounts; enrolment always issues them)."""
    from django_otp.plugins.otp_static.models import StaticDevice

    if not StaticDevice.objects.filter(user=user, confirmed=True).exists():
        return None
    return recovery_codes_left(user)


@dataclass(frozen=True)
class AuditFilters:
    """What the audit browser filters on. `actor` is an email (a staff member) or a label such as 'system'."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_audit_details(self, actor_id: int | None) -> dict[str, Any]:
        """The filters as they go into the audit entry of the view: the actor by id, never an email."""
        details: dict[str, Any] = {
            k: v
            for k, v in (("action", self.action), ("object_type", self.object_type), ("object_id", self.object_id))
            if v
        }
        if actor_id is not None:
            details["actor_id"] = actor_id
        elif "@" in self.actor:
            details["actor_unknown_email"] = True  # the typed address itself is not kept
        elif self.actor:
            details["actor_label"] = self.actor
        if self.date_from:
            details["date_from"] = self.date_from.isoformat()
        if self.date_to:
            details["date_to"] = self.date_to.isoformat()
        return details


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    newer: int | None = None  # pass as ?after= to see the newer page
    older: int | None = None  # pass as ?before= to see the older page
    actor_id: int | None = None
    unknown_actor: bool = False


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def resolve_actor(actor: str) -> tuple[int | None, bool]:
    """(staff id, unknown) for an actor filter written as an email; (None, False) for a label."""
    if "@" not in actor:
        return None, False
    pk = StaffUser.objects.filter(email=actor.strip().lower()).values_list("pk", flat=True).first()
    return pk, pk is None


def audit_page(
    *, filters: AuditFilters, before: int | None = None, after: int | None = None, size: int = AUDIT_PAGE_SIZE
) -> AuditPage:
    """One page of entries, newest first. Keyset pagination on `seq` (unique index): every page costs the
    same on a million entries, no OFFSET and no COUNT."""
    qs = AuditEntry.objects.all()
    actor_id, unknown = resolve_actor(filters.actor) if filters.actor else (None, False)
    if unknown:
        return AuditPage(entries=[], unknown_actor=True)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    elif filters.actor:
        qs = qs.filter(actor_label=filters.actor.strip())
    if filters.action:
        action = filters.action.strip()
        qs = qs.filter(action__startswith=action[:-1]) if action.endswith("*") else qs.filter(action=action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type.strip())
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id.strip())
    if filters.date_from:
        qs = qs.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_day_start(filters.date_to + timedelta(days=1)))

    if after is not None:
        # The page just newer than `after`: read upwards, then show newest first.
        rows = list(qs.filter(seq__gt=after).order_by("seq")[: size + 1])
        has_more_newer = len(rows) > size
        entries = list(reversed(rows[:size]))
        newer = entries[0].seq if has_more_newer and entries else None
        older = entries[-1].seq if entries else None
        return AuditPage(entries=entries, newer=newer, older=older, actor_id=actor_id)

    if before is not None:
        qs = qs.filter(seq__lt=before)
    rows = list(qs.order_by("-seq")[: size + 1])
    entries = rows[:size]
    return AuditPage(
        entries=entries,
        newer=entries[0].seq if before is not None and entries else None,
        older=entries[-1].seq if len(rows) > size else None,
        actor_id=actor_id,
    )


def last_chain_verification() -> AuditEntry | None:
    """The newest 'audit.chain_verified' entry (who checked, when, and the result), read off the action index."""
    return AuditEntry.objects.filter(action="audit.chain_verified").order_by("-seq").first()


# --- partner API keys ---------------------------------------------------------------------
def partner_key_for(token: str) -> PartnerKey | None:
    """The key record for a presented bearer token (revoked ones included; the caller decides)."""
    if not token or len(token) > 200:
        return None
    # One plain SELECT by the unique key_hash (the ORM's query building cost more than the query itself).
    table = connection.ops.quote_name(PartnerKey._meta.db_table)
    found = PartnerKey.objects.raw(
        f"SELECT * FROM {table} WHERE key_hash = %s",  # noqa: S608 (our table name)  # nosec B608  # quoted model identifiers; values are %s parameters
        [hash_partner_key(token)],
    )
    return next(iter(found), None)


# Keys recently seen live, by token hash, per process: {hash: (key, monotonic time of the read)}.
# Only for writes, which check again that the key is not revoked in the very statement that stores
# the report (intake's store.write_report): a revocation is refused at once, the cache only saves the SELECT.
WRITE_KEY_CACHE_SECONDS = 60.0
_write_keys: dict[str, tuple[PartnerKey, float]] = {}


def partner_key_for_write(token: str) -> PartnerKey | None:
    """partner_key_for, remembered for WRITE_KEY_CACHE_SECONDS while the key is live.

    Only for callers whose write refuses a revoked key itself (store.write_report's live_partner_key,
    intake's submit_report_batch). Unknown tokens are never remembered (no growth from guessing).
    """
    if not token or len(token) > 200:
        return None
    token_hash = hash_partner_key(token)
    remembered = _write_keys.get(token_hash)
    now = monotonic()
    if remembered is not None and now - remembered[1] < WRITE_KEY_CACHE_SECONDS:
        return remembered[0]
    key = partner_key_for(token)
    if key is not None and not key.is_revoked:
        if len(_write_keys) >= 1000:
            _write_keys.clear()
        _write_keys[token_hash] = (key, now)
    else:
        _write_keys.pop(token_hash, None)
    return key


def forget_write_key(key_hash: str) -> None:
    """Drop a key from this process's cache (after revoking it here)."""
    _write_keys.pop(key_hash, None)


def partner_keys() -> QuerySet[PartnerKey]:
    return PartnerKey.objects.annotate(report_count=Count("reports")).order_by("partner", "-created_at")
