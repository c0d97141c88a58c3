"""Writes about cases, one module per use case; every public name is re-exported here, so
`from hotline.cases import services` and `services.<name>` keep working for callers in every app.

- transitions.py: the state machine (transition_case)
- triage.py, triage_steps.py: reports into cases (queue_triage, triage_batch, triage_report, requeue)
- priorities.py: queue priority and its periodic refresh
- claims.py: claim and release a case
- assessment.py: assessments and four-eyes reviews
- casework.py: status-only close, notes, audited case views, copying the URL
- police_now.py: contact police now (a situation report straight to the police)
- exposure.py: analyst welfare (time on the assessment page)
- retention.py: retention policies of reporters' texts, contacts, reported URLs and analysts' notes
- case_retention.py: retention policies of whole cases by outcome (anonymised, counted still)
- rederive.py: applying changed URL rules to stored cases
- report_hashes.py: the hashes a report carries, stored with it (check_report_hashes, store_report_hashes)
- from_other_apps.py: the writes other apps ask of cases (timeline events, hosting facts, reporter messages)

Every function runs in one transaction and records an audit entry in it; record_case_event and
record_host_facts are part of their caller's change and run in its audited transaction. The errors
they raise live in cases.errors (re-exported here, so `services.CaseError` and the rest keep working).
Tunables a test may change (ERASE_BATCH, REDERIVE_BATCH, STRAGGLER_AGE, ...) are set on the module
that reads them, e.g. hotline.cases.services.retention.
"""

from hotline.cases.errors import (
    CaseClaimed,
    CaseError,
    InvalidTransition,
    NotClaimed,
    ReportHashesRejected,
    ReviewRefused,
    StaleCase,
)
from hotline.cases.services._shared import SYSTEM
from hotline.cases.services.assessment import AssessmentInput, assess_case, review_assessment
from hotline.cases.services.casework import (
    NOTE_MAX_LENGTH,
    STATUS_ONLY_CLOSE_REASONS,
    add_note,
    close_case,
    close_refusal,
    duplicate_refusal,
    may_close_without_assessment,
    record_case_view,
    reveal_case_url,
)
from hotline.cases.services.claims import claim_case, release_case
from hotline.cases.services.exposure import begin_assessment, end_exposure, start_exposure
from hotline.cases.services.from_other_apps import (
    record_case_event,
    record_host_facts,
    record_list_match,
    record_reporter_message,
    set_hosting_country,
)
from hotline.cases.services.police_now import contact_police_now, police_now_refusal
from hotline.cases.services.priorities import compute_priority, priority_signals, refresh_priorities
from hotline.cases.services.rederive import RederivedCases, rederive_cases
from hotline.cases.services.report_hashes import check_report_hashes, store_report_hashes
from hotline.cases.services.retention import erase_expired_report_texts
from hotline.cases.services.transitions import TRANSITIONS, transition_case
from hotline.cases.services.triage import (
    TRIAGE_ATTEMPTS,
    queue_triage,
    requeue_untriaged_reports,
    triage_batch,
    triage_report,
    triage_run_row,
)
from hotline.cases.services.triage_steps import (
    PARTNER_CHANNELS,
    SIBLING_WINDOW,
    TriageBatchResult,
    TriageResult,
)

__all__ = [
    "NOTE_MAX_LENGTH",
    "PARTNER_CHANNELS",
    "SIBLING_WINDOW",
    "STATUS_ONLY_CLOSE_REASONS",
    "SYSTEM",
    "TRANSITIONS",
    "TRIAGE_ATTEMPTS",
    "AssessmentInput",
    "CaseClaimed",
    "CaseError",
    "InvalidTransition",
    "NotClaimed",
    "RederivedCases",
    "ReportHashesRejected",
    "ReviewRefused",
    "StaleCase",
    "TriageBatchResult",
    "TriageResult",
    "add_note",
    "assess_case",
    "begin_assessment",
    "check_report_hashes",
    "claim_case",
    "close_case",
    "close_refusal",
    "compute_priority",
    "contact_police_now",
    "duplicate_refusal",
    "end_exposure",
    "erase_expired_report_texts",
    "may_close_without_assessment",
    "police_now_refusal",
    "priority_signals",
    "queue_triage",
    "record_case_event",
    "record_case_view",
    "record_host_facts",
    "record_list_match",
    "record_reporter_message",
    "rederive_cases",
    "refresh_priorities",
    "release_case",
    "requeue_untriaged_reports",
    "reveal_case_url",
    "review_assessment",
    "set_hosting_country",
    "start_exposure",
    "store_report_hashes",
    "transition_case",
    "triage_batch",
    "triage_report",
    "triage_run_row",
]
