"""The police package of a referral: built once by the worker and stored (encrypted) with its SHA-256, handed
out on download (the police liaison's download marks it delivered; a staff download is an audited copy)."""

from __future__ import annotations

import base64

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core import audit
from hotline.core.authz import POLICE_LIAISON, user_has_any_role
from hotline.referrals import conf, selectors
from hotline.referrals.errors import ReferralError
from hotline.referrals.models import Referral, ReferralState, Target
from hotline.referrals.package import build_police_package
from hotline.referrals.services._common import SYSTEM, case_event, lock_referral, set_state
from hotline.staff.models import StaffUser


def ensure_police_package(referral: Referral) -> Referral:
    """The referral with its package: built from the case now unless one is stored already."""
    if referral.package_sha256:
        return referral
    data = selectors.police_case_data(referral=referral)
    package = build_police_package(
        data, generated_at=timezone.now().isoformat(timespec="seconds"), language=conf.police_language()
    )
    return store_police_package(
        referral_id=referral.pk, content=package.content, sha256=package.sha256, files=package.files
    )


def store_police_package(*, referral_id: int, content: bytes, sha256: str, files: dict[str, str]) -> Referral:
    """Keep the built package (encrypted) with its SHA-256, recorded in the audit log. Once per referral."""
    with transaction.atomic():
        referral = lock_referral(referral_id)
        if referral.package_sha256:
            return referral
        referral.package = base64.b64encode(content).decode("ascii")
        referral.package_sha256 = sha256
        referral.package_built_at = timezone.now()
        referral.save(update_fields=["package", "package_sha256", "package_built_at"])
        audit.record(
            actor=SYSTEM,
            action="referral.package_built",
            object_type="referral",
            object_id=referral.pk,
            details={"case": referral.case_id, "sha256": sha256, "files": files, "bytes": len(content)},
        )
    return referral


def package_content(referral: Referral) -> bytes:
    """The stored police package (a ZIP). Raises ReferralError once it was erased with the reporters'
    texts (erase_expired_police_packages): an empty file is never handed out or mailed."""
    if not referral.package:
        raise ReferralError(_("This police package was erased when its retention period ran out."))
    return base64.b64decode(referral.package)


def open_package(*, referral_id: int, actor: StaffUser) -> tuple[bytes, str, str]:
    """Hand out the police package (every download audited, with the hash).

    Only the recipient's own act moves a referral to delivered: the police liaison's download of a sent
    package (by download or by email: either way the police have it now). Anyone else's download is a copy
    for our own work and changes no state (issue 19: an analyst's download is no delivery)."""
    with transaction.atomic():
        referral = lock_referral(referral_id)
        if referral.target != Target.POLICE or not referral.package_sha256:
            raise ReferralError(_("No police package has been built for this referral yet."))
        content = package_content(referral)
        now = timezone.now()
        previous = referral.state
        by_recipient = user_has_any_role(actor, [POLICE_LIAISON])
        if by_recipient and referral.state == ReferralState.SENT:
            set_state(referral, ReferralState.DELIVERED, now)
            referral.delivered_at = now
            referral.save(update_fields=["state", "state_changed_at", "delivered_at"])
        audit.record(
            actor=actor,
            action="referral.package_downloaded",
            object_type="referral",
            object_id=referral.pk,
            details={
                "case": referral.case_id,
                "sha256": referral.package_sha256,
                "by_recipient": by_recipient,
                "from": previous,
                "to": referral.state,
            },
        )
        action = "package_collected" if by_recipient else "package_copied"
        case_event(case_id=referral.case_id, actor=actor, action=action, at=now, referral=referral.pk)
    return content, referral.package_sha256, f"police-referral-{referral.reference}.zip"
