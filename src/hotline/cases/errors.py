"""Domain errors of casework (re-exported by cases.services, where callers have always found them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hotline.core.errors import Conflict, DomainError


class CaseError(DomainError):
    """A case change that is not allowed; the message is for people (400)."""


class InvalidTransition(CaseError, Conflict):
    """The case's state does not allow this step (409)."""


class StaleCase(CaseError, Conflict):
    """The case changed after the form was opened (409)."""

    default_message = _("This case changed after you opened the form. Reload the page and try again.")


class CaseClaimed(CaseError, Conflict):
    """Another analyst holds the case (409)."""


class NotClaimed(CaseError, Conflict):
    """The acting analyst does not hold the case (409)."""


class ReviewRefused(CaseError):
    """A review that cannot be made: not waiting, not a supervisor, one's own assessment (400)."""


class ReportHashesRejected(CaseError):
    """Hashes that cannot be stored with a report; `problems` maps "hashes.<i>" (or "hashes") to a message for
    people (400). Nothing was stored."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(" ".join(dict.fromkeys(problems.values())))
