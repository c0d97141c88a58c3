"""Email addresses of signers and subscribers: the one check an address passes, and its dedup key.

An address is kept as typed (trimmed), because mail goes exactly there. Duplicates are found through
`mailbox_key`: a blind index of the normalised mailbox (`rules.normalise_email`), one purpose per
table, so a signature's key never matches a subscriber's.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from hotline.campaigns import rules
from hotline.campaigns.errors import InvalidInput
from hotline.core.crypto import IndexPurpose, blind_index

MAX_EMAIL = 254
_email_validator = EmailValidator()


def clean_email(value: str) -> str:
    """A syntactically valid address (as typed, trimmed) or InvalidInput."""
    email = (value or "").strip()
    try:
        if not email or len(email) > MAX_EMAIL:
            raise ValidationError("bad length")
        _email_validator(email)
        rules.normalise_email(email)
    except (ValidationError, rules.InvalidEmail):
        raise InvalidInput({"email": _("Enter a valid email address, like name@example.com.")}) from None
    return email


def mailbox_key(email: str, *, purpose: IndexPurpose) -> str:
    """The dedup key of a cleaned address: every spelling of one mailbox gets the same key."""
    return blind_index(rules.normalise_email(email), purpose=purpose)


def signature_email_index(email: str) -> str:
    return mailbox_key(email, purpose=IndexPurpose.SIGNATURE_EMAIL)


def subscriber_email_index(email: str) -> str:
    return mailbox_key(email, purpose=IndexPurpose.SUBSCRIBER_EMAIL)
