"""What the network writes on a case's timeline (kind "network", labelled by this app's timeline_labels)."""

from __future__ import annotations

from datetime import datetime

from hotline.cases.services import record_case_event
from hotline.referrals.models import PartnerHotline


def record_partner_status(*, case_id: int, partner: PartnerHotline, status: str, at: datetime) -> None:
    record_case_event(
        case_id=case_id,
        kind="network",
        actor=f"partner:{partner.code}",
        at=at,
        details={"action": "partner_status", "status": status, "partner": partner.pk},
    )
