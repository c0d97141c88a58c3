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
def _role_groups(request: Any) -> None:
    """Transactional tests start after another one's flush: make sure the role groups exist."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.contrib.auth.models import Group

    from hotline.core.authz import ROLES

    for role in ROLES:
        Group.objects.get_or_create(name=role)


# run_tasks uses the real worker, which closes a connection it finds inside a transaction: on
# PostgreSQL that is the test's own, so tests that run tasks are transactional.
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
