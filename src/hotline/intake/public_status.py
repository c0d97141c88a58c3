"""What a reporter (receipt) or partner (API) may learn about a report: one of four public states."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.cases.models import CaseState


class PublicStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    BEING_ASSESSED = "being_assessed", _("Being assessed")
    FORWARDED = "forwarded", _("Forwarded")
    CLOSED = "closed", _("Closed")


EXPLANATIONS = {
    PublicStatus.RECEIVED: _("We have received your report. It is waiting to be assessed."),
    PublicStatus.BEING_ASSESSED: _("An analyst is assessing your report."),
    PublicStatus.FORWARDED: _(
        "Your report has been assessed and forwarded (for example to the police, to a partner hotline in the "
        "country where the material is hosted, or to the hosting provider)."
    ),
    PublicStatus.CLOSED: _("We have finished handling your report. Thank you for reporting."),
}

_CASE_TO_PUBLIC = {
    CaseState.NEW: PublicStatus.RECEIVED,
    CaseState.TRIAGED: PublicStatus.RECEIVED,
    CaseState.IN_ASSESSMENT: PublicStatus.BEING_ASSESSED,
    CaseState.ASSESSED: PublicStatus.BEING_ASSESSED,
    CaseState.REFERRED: PublicStatus.FORWARDED,
    CaseState.MONITORING: PublicStatus.FORWARDED,
    CaseState.CLOSED: PublicStatus.CLOSED,
}
_RANK = [PublicStatus.RECEIVED, PublicStatus.BEING_ASSESSED, PublicStatus.FORWARDED]


def public_status(case_states: Iterable[str]) -> PublicStatus:
    """The report's public state from the states of its cases.

    No case yet: received. Every case closed: closed. Otherwise the furthest any open case has come
    (a report of three URLs of which one was forwarded has been forwarded).
    """
    mapped = [_CASE_TO_PUBLIC.get(CaseState(s), PublicStatus.RECEIVED) for s in case_states if s in CaseState.values]
    if not mapped:
        return PublicStatus.RECEIVED
    open_states = [m for m in mapped if m != PublicStatus.CLOSED]
    if not open_states:
        return PublicStatus.CLOSED
    return max(open_states, key=_RANK.index)
