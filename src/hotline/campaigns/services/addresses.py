"""Email addresses of signers and subscribers: the one check an address passes, and its dedup key.

An address is kept as typed (trimmed), because mail goes exactly there. Spellings that mail systems rewrite
before delivery (RFC 2047 encoded words, quoted local parts, routing with % or !) and address literals are
refused (`rules.rewritten_form`), so one mailbox cannot pass as many. Duplicates are found through
`mailbox_key`: a blind index of the mailbox the mail is delivered to (`delivered_mailbox`, what Django's SMTP
backend hands the mail server), normalised (`rules.normalise_email`), one purpose per table, so a
signature's key never matches a subscriber's.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.mail.message import sanitize_address
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from hotline.campaigns import rules
from hotline.campaigns.errors import InvalidInput
from hotline.core.crypto import IndexPurpose, blind_index

MAX_EMAIL = 254
_email_validator = EmailValidator()


def _refusal(form: rules.RewrittenForm | None) -> str:
    if form is rules.RewrittenForm.QUOTED:
        return _("Write the address without quotation marks, like name@example.com.")
    if form is rules.RewrittenForm.ADDRESS_LITERAL:
        return _("Use an address with a domain name, like name@example.com, not an IP address in brackets.")
    if form is rules.RewrittenForm.ROUTING:
        return _(
            # xgettext:no-python-format
            "Write the address of your own mailbox, like name@example.com: addresses with % or ! "
            "pass mail on to another mailbox."
        )
    return _(
        "Write the address the way you normally do, like name@example.com: an encoded form (=?…?=) "
        "is rewritten by mail systems."
    )


def clean_email(value: str) -> str:
    """A plain, syntactically valid address (as typed, trimmed) or InvalidInput saying what is wrong."""
    email = (value or "").strip()
    try:
        if not email or len(email) > MAX_EMAIL:
            raise ValidationError("bad length")
        _email_validator(email)
        rules.normalise_email(email)
    except (ValidationError, rules.InvalidEmail):
        raise InvalidInput({"email": _("Enter a valid email address, like name@example.com.")}) from None
    form = rules.rewritten_form(email)
    if form is not None:
        raise InvalidInput({"email": _refusal(form)})
    # Whatever else the mail backend would deliver elsewhere than typed is refused the same way: the
    # address kept is the one mailbox its key stands for.
    try:
        delivered = rules.split_email(delivered_mailbox(email))
    except (InvalidInput, rules.InvalidEmail):
        raise InvalidInput({"email": _refusal(None)}) from None
    if delivered != rules.split_email(email):
        raise InvalidInput({"email": _refusal(None)})
    return email


def delivered_mailbox(email: str) -> str:
    """The recipient Django's SMTP backend hands the mail server for `email` (it decodes encoded words,
    drops quotes and comments, and IDNA-encodes the domain): the mailbox the mail actually reaches."""
    try:
        return sanitize_address(email, "utf-8")
    except ValueError:
        raise InvalidInput({"email": _("Enter a valid email address, like name@example.com.")}) from None


def mailbox_key(email: str, *, purpose: IndexPurpose) -> str:
    """The dedup key of a cleaned address: every spelling of one delivered mailbox gets the same key."""
    return blind_index(rules.normalise_email(delivered_mailbox(email)), purpose=purpose)


def signature_email_index(email: str) -> str:
    return mailbox_key(email, purpose=IndexPurpose.SIGNATURE_EMAIL)


def subscriber_email_index(email: str) -> str:
    return mailbox_key(email, purpose=IndexPurpose.SUBSCRIBER_EMAIL)
