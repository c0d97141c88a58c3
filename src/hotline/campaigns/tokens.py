"""Signed, expiring tokens for the links in confirmation mails (signatures and newsletter sign-ups).

A token names the row and a per-row random salt, signed with the secret key (django.core.signing)
and timestamped, so it expires after HOTLINE_CAMPAIGN_CONFIRM_HOURS. Single use is enforced by the
row's state: a confirmed row refuses its link a second time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from hotline.campaigns import conf

# django.core.signing's namespace of each kind of link (its `salt` argument, passed here as `purpose`), not
# the per-row random salt that a token carries inside it.
SIGNATURE_SALT = "hotline.campaigns.signature-confirm"
SUBSCRIBER_SALT = "hotline.campaigns.subscriber-confirm"


class TokenInvalid(Exception):
    """Tampered, truncated or made for something else."""


class TokenExpired(Exception):
    """Genuine but older than the allowed age."""


@dataclass(frozen=True)
class TokenClaims:
    row_id: int
    salt: str


def make(*, row_id: int, salt: str, purpose: str) -> str:
    return signing.dumps([row_id, salt], salt=purpose, compress=False)


def read(token: str, *, purpose: str) -> TokenClaims:
    try:
        value = signing.loads(token, salt=purpose, max_age=conf.confirm_link_hours() * 3600)
    except signing.SignatureExpired as exc:
        raise TokenExpired from exc
    except signing.BadSignature as exc:
        raise TokenInvalid from exc
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)):
        raise TokenInvalid
    return TokenClaims(row_id=value[0], salt=value[1])
