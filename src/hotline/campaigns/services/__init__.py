"""Every write of the campaigns app, one module per use case, re-exported here for callers and tasks.

Each service validates, writes in one transaction, records an audit entry (ids and facts only) and
enqueues its mail or export task in the same transaction. Tasks call back into the `run_*` and
`deliver_*` functions, which are idempotent.

| module | what it owns |
| --- | --- |
| `addresses` | the check an email address passes (rewritten forms refused), its dedup key (the delivered mailbox) |
| `petitions` | a petition's life: draft, edit, open, close (by hand or at the deadline) |
| `signatures` | signing, the repeat that reveals nothing, confirming, verified signatures |
| `invalidation` | a campaigner's bulk invalidation by email domain and/or time window |
| `exports` | hand-over export records: request, build in the worker, download, delete |
| `subscribers` | newsletter double opt-in, unsubscribe, preferences, erasure, import, address export |
| `newsletter` | issues, the campaigner's side: drafts, sending (the recipient list frozen), resuming |
| `issue_sending` | issues, the worker's side: batches with a delivery row per recipient, stopping visibly |
| `delivery` | confirmation mails handed to SMTP with back-off (task bodies) |
| `retention` | erasure and deletion on a schedule |
"""

from hotline.campaigns.errors import InvalidInput, NotAllowed
from hotline.campaigns.services.addresses import (
    clean_email,
    delivered_mailbox,
    signature_email_index,
    subscriber_email_index,
)
from hotline.campaigns.services.delivery import deliver_signature_mail, deliver_subscriber_mail
from hotline.campaigns.services.exports import delete_export, record_export_download, request_export, run_export
from hotline.campaigns.services.invalidation import invalidate_signatures
from hotline.campaigns.services.issue_sending import BatchResult, run_issue_batch
from hotline.campaigns.services.newsletter import create_issue, resume_issue, send_issue, update_issue
from hotline.campaigns.services.petitions import (
    close_petition,
    close_petitions_past_deadline,
    create_petition,
    open_petition,
    update_petition,
)
from hotline.campaigns.services.retention import (
    delete_old_exports,
    delete_stale_pending_signatures,
    delete_unconfirmed_subscribers,
    erase_due_petitions,
    erase_petition_personal_data,
)
from hotline.campaigns.services.signatures import (
    SignOutcome,
    add_verified_signature,
    clean_signer,
    confirm_signature,
    sign_petition,
)
from hotline.campaigns.services.subscribers import (
    SubscribeOutcome,
    add_confirmed_subscriber,
    change_subscriber_language,
    confirm_subscriber,
    erase_subscriber,
    record_subscriber_export,
    subscribe,
    unsubscribe,
)

__all__ = [
    "BatchResult",
    "InvalidInput",
    "NotAllowed",
    "SignOutcome",
    "SubscribeOutcome",
    "add_confirmed_subscriber",
    "add_verified_signature",
    "change_subscriber_language",
    "clean_email",
    "clean_signer",
    "close_petition",
    "close_petitions_past_deadline",
    "confirm_signature",
    "confirm_subscriber",
    "create_issue",
    "create_petition",
    "delete_export",
    "delete_old_exports",
    "delete_stale_pending_signatures",
    "delete_unconfirmed_subscribers",
    "deliver_signature_mail",
    "deliver_subscriber_mail",
    "delivered_mailbox",
    "erase_due_petitions",
    "erase_petition_personal_data",
    "erase_subscriber",
    "invalidate_signatures",
    "open_petition",
    "record_export_download",
    "record_subscriber_export",
    "request_export",
    "resume_issue",
    "run_export",
    "run_issue_batch",
    "send_issue",
    "sign_petition",
    "signature_email_index",
    "subscribe",
    "subscriber_email_index",
    "unsubscribe",
    "update_issue",
    "update_petition",
]
