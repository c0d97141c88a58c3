"""The partner registry's network side (admins): fetch a partner's identity document from the base URL an
administrator typed, show its key fingerprints for confirmation by phone, pin the confirmed keys, end a key
rotation's overlap, switch a partner between network and email. Every change audited. The partner row itself
is referrals.PartnerHotline, written through referrals' services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core import audit
from hotline.network import conf
from hotline.network.errors import NetworkError, PartnerNotFound
from hotline.network.models import PinnedKey
from hotline.network.protocol import (
    IDENTITY_PATH,
    Identity,
    ProtocolError,
    canonical_base_url,
    decode_json,
    endpoint_url,
    fingerprint,
    parse_identity,
    verify_response,
)
from hotline.network.protocol.keys import _b64url, raw_public_key
from hotline.referrals import services as referral_services
from hotline.referrals.models import PartnerChannel, PartnerHotline
from hotline.staff.models import StaffUser


@dataclass(frozen=True)
class FetchedKey:
    key_id: str
    fingerprint: str
    pinned: bool  # already pinned for this partner


@dataclass(frozen=True)
class FetchedIdentity:
    identity: Identity
    keys: tuple[FetchedKey, ...]
    partner: PartnerHotline | None  # the registered partner with this code, if any


def fetch_identity(*, base_url: str) -> FetchedIdentity:
    """GET the identity document at `base_url` (the one outgoing request of registration; never a reported URL),
    check it against its schema, check that its answer is signed by a key it lists, and that it names the base
    URL it was fetched from. Raises NetworkError with a message for the administrator."""
    from hotline.network import transport

    try:
        base = canonical_base_url(base_url)
        url = endpoint_url(base, IDENTITY_PATH)
        transport.check_url_allowed(url)
    except (ValueError, transport.TransportError) as exc:
        raise NetworkError(_("The base URL is not usable: %(reason)s") % {"reason": str(exc)}) from exc
    request_headers = {"Accept": "application/json"}
    try:
        answer = transport.request("GET", url, headers=request_headers, timeout=conf.send_timeout())
    except transport.TransportError as exc:
        raise NetworkError(_("The partner's identity could not be fetched: %(reason)s") % {"reason": str(exc)}) from exc
    if answer.status != 200:
        raise NetworkError(
            _("The partner answered HTTP %(status)s instead of its identity.") % {"status": answer.status}
        )
    try:
        identity = parse_identity(decode_json(answer.body))
        verify_response(
            answer.status,
            answer.headers,
            answer.body,
            request_method="GET",
            request_url=url,
            request_headers=request_headers,
            resolve_key=identity.keys.get,
            now=timezone.now(),
            window=conf.replay_window(),
        )
    except ProtocolError as exc:
        raise NetworkError(_("The identity document was not accepted (%(code)s).") % {"code": exc.code}) from exc
    if identity.base_url != base:
        raise NetworkError(_("The identity document names another base URL than the one it was fetched from."))
    partner = PartnerHotline.objects.filter(code=identity.code).first()
    pinned = set(PinnedKey.objects.filter(partner=partner, retired_at=None).values_list("key_id", flat=True))
    keys = tuple(
        FetchedKey(key_id=kid, fingerprint=fingerprint(key), pinned=kid in pinned) for kid, key in identity.keys.items()
    )
    return FetchedIdentity(identity=identity, keys=keys, partner=partner)


def register_partner(
    *, actor: StaffUser | str, base_url: str, confirmed_key_ids: Iterable[str], language: str = "en"
) -> PartnerHotline:
    """Register (or update) the partner at `base_url` with channel network and pin the keys the administrator
    confirmed by phone. The document is fetched again here: nothing a browser posted is trusted."""
    fetched = fetch_identity(base_url=base_url)
    identity = fetched.identity
    confirmed = set(confirmed_key_ids)
    to_pin = {kid: key for kid, key in identity.keys.items() if kid in confirmed}
    if not to_pin and not any(k.pinned for k in fetched.keys):
        raise NetworkError(_("Confirm at least one key fingerprint with the partner before trusting it."))
    with transaction.atomic():
        existing = fetched.partner
        common = {
            "name": identity.name,
            "countries": ",".join(identity.countries),
            "code": identity.code,
            "base_url": identity.base_url,
            "channel": PartnerChannel.NETWORK,
        }
        if existing is None:
            partner = referral_services.create_partner(actor=actor, language=language, active=True, **common)
        else:  # a known partner (key rotation, moved base URL): its address, language and switch stay
            partner = referral_services.update_partner(
                partner_id=existing.pk,
                actor=actor,
                referral_email=existing.referral_email,
                language=existing.language,
                active=existing.active,
                **common,
            )
        for kid, key in to_pin.items():
            _pin(
                partner=partner,
                kid=kid,
                raw=_b64url(raw_public_key(key)),
                key_fingerprint=fingerprint(key),
                actor=actor,
            )
    return partner


def _pin(*, partner: PartnerHotline, kid: str, raw: str, key_fingerprint: str, actor: StaffUser | str) -> None:
    existing = PinnedKey.objects.filter(key_id=kid).first()
    if existing is not None:
        if existing.partner_id != partner.pk:
            raise NetworkError(_("This key is pinned for another partner hotline."))
        if existing.retired_at is None:
            return
        existing.retired_at = None  # pinned again after it was retired: the administrator confirmed it anew
        existing.pinned_by = actor if isinstance(actor, StaffUser) else None
        existing.pinned_at = timezone.now()
        existing.save()
        key = existing
    else:
        key = PinnedKey.objects.create(
            partner=partner,
            key_id=kid,
            public_key=raw,
            fingerprint=key_fingerprint,
            pinned_by=actor if isinstance(actor, StaffUser) else None,
        )
    audit.record(
        actor=actor,
        action="network.key_pinned",
        object_type="partner_hotline",
        object_id=partner.pk,
        details={"key_id": kid, "fingerprint": key_fingerprint, "pinned_key": key.pk},
    )


def retire_key(*, actor: StaffUser, key_pk: int) -> PinnedKey:
    """End a rotation's overlap: the old key no longer verifies. The last live key cannot be retired (pin
    the new one first, or deactivate the partner)."""
    with transaction.atomic():
        key = PinnedKey.objects.select_for_update().filter(pk=key_pk, retired_at=None).first()
        if key is None:
            raise PartnerNotFound(_("No such pinned key."))
        live = PinnedKey.objects.filter(partner_id=key.partner_id, retired_at=None).count()
        if live <= 1:
            raise NetworkError(_("This is the partner's only key: pin its new key before retiring this one."))
        key.retired_at = timezone.now()
        key.save(update_fields=["retired_at"])
        audit.record(
            actor=actor,
            action="network.key_retired",
            object_type="partner_hotline",
            object_id=key.partner_id,
            details={"key_id": key.key_id, "fingerprint": key.fingerprint},
        )
    return key


def set_partner(*, actor: StaffUser, partner_id: int, active: bool, channel: str) -> PartnerHotline:
    """Switch a partner on or off, or between the network and email (its other fields unchanged)."""
    partner = PartnerHotline.objects.filter(pk=partner_id).first()
    if partner is None:
        raise PartnerNotFound(_("No such partner hotline."))
    try:
        return referral_services.update_partner(
            partner_id=partner.pk,
            actor=actor,
            name=partner.name,
            countries=partner.countries,
            referral_email=partner.referral_email,
            language=partner.language,
            active=active,
            channel=channel,
        )
    except referral_services.ReferralError as exc:
        raise NetworkError(str(exc)) from exc
