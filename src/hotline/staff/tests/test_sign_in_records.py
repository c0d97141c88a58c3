"""Staff sign-in records kept on purpose (issue 19): django-axes keeps the network (never the whole address) and
user agent of staff sign-ins as a security record for HOTLINE_STAFF_SIGN_IN_RECORD_DAYS, a periodic job prunes
them, the privacy page says so, and no log line holds a user agent or a whole address."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.db import connection
from django.test import Client
from django.utils import timezone

from hotline.core import conf as core_conf
from hotline.core import scheduler
from hotline.core.models import AuditEntry
from hotline.staff import conf as staff_conf
from hotline.staff.factories import current_totp

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 StaffBrowser-4e1f/128.0"
ADDRESS = "198.51.100.23"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def browser() -> Client:
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    client.cookies["hotline_language"] = "en"
    return client


def _every_stored_value() -> str:
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def _sign_in_with_mistakes(user: Any, settings: Any) -> None:
    """Wrong passwords up to a lock, a refused attempt, then (from the same browser, after the cool-off) a
    wrong code, the right one, and a sign-out: every path on which axes writes or logs."""
    with time_machine.travel(START, tick=False) as clock:
        client = browser()
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            client.post("/staff/login/", {"email": user.email, "password": "wrong password 123"})
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        client.post("/staff/login/", {"email": user.email, "password": PASSWORD})
        client.post("/staff/login/verify/", {"otp_token": "000000" if current_totp(user) != "000000" else "111111"})
        clock.shift(timedelta(seconds=31))
        assert client.post("/staff/login/verify/", {"otp_token": current_totp(user)}).status_code == 302
        client.post("/staff/logout/")


def test_no_log_line_holds_the_user_agent_or_the_whole_address(make_staff: Any, settings: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    user = make_staff("analyst")
    _sign_in_with_mistakes(user, settings)
    lines = [record.getMessage() for record in caplog.records]
    assert any("AXES: Locking out" in line for line in lines), "axes did log the lock"
    for line in lines:
        assert "StaffBrowser-4e1f" not in line and "Mozilla" not in line, line
        assert ADDRESS not in line, line
    assert any('network: "198.51.100.0/24"' in line for line in lines)  # the network is named instead


def test_the_record_holds_the_network_and_the_user_agent_never_the_address(make_staff: Any, settings: Any) -> None:
    user = make_staff("analyst")
    _sign_in_with_mistakes(user, settings)
    sign_in = AccessLog.objects.get(username=user.email)
    assert sign_in.ip_address == "198.51.100.0" and sign_in.user_agent == AGENT
    assert sign_in.logout_time is not None
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) <= {"198.51.100.0"}
    assert ADDRESS not in _every_stored_value()


def _records(days_ago: float) -> None:
    at = timezone.now() - timedelta(days=days_ago)
    common = {"user_agent": AGENT, "ip_address": "198.51.100.0", "http_accept": "*/*", "path_info": "/staff/login/"}
    log = AccessLog.objects.create(username=f"log-{days_ago}@hotline.example", **common)
    attempt = AccessAttempt.objects.create(
        username=f"attempt-{days_ago}@hotline.example", get_data="", post_data="", failures_since_start=1, **common
    )
    AccessLog.objects.filter(pk=log.pk).update(attempt_time=at)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=at)


def test_the_periodic_job_prunes_records_past_their_retention(run_tasks: Any, settings: Any) -> None:
    from hotline.staff.tasks import prune_sign_in_records

    job = next(j for j in scheduler.REGISTRY.values() if j.name.endswith("prune_sign_in_records"))
    assert job.every == timedelta(hours=6)
    for days in (0, 1, 89, 91, 400):
        _records(days)
    prune_sign_in_records.enqueue()
    run_tasks()
    kept = set(AccessLog.objects.values_list("username", flat=True))
    assert kept == {"log-0@hotline.example", "log-1@hotline.example", "log-89@hotline.example"}
    # A failed attempt stops counting a cool-off after it; it is not kept longer than that.
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"attempt-0@hotline.example"}
    entry = AuditEntry.objects.get(action="staff.sign_in_records_pruned")
    assert entry.details == {"sign_ins": 2, "failure_log": 0, "attempts": 4, "older_than_days": 90}
    assert entry.actor_label == "system"

    settings.HOTLINE_STAFF_SIGN_IN_RECORD_DAYS = 30
    prune_sign_in_records.enqueue()
    run_tasks()
    assert set(AccessLog.objects.values_list("username", flat=True)) == {
        "log-0@hotline.example",
        "log-1@hotline.example",
    }
    prune_sign_in_records.enqueue()
    run_tasks()
    assert AuditEntry.objects.filter(action="staff.sign_in_records_pruned").count() == 2  # nothing left: no entry


def test_the_retention_is_a_checked_setting(settings: Any, tmp_path: Any) -> None:
    settings.HOTLINE_CAMPAIGN_EXPORT_DIR = str(tmp_path / "exports")  # the check creates it
    assert staff_conf.sign_in_record_days() == 90
    assert staff_conf.sign_in_record_days in core_conf.registered_accessors()["staff.E001"]
    settings.HOTLINE_STAFF_SIGN_IN_RECORD_DAYS = "a while"
    problems = core_conf.check_settings()
    assert [(p.id, p.msg) for p in problems] == [
        ("staff.E001", "HOTLINE_STAFF_SIGN_IN_RECORD_DAYS must be a whole number (set in Django settings).")
    ]


def test_the_privacy_page_says_how_long(settings: Any) -> None:
    english = browser().get("/privacy/").content.decode()
    assert "the network the attempt came from" in english and "deleted after 90 days." in english
    settings.HOTLINE_STAFF_SIGN_IN_RECORD_DAYS = 1
    assert "deleted after 1 day." in browser().get("/privacy/").content.decode()
    swedish = Client().get("/privacy/").content.decode()
    assert "raderas efter 1 dag." in swedish
