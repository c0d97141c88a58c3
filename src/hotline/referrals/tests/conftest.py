"""Fixtures of the referrals tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _referral_settings(settings: Any) -> None:
    settings.HOTLINE_HOME_COUNTRY = "SE"
    settings.HOTLINE_REFERRAL_POLICY = "police_first"
    settings.HOTLINE_POLICE_CHANNEL = "download"
    settings.HOTLINE_POLICE_EMAIL = ""
    settings.HOTLINE_NOTICE_INTERVAL_HOURS = 24
    settings.HOTLINE_NOTICE_ESCALATE_AFTER = 3
    settings.HOTLINE_MONITORING_HOURS = 48
    settings.HOTLINE_DELIVERY_RETRY_BASE_SECONDS = 300
    settings.HOTLINE_DELIVERY_MAX_FAILURES = 4
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture(autouse=True)
def _every_xarf_notice_meets_the_official_schema(monkeypatch: Any) -> Any:
    """Each X-ARF report any referrals test builds is validated against the published v4 schemas with
    format checking (tests/conformance/xarf_schemas.py), not only by the `xarf` library (issue 12).
    Failures are collected and reported at the end: delivery turns exceptions into failed referrals."""
    from hotline.referrals import notices
    from tests.conformance import xarf_schemas

    original = notices.build_xarf
    invalid: list[str] = []

    def checked(snapshot: Any) -> Any:
        report = original(snapshot)
        invalid.extend(xarf_schemas.errors(report))
        return report

    monkeypatch.setattr(notices, "build_xarf", checked)
    yield
    assert not invalid, f"X-ARF notices that break the official v4 schema: {invalid}"


# Tests that run tasks are transactional, so each task's claim, delivery and result commit on their
# own as they do in the worker (a failed SMTP attempt must stay recorded after the task rolls back).
TASKS_DB = pytest.mark.django_db(transaction=True)


def confirm(client: Any, case: Any, *, targets: list[str] | None = None, **extra: Any) -> Any:
    """POST the plan form the way the page does (proposed targets unless given)."""
    from hotline.referrals import selectors

    state = selectors.case_plan(case=case)
    if targets is None:
        targets = [p.key for p in state.plan.proposals if p.key not in state.open_keys]
    data = {
        "assessment_id": state.assessment.pk,
        "targets": targets,
        "host_notice_recipient": extra.pop("host_notice_recipient", state.hosting.abuse_email),
        **extra,
    }
    return client.post(f"/cases/{case.pk}/referrals/", data)
