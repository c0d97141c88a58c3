"""Partner hotlines built one way, for tests and demo data (never used by a request). Cases to refer come
from hotline.cases.factories (make_assessed_case). Made-up names under partners.example only.

A raw row unless an `actor` is given: then the `referral.partner_created` audit entry is recorded with it,
marked as demo data (services.create_partner is the path for staff, with its checks).
"""

from __future__ import annotations

from django.db import transaction

from hotline.core import audit
from hotline.referrals.models import PartnerHotline


def partner_hotline(
    name: str = "Demo hotline NL",
    countries: str = "NL",
    email: str = "hotline-nl@partners.example",
    language: str = "en",
    *,
    active: bool = True,
    actor: str | None = None,
    code: str | None = None,
    base_url: str = "",
    channel: str = "email",
) -> PartnerHotline:
    with transaction.atomic():
        partner = PartnerHotline.objects.create(
            name=name,
            countries=countries,
            referral_email=email,
            language=language,
            active=active,
            code=code,
            base_url=base_url,
            channel=channel,
        )
        if actor is not None:
            audit.record(
                actor=actor,
                action="referral.partner_created",
                object_type="partner_hotline",
                object_id=partner.pk,
                details={"countries": partner.country_codes, "demo": True},
            )
    return partner
