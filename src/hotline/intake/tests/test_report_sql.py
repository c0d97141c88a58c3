"""The one-statement report write (intake.report_sql) writes exactly the rows the ORM would, on both databases."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import default_task_backend
from django_tasks_db.models import DBTaskResult

from hotline.cases.blind_indexes import url_index
from hotline.cases.models import Report, ReportedUrl
from hotline.cases.tasks import triage_reports
from hotline.core.models import RateCounter
from hotline.core.ratelimit import RateEvent
from hotline.intake import report_sql
from hotline.staff import services as staff_services
from hotline.staff.models import PartnerKey

pytestmark = pytest.mark.django_db

COMPARED_REPORT_FIELDS = [
    f.attname for f in Report._meta.concrete_fields if f.attname not in {"id", "public_id", "received_at"}
]


def new_report(**overrides: Any) -> Report:
    values = {
        "received_at": timezone.now(),
        "channel": "web",
        "kind": "online_material",
        "where_seen": "a chat group",
        "description": "A page seen in a chat group.",
        "contact": "",
        "reporter_classification": "not_sure",
        "nexus_victim": "yes",
        "nexus_offender": "unknown",
        "nexus_place": "no",
        "language": "en",
        "receipt_index": "f" * 64,
        **overrides,
    }
    return Report(**values)


def orm_write(report: Report, urls: list[str]) -> None:
    """The same write through the ORM: what report_sql.write_report must be equal to."""
    report.save(force_insert=True)
    for i, url in enumerate(urls):
        ReportedUrl.objects.create(report=report, position=i, url=url, url_index=url_index(url))
    triage_reports.enqueue(report.pk)


def snapshot(report_id: int) -> dict[str, Any]:
    report = Report.objects.get(pk=report_id)
    task = DBTaskResult.objects.get(args_kwargs__args=[report_id])
    return {
        "report": {name: getattr(report, name) for name in COMPARED_REPORT_FIELDS},
        "urls": list(
            ReportedUrl.objects.filter(report_id=report_id)
            .order_by("position")
            .values_list("position", "url", "url_index", "case_id", "problem")
        ),
        "task": {
            f.attname: getattr(task, f.attname)
            for f in DBTaskResult._meta.concrete_fields
            if f.attname not in {"id", "enqueued_at", "args_kwargs"}
        },
    }


@pytest.mark.parametrize(
    "urls",
    [[], ["https://one.example/a"], ["https://one.example/a", "http://two.test/b?c=d", "https://198.51.100.7/x"]],
)
def test_rows_equal_the_orms(urls: list[str]) -> None:
    key, _ = staff_services.create_partner_key(partner="Operator", actor="test")
    for partner_key in (None, key):
        mine = new_report(partner_key=partner_key, channel="api" if partner_key else "web")
        outcome = report_sql.write_report(
            mine,
            urls,
            [url_index(u) for u in urls],
            rate=RateEvent(key="rl:test:1:abc", limit=100, ttl_seconds=60),
            live_partner_key=partner_key.pk if partner_key else None,
        )
        assert outcome.stored and mine.pk is not None and not mine._state.adding
        theirs = new_report(partner_key=partner_key, channel="api" if partner_key else "web")
        orm_write(theirs, urls)
        assert snapshot(mine.pk) == snapshot(theirs.pk)
        # The row is a task the backend reads back like any other (the worker runs it).
        task = DBTaskResult.objects.get(args_kwargs__args=[mine.pk])
        result = default_task_backend.get_result(str(task.id))
        assert result.args == [mine.pk] and result.status == "READY"
    assert Report.objects.get(pk=mine.pk).public_id == mine.public_id


def test_over_the_limit_only_the_count_is_written() -> None:
    event = RateEvent(key="rl:test:1:limit", limit=1, ttl_seconds=60)
    first = report_sql.write_report(new_report(), ["https://one.example/"], ["x" * 64], rate=event)
    second = report_sql.write_report(new_report(), ["https://one.example/"], ["x" * 64], rate=event)
    assert (first.stored, first.count) == (True, 1)
    assert (second.stored, second.count, second.key_revoked) == (False, 2, False)
    assert Report.objects.count() == ReportedUrl.objects.count() == DBTaskResult.objects.count() == 1
    assert RateCounter.objects.get(key=event.key).count == 2  # a refused event still counts


def test_a_revoked_key_writes_nothing() -> None:
    key, _ = staff_services.create_partner_key(partner="Operator", actor="test")
    PartnerKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    outcome = report_sql.write_report(new_report(partner_key=key, channel="api"), ["https://one.example/"], ["x" * 64],
                                 live_partner_key=key.pk)  # fmt: skip
    assert not outcome.stored and outcome.key_revoked
    assert Report.objects.count() == ReportedUrl.objects.count() == DBTaskResult.objects.count() == 0


def test_one_statement_on_postgresql(monkeypatch: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the single statement is PostgreSQL's; SQLite writes the same rows in one transaction")
    connection.ensure_connection()
    executed: list[str] = []
    real_execute = psycopg.Cursor.execute

    def counting_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        executed.append(str(query))
        return real_execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counting_execute)
    with CaptureQueriesContext(connection) as django_queries:
        report_sql.write_report(
            new_report(),
            ["https://one.example/a", "https://two.example/b"],
            ["x" * 64, "y" * 64],
            rate=RateEvent(key="rl:test:1:one", limit=5, ttl_seconds=60),
        )
    assert len(django_queries) == 0
    assert len(executed) == 1 and executed[0].startswith("WITH counted AS (INSERT")
    assert (Report.objects.count(), ReportedUrl.objects.count(), DBTaskResult.objects.count()) == (1, 2, 1)


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_write_is_prepared_once_and_planned_generically(monkeypatch: Any) -> None:
    """Parsing and planning the statement for every report more than doubled PostgreSQL's work per
    report (bench/intake.py); prepared once per connection, later reports reuse a generic plan."""
    if connection.vendor != "postgresql":
        pytest.skip("server-side prepared statements are PostgreSQL's")
    connection.close()  # reopened as production opens it: persistent (the tests' default is not)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    for i in range(8):  # PostgreSQL tries custom plans for the first five executions
        report_sql.write_report(
            new_report(receipt_index=f"{i:064d}"),
            ["https://one.example/a"],
            ["x" * 64],
            rate=RateEvent(key="rl:test:1:prepared", limit=100, ttl_seconds=60),
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["WITH counted AS (INSERT%"],
        )
        plans = cursor.fetchall()
    assert len(plans) == 1, plans  # one prepared statement, reused by every write
    generic, custom = plans[0]
    assert generic + custom == 8 and generic >= 3, plans
    connection.close()
