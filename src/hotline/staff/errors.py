"""Domain errors of staff accounts (re-exported by staff.services, where callers have always found them)."""

from __future__ import annotations

from hotline.core.errors import DomainError


class StaffError(DomainError):
    """A staff change that cannot be made; the message is for people (400)."""


class EnrolmentLinkNotValid(StaffError):
    """The enrolment link is unknown, used, expired, or its account is deactivated (410: it is gone)."""

    status = 410
