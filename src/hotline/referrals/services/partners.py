"""The registry of partner hotlines (one per country or group of countries abroad) that referrals go to."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hotline.core import audit
from hotline.referrals import conf
from hotline.referrals.errors import ReferralError, ReferralNotFound
from hotline.referrals.models import PartnerHotline
from hotline.referrals.services._common import clean_email
from hotline.staff.models import StaffUser


def _clean_partner(*, name: str, countries: str, referral_email: str, language: str) -> dict[str, str]:
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
    return {
        "name": name[:120],
        "countries": ",".join(dict.fromkeys(codes)),
        "referral_email": clean_email(referral_email),
        "language": language,
    }


def create_partner(
    *, actor: StaffUser, name: str, countries: str, referral_email: str, language: str = "en", active: bool = True
) -> PartnerHotline:
    values = _clean_partner(name=name, countries=countries, referral_email=referral_email, language=language)
    try:
        with transaction.atomic():
            partner = PartnerHotline.objects.create(active=active, **values)
            audit.record(
                actor=actor,
                action="referral.partner_created",
                object_type="partner_hotline",
                object_id=partner.pk,
                details={"countries": partner.country_codes, "language": partner.language, "active": partner.active},
            )
    except IntegrityError as exc:
        raise ReferralError(_("A partner hotline with this name exists already.")) from exc
    return partner


def update_partner(
    *,
    partner_id: int,
    actor: StaffUser,
    name: str,
    countries: str,
    referral_email: str,
    language: str = "en",
    active: bool = True,
) -> PartnerHotline:
    values = _clean_partner(name=name, countries=countries, referral_email=referral_email, language=language)
    try:
        with transaction.atomic():
            partner = PartnerHotline.objects.select_for_update().filter(pk=partner_id).first()
            if partner is None:
                raise ReferralNotFound(_("No such partner hotline."))
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
                details={"changed": changed, "countries": partner.country_codes, "active": partner.active},
            )
    except IntegrityError as exc:
        raise ReferralError(_("A partner hotline with this name exists already.")) from exc
    return partner
