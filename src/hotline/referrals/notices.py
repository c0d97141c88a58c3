"""The messages a referral sends: notice to host (with X-ARF v4), partner referral, police email, escalation.

Built from snapshots only; they carry URLs, facts and references — never media, never victim or
reporter data. The X-ARF report is built and validated with the `xarf` library.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC
from email.utils import parseaddr
from typing import Any

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hotline.referrals import conf
from hotline.referrals.selectors.snapshots import ReferralSnapshot

CSEM_KINDS = {"grooming": "grooming", "trafficking": "trafficking", "sextortion": "sextortion"}
MEDIA_TYPES = {"image": "image", "video": "video", "text": "text", "live_stream": "video"}
PLATFORMS = {
    "social_network": "social_media",
    "chat": "messaging_app",
    "forum": "forum",
    "video_platform": "social_media",
}
_DOMAIN_RE = re.compile(r"^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}$")
_TAG_RE = re.compile(r"[^a-z0-9_+-]")

MEDIA_WORDS = {
    "image": gettext_noop("images"),
    "video": gettext_noop("videos"),
    "text": gettext_noop("text"),
    "live_stream": gettext_noop("live streams"),
}


class XarfError(Exception):
    """The X-ARF report could not be built or does not validate against the v4 schema."""


def notice_language(country: str) -> str:
    return "sv" if (country or "").upper() in conf.swedish_notice_countries() else "en"


# uuid5 namespace of X-ARF report ids (a fixed random value: the ids need only be unique to this software).
_XARF_NAMESPACE = uuid.UUID("6f1d1b0e-5c3a-4f59-9d1e-2b7c8a4e9f10")


def _contact() -> dict[str, str]:
    """The X-ARF contact of the sender: the bare address of the From setting (a display name such as
    "Hotline <hotline@hotline.example>" is dropped) with its domain in A-labels, as the v4 schema's
    `email` and `hostname` formats require."""
    from hotline.cases.canonical import UnacceptableUrl, domain_to_ascii

    address = parseaddr(conf.from_email())[1]
    local, at, domain = address.rpartition("@")
    try:
        ascii_domain = domain_to_ascii(domain) if at and local else ""
    except UnacceptableUrl:
        ascii_domain = ""
    if not ascii_domain:
        raise XarfError("The sender (HOTLINE_REFERRAL_FROM_EMAIL or DEFAULT_FROM_EMAIL) is not an email address.")
    return {"org": conf.organisation()[:200], "contact": f"{local}@{ascii_domain}", "domain": ascii_domain}


def build_xarf(snapshot: ReferralSnapshot) -> dict[str, Any]:
    """An X-ARF v4 `content/csam` (or `content/csem` for grooming, trafficking, sextortion) report."""
    import xarf

    if not snapshot.canonical_url:
        raise XarfError("The case has no URL: an X-ARF content report needs one.")
    kind = snapshot.assessment_kind
    contact = _contact()
    source = snapshot.hosting.ips[0] if snapshot.hosting.ips else snapshot.host
    fields: dict[str, Any] = {
        "url": snapshot.canonical_url,
        "evidence_source": "user_report",
        "description": (
            f"Reported to {conf.organisation()} and assessed by its analyst. Reference {snapshot.reference}. "
            "No media is attached."
        )[:1000],
        "tags": [f"reference:{_TAG_RE.sub('-', snapshot.reference.lower())}"],
    }
    host = (snapshot.host or "").lower()
    if _DOMAIN_RE.match(host):
        fields["domain"] = host
    if kind in CSEM_KINDS:
        fields.update(
            type="csem",
            exploitation_type=CSEM_KINDS[kind],
            detection_method="manual_review",
            platform=PLATFORMS.get(snapshot.site_type, "other"),
        )
    else:
        media = {MEDIA_TYPES[m] for m in snapshot.media_types if m in MEDIA_TYPES}
        fields.update(
            type="csam",
            classification="baseline" if snapshot.verdict == "csam_baseline" else conf.xarf_national_classification(),
            detection_method="manual_review",
            content_removed=False,
        )
        if media:
            fields["media_type"] = media.pop() if len(media) == 1 else "mixed"
    report_type = fields.pop("type")
    result = xarf.create_report(
        category="content",
        type=report_type,
        source_identifier=source or "unknown",
        reporter=contact,
        sender=contact,
        **fields,
    )
    if result.errors or result.report is None:
        # Field names only: the schema's messages repeat the offending value (the reported URL).
        raise XarfError("invalid fields: " + (", ".join(sorted({e.field or "(root)" for e in result.errors})) or "?"))
    # create_report has validated the report against the v4 JSON schema, with format checking (the
    # tests validate every notice once more against the official schemas of xarf-spec).
    data: dict[str, Any] = result.report.model_dump(by_alias=True, exclude_none=True, mode="json")
    # X-ARF v4: `timestamp` is when the abuse occurred, not when the report was built (create_report
    # writes the build time): the first time the material was reported to us.
    data["timestamp"] = snapshot.first_seen_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    # The same notice has the same report id each time it is built (see _message_id: a resend after a
    # crash is the same report to the recipient's ticket system), a reminder a new one.
    data["report_id"] = str(uuid.uuid5(_XARF_NAMESPACE, f"{snapshot.reference}.{snapshot.notice_number}"))
    return data


def material_description(snapshot: ReferralSnapshot) -> str:
    """What kind of material, in the active language, without any detail about victims."""
    kind = snapshot.assessment_kind
    if kind == "grooming":
        text = _("Content used to groom children for sexual purposes.")
    elif kind == "trafficking":
        text = _("Content offering children for sexual exploitation (child sex trafficking).")
    elif kind == "sextortion":
        text = _("Content used for the sexual extortion of children.")
    elif snapshot.verdict == "csam_baseline":
        text = _("Child sexual abuse material that is illegal in every country (INTERPOL baseline).")
    elif snapshot.verdict == "csam_national":
        text = _("Child sexual abuse material that is illegal under the law of %(country)s.") % {
            "country": conf.home_country()
        }
    else:
        text = _("Material that our analyst assessed as requiring action.")
    media = [_(MEDIA_WORDS[m]) for m in snapshot.media_types if m in MEDIA_WORDS]
    if media:
        text += " " + _("Media: %(media)s.") % {"media": ", ".join(media)}
    return text


def _message_id(snapshot: ReferralSnapshot) -> str:
    """One Message-ID per notice (referral reference + notice number), the same each time it is built.

    Delivery is at least once: a worker that dies after the mail server accepted a message but before the
    result was committed sends it again when its claim runs out. With the same Message-ID the second copy is
    the same message to the recipient's mail and ticket systems, not a second notice. A reminder is a new
    notice (its own number), so it gets its own Message-ID.
    """
    try:
        domain = _contact()["domain"]
    except XarfError:  # a message without X-ARF still goes; only its Message-ID domain is a stand-in
        domain = "hotline.example"
    return f"<{snapshot.reference}.{snapshot.notice_number}.notice@{domain}>"


def _headers(snapshot: ReferralSnapshot, message_id: str) -> dict[str, str]:
    return {"Message-ID": message_id, "X-Hotline-Reference": snapshot.reference}


def notice_to_host(snapshot: ReferralSnapshot, *, xarf_report: dict[str, Any]) -> EmailMessage:
    language = snapshot.language or notice_language(snapshot.recipient_country)
    with translation.override(language):
        context = {
            "s": snapshot,
            "organisation": conf.organisation(),
            "legal_basis": conf.legal_basis(language),
            "material": material_description(snapshot),
            "reminder": snapshot.notice_number > 1,
        }
        if snapshot.notice_number > 1:
            subject = _("Reminder %(n)s: illegal material on your service – reference %(ref)s") % {
                "n": snapshot.notice_number - 1,
                "ref": snapshot.reference,
            }
        else:
            subject = _("Notice of illegal material on your service – reference %(ref)s") % {"ref": snapshot.reference}
        body = render_to_string("referrals/email/notice_to_host.txt", context)
    message_id = _message_id(snapshot)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=conf.from_email(),
        to=[snapshot.recipient_email],
        headers=_headers(snapshot, message_id),
    )
    message.attach(
        f"xarf-{snapshot.reference}.json", json.dumps(xarf_report, indent=2, ensure_ascii=False), "application/json"
    )
    return message


def partner_referral(snapshot: ReferralSnapshot, *, xarf_report: dict[str, Any] | None) -> EmailMessage:
    language = snapshot.language or "en"
    with translation.override(language):
        context = {
            "s": snapshot,
            "organisation": conf.organisation(),
            "material": material_description(snapshot),
            "home": conf.home_country(),
        }
        subject = _("Referral from %(org)s: material hosted in %(country)s – reference %(ref)s") % {
            "org": conf.organisation(),
            "country": snapshot.recipient_country or "?",
            "ref": snapshot.reference,
        }
        body = render_to_string("referrals/email/partner_referral.txt", context)
    message_id = _message_id(snapshot)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=conf.from_email(),
        to=[snapshot.recipient_email],
        headers=_headers(snapshot, message_id),
    )
    if xarf_report is not None:
        message.attach(
            f"xarf-{snapshot.reference}.json", json.dumps(xarf_report, indent=2, ensure_ascii=False), "application/json"
        )
    return message


def police_referral(snapshot: ReferralSnapshot, *, package: bytes, sha256: str) -> EmailMessage:
    language = conf.police_language()
    with translation.override(language):
        context = {"s": snapshot, "organisation": conf.organisation(), "sha256": sha256}
        subject = _("Police referral from %(org)s – reference %(ref)s") % {
            "org": conf.organisation(),
            "ref": snapshot.reference,
        }
        body = render_to_string("referrals/email/police_referral.txt", context)
    message_id = _message_id(snapshot)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=conf.from_email(),
        to=[snapshot.recipient_email],
        headers=_headers(snapshot, message_id),
    )
    message.attach(f"police-referral-{snapshot.reference}.zip", package, "application/zip")
    return message


def escalation(
    *, to: str, language: str, reference: str, case_id: int, notice_count: int, recipient_name: str
) -> EmailMessage:
    with translation.override(language if language in {"sv", "en"} else "sv"):
        subject = _("Notice not acted on after %(n)s sendings: case %(case)s") % {"n": notice_count, "case": case_id}
        body = render_to_string(
            "referrals/email/escalation.txt",
            {
                "reference": reference,
                "case_id": case_id,
                "notice_count": notice_count,
                "recipient_name": recipient_name,
                "base_url": conf.public_url(),
                "organisation": conf.organisation(),
            },
        )
    return EmailMessage(subject=subject, body=body, from_email=conf.from_email(), to=[to])
