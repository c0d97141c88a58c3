"""The audit log in words: each action as a sentence a person reads, its object named, the raw entry kept for a
disclosure. Actions are written by every app; an action not listed here still reads as a sentence naming its part
of the system (and tests/test_staff_pages_speak_swedish.py lists the actions the demo writes)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

SENTENCES: dict[str, Any] = {
    "case.viewed": _("Opened the case page"),
    "case.claimed": _("Claimed the case"),
    "case.released": _("Released the claim on the case"),
    "case.assessed": _("Assessed the case"),
    "case.assessment_opened": _("Started assessing the case"),
    "case.assessment_left": _("Left the assessment page"),
    "case.transition": _("Moved the case to another state"),
    "case.note_added": _("Added a note to the case"),
    "case.url_copied": _("Copied the case's URL"),
    "case.hosting_country": _("Recorded the case's hosting country"),
    "case.demo_created": _("Created demo cases"),
    "cases.anonymised": _("Anonymised cases whose retention period ran out"),
    "cases.notes_deleted": _("Deleted notes whose retention period ran out"),
    "cases.priorities_refreshed": _("Refreshed the queue's priorities"),
    "cases.rederived": _("Applied changed URL rules to stored cases"),
    "assessment.reviewed": _("Reviewed an assessment (four eyes)"),
    "report.received": _("Received a tip"),
    "report.batch_received": _("Received a batch of tips"),
    "report.hashes_stored": _("Stored the hashes sent with a tip"),
    "report.message_added": _("The tipster added a message"),
    "report.reply_sent": _("Replied to the tipster on the status page"),
    "intake.hotline_replies_deleted": _("Deleted replies to tipsters whose retention period ran out"),
    "reports.triaged": _("Sorted tips into cases (triage)"),
    "reports.texts_erased": _("Erased tipsters' texts whose retention period ran out"),
    "reports.contact_erased": _("Erased tipsters' contact details whose retention period ran out"),
    "reports.urls_erased": _("Erased reported URLs whose retention period ran out"),
    "referral.planned": _("Planned a referral"),
    "referral.plan_viewed": _("Opened the referral plan"),
    "referral.plan_confirmed": _("Confirmed the referral plan"),
    "referral.sent": _("Sent a referral"),
    "referral.delivery_failed": _("A referral could not be delivered"),
    "referral.bounced": _("A referral bounced"),
    "referral.acknowledged": _("A referral was acknowledged"),
    "referral.auto_reply": _("An automatic reply to a referral arrived"),
    "referral.content_removed": _("Marked the material as removed"),
    "referral.escalated": _("Escalated a referral"),
    "referral.escalation_mailed": _("Mailed an escalation"),
    "referral.package_built": _("Built a police package"),
    "referral.package_downloaded": _("Downloaded a police package"),
    "referral.packages_erased": _("Erased police packages whose retention period ran out"),
    "referral.anonymised": _("Anonymised referrals whose retention period ran out"),
    "referral.partner_created": _("Added a partner hotline"),
    "referral.partner_updated": _("Changed a partner hotline"),
    "staff.signed_in": _("Signed in"),
    "staff.signed_out": _("Signed out"),
    "staff.second_factor_refused": _("A second factor was refused"),
    "staff.created": _("Created a staff account"),
    "staff.activated": _("Reactivated a staff account"),
    "staff.deactivated": _("Deactivated a staff account"),
    "staff.roles_changed": _("Changed a staff member's roles"),
    "staff.enrolled": _("Finished setting up two-factor sign-in"),
    "staff.enrolment_started": _("Started setting up two-factor sign-in"),
    "staff.enrolment_link_issued": _("Issued an enrolment link"),
    "staff.two_factor_reset": _("Reset a staff member's two-factor sign-in"),
    "staff.sign_in_unlocked": _("Unlocked sign-in for an account"),
    "staff.sign_in_records_pruned": _("Deleted old sign-in records"),
    "partner_key.created": _("Created a partner API key"),
    "partner_key.revoked": _("Revoked a partner API key"),
    "audit.viewed": _("Opened the audit log"),
    "audit.chain_verified": _("Verified the audit log's chain"),
    "audit.archived": _("Archived old audit entries"),
    "crypto.data_key_rotated": _("Rotated the data encryption key"),
    "petition.created": _("Created a petition"),
    "petition.updated": _("Changed a petition"),
    "petition.opened": _("Opened a petition for signing"),
    "petition.closed": _("Closed a petition"),
    "petition.signed": _("A petition was signed"),
    "petition.sign_repeated": _("A petition was signed again with the same address"),
    "petition.signature_confirmed": _("A signature was confirmed"),
    "petition.signature_added_verified": _("Added a verified signature"),
    "petition.signatures_invalidated": _("Invalidated signatures"),
    "petition.signers_erased": _("Erased signers' personal data"),
    "petition.personal_data_erased": _("Erased a petition's personal data"),
    "petition.pending_signatures_deleted": _("Deleted unconfirmed signatures"),
    "petition.export_requested": _("Asked for a petition export"),
    "petition.export_built": _("Built a petition export"),
    "petition.export_failed": _("A petition export failed"),
    "petition.export_downloaded": _("Downloaded a petition export"),
    "petition.export_deleted": _("Deleted a petition export"),
    "petition.exports_deleted": _("Deleted old petition exports"),
    "newsletter.subscribe_requested": _("Someone asked to subscribe to the newsletter"),
    "newsletter.subscribe_repeated": _("Someone asked again to subscribe to the newsletter"),
    "newsletter.confirmed": _("A newsletter subscription was confirmed"),
    "newsletter.unsubscribed": _("Someone unsubscribed from the newsletter"),
    "newsletter.preferences_changed": _("Newsletter preferences changed"),
    "newsletter.subscriber_imported": _("Imported a newsletter subscriber"),
    "newsletter.subscriber_erased": _("Erased a newsletter subscriber"),
    "newsletter.subscribers_exported": _("Downloaded the list of newsletter subscribers"),
    "newsletter.stale_subscribers_deleted": _("Deleted unconfirmed newsletter subscribers"),
    "newsletter.issue_created": _("Wrote a newsletter issue"),
    "newsletter.issue_updated": _("Changed a newsletter issue"),
    "newsletter.issue_sending": _("Started sending a newsletter issue"),
    "newsletter.issue_sent": _("Sent a newsletter issue"),
    "newsletter.issue_stopped": _("Sending a newsletter issue stopped"),
    "newsletter.issue_resumed": _("Resumed sending a newsletter issue"),
    "tracing.trace_requested": _("Asked for a hosting trace"),
    "tracing.traces_requested": _("Asked for hosting traces"),
    "tracing.trace_ok": _("Traced where a host is"),
    "tracing.trace_failed": _("A hosting trace failed"),
    "tracing.trace_abandoned": _("Gave up a hosting trace"),
    "intake.idempotency_records_deleted": _("Deleted old repeat-protection records of the partner API"),
    "retention.rate_counters_deleted": _("Deleted old rate-limit counters"),
}

# The part of the system an action belongs to (its prefix), for actions without a sentence of their own.
PARTS: dict[str, Any] = {
    "case": _("Casework"),
    "cases": _("Casework"),
    "assessment": _("Casework"),
    "report": _("Tips"),
    "reports": _("Tips"),
    "referral": _("Referrals"),
    "staff": _("Staff accounts"),
    "partner_key": _("Partner API keys"),
    "audit": _("Audit log"),
    "petition": _("Petitions"),
    "newsletter": _("Newsletter"),
    "tracing": _("Hosting traces"),
}

OBJECTS: dict[str, Any] = {
    "case": _("case"),
    "report": _("tip"),
    "referral": _("referral"),
    "staff": _("staff member"),
    "staffuser": _("staff member"),
    "petition": _("petition"),
    "partner_key": _("partner API key"),
    "partnerkey": _("partner API key"),
    "newsletter_issue": _("newsletter issue"),
}


def register(
    *,
    sentences: dict[str, Any] | None = None,
    parts: dict[str, Any] | None = None,
    objects: dict[str, Any] | None = None,
) -> None:
    """An app above staff names its own audit actions, parts and objects (from its AppConfig.ready())."""
    SENTENCES.update(sentences or {})
    PARTS.update(parts or {})
    OBJECTS.update(objects or {})


def action_sentence(action: str) -> str:
    known = SENTENCES.get(action)
    if known is not None:
        return str(known)
    part = PARTS.get(action.split(".", 1)[0])
    if part is not None:
        return str(_("Another step in %(part)s") % {"part": part})
    return str(_("Another recorded step"))


def object_words(object_type: str, object_id: str) -> str:
    """The object of an entry in words ("case 12"); "" when there is none."""
    if not object_type and not object_id:
        return ""
    noun = OBJECTS.get(object_type)
    if noun is None:
        return str(object_id) if object_id else ""
    return f"{noun} {object_id}".strip()
