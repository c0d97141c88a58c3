"""The registry of partner hotlines (one per country or group of countries abroad) that referrals go to: one
model for routing and for the hotline network (channel `network`: code, base URL; the network app pins the keys)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core import audit
from hotline.referrals import conf
from hotline.referrals.errors import ReferralError, ReferralNotFound
from hotline.referrals.models import PartnerChannel, PartnerHotline
from hotline.referrals.services._common import clean_email
from hotline.staff.models import StaffUser

_CODE_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def _clean_partner(
    *, name: str, countries: str, referral_email: str, language: str, code: str, base_url: str, channel: str
) -> dict[str, str | None]:
    name = (name or "").strip()
    if not name:
        raise ReferralError(_("Give the partner hotline a name."))
    codes = [c.strip().upper() for c in (countries or "").replace(" ", ",").split(",") if c.strip()]
    if not codes or any(len(c) != 2 or not c.isalpha() for c in codes):
        raise ReferralError(_("Countries are two-letter ISO codes separated by commas, e.g. NL,BE."))
    if conf.home_country() in codes:
        raise ReferralError(_("A partner hotline cannot cover our own country."))
    if language not in {"sv", "en"}:
        raise ReferralError(_("Choose Swedish or English."))
    if channel not in PartnerChannel.values:
        raise ReferralError(_("Choose how referrals reach the partner: hotline network or email."))
    hotline_code = (code or "").strip().upper()
    if hotline_code and (len(hotline_code) > 32 or not set(hotline_code) <= _CODE_CHARACTERS):
        raise ReferralError(_("A hotline code has capital letters, digits and hyphens, e.g. NL-EOKM."))
    base_url = (base_url or "").strip()
    if channel == PartnerChannel.NETWORK and not (hotline_code and base_url):
        raise ReferralError(_("A partner reached over the hotline network needs its hotline code and base URL."))
    email = (referral_email or "").strip()
    if channel == PartnerChannel.EMAIL and not email:
        raise ReferralError(_("A partner reached by email needs its address for referrals."))
    return {
        "name": name[:120],
        "countries": ",".join(dict.fromkeys(codes)),
        "referral_email": clean_email(email) if email else "",
        "language": language,
        "code": hotline_code or None,
        "base_url": base_url[:300],
        "channel": channel,
    }


def create_partner(
    *,
    actor: StaffUser | str,
    name: str,
    countries: str,
    referral_email: str = "",
    language: str = "en",
    active: bool = True,
    code: str = "",
    base_url: str = "",
    channel: str = PartnerChannel.EMAIL,
) -> PartnerHotline:
    values = _clean_partner(
        name=name,
        countries=countries,
        referral_email=referral_email,
        language=language,
        code=code,
        base_url=base_url,
        channel=channel,
    )
    try:
        with transaction.atomic():
            partner = PartnerHotline.objects.create(active=active, **values)
            audit.record(
                actor=actor,
                action="referral.partner_created",
                object_type="partner_hotline",
                object_id=partner.pk,
                details={
                    "countries": partner.country_codes,
                    "language": partner.language,
                    "active": partner.active,
                    "channel": partner.channel,
                    "code": partner.code,
                },
            )
    except IntegrityError as exc:
        raise ReferralError(_("A partner hotline with this name or hotline code exists already.")) from exc
    return partner


def update_partner(
    *,
    partner_id: int,
    actor: StaffUser | str,
    name: str,
    countries: str,
    referral_email: str = "",
    language: str = "en",
    active: bool = True,
    code: str | None = None,
    base_url: str | None = None,
    channel: str | None = None,
) -> PartnerHotline:
    """Change a partner. Code, base URL and channel keep their values when not given (the email page of the
    registry does not show them)."""
    try:
        with transaction.atomic():
            partner = PartnerHotline.objects.select_for_update().filter(pk=partner_id).first()
            if partner is None:
                raise ReferralNotFound(_("No such partner hotline."))
            values = _clean_partner(
                name=name,
                countries=countries,
                referral_email=referral_email,
                language=language,
                code=partner.code or "" if code is None else code,
                base_url=partner.base_url if base_url is None else base_url,
                channel=partner.channel if channel is None else channel,
            )
            changed = sorted(k for k, v in {**values, "active": active}.items() if getattr(partner, k) != v)
            for key, value in values.items():
                setattr(partner, key, value)
            partner.active = active
            partner.save()
            audit.record(
                actor=actor,
                action="referral.partner_updated",
                object_type="partner_hotline",
                object_id=partner.pk,
                details={
                    "changed": changed,
                    "countries": partner.country_codes,
                    "active": partner.active,
                    "channel": partner.channel,
                },
            )
    except IntegrityError as exc:
        raise ReferralError(_("A partner hotline with this name or hotline code exists already.")) from exc
    return partner


def record_partner_contact(*, partner_id: int, at: datetime | None = None) -> None:
    """A verified message from the partner, or an acknowledged delivery to it: its last contact. Not audited
    on its own: the message it comes with is (inbox or outbox entry in the same transaction)."""
    PartnerHotline.objects.filter(pk=partner_id).update(last_contact_at=at or timezone.now())
