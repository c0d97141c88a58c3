"""The queue: order (priority, then age), filters, search (POST only), keyset pages on case_queue_idx."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotline.cases import factories, selectors, services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, CaseState, Channel, NexusHint, ReportKind
from hotline.cases.rules import QueueKey, decode_cursor
from hotline.cases.selectors import QueueFilters, queue_page
from hotline.core.crypto import IndexPurpose, blind_index

pytestmark = pytest.mark.django_db


def make_cases(n: int, *, state: str = CaseState.TRIAGED, **fields: Any) -> list[Case]:
    """n bare cases whose priorities and ages make the queue order differ from the order they were made in."""
    now = timezone.now()
    return factories.make_cases(
        {
            "kind": ReportKind.ONLINE_MATERIAL,
            "state": state,
            "priority": (i * 7) % 5,
            "created_at": now - timedelta(minutes=i),
            "host": f"h{i}.example.test",
            "registered_domain": "example.test",
            **fields,
        }
        for i in range(n)
    )


def order_key(case: Case) -> tuple[int, Any, int]:
    return (-case.priority, case.created_at, case.pk)


def test_queue_orders_by_priority_then_age() -> None:
    make_cases(12)
    page = queue_page(filters=QueueFilters(), limit=50)
    keys = [order_key(c) for c in page.cases]
    assert keys == sorted(keys) and len(keys) == 12
    assert page.next_cursor is None


def test_keyset_pages_walk_every_case_once_in_order() -> None:
    make_cases(23)
    make_cases(9, state=CaseState.NEW)
    make_cases(4, state=CaseState.CLOSED)
    seen: list[Case] = []
    cursor = None
    for _ in range(20):
        page = queue_page(filters=QueueFilters(), cursor=cursor, limit=5)
        seen.extend(page.cases)
        if page.next_cursor is None:
            break
        cursor = decode_cursor(page.next_cursor)
    assert len(seen) == 32 and len({c.pk for c in seen}) == 32  # closed cases are not in the default queue
    keys = [order_key(c) for c in seen]
    assert keys == sorted(keys)


def test_cursor_round_trip_and_garbage() -> None:
    now = timezone.now()
    key = QueueKey(-7, now, 12)
    assert decode_cursor(key.encode()) == key
    for bad in ["", "x", "1_2", "a_b_c", "1_2_0", "1_99999999999999999999_3"]:
        assert decode_cursor(bad) is None


def test_the_queue_never_counts_the_table_and_uses_the_queue_index() -> None:
    make_cases(30)
    with CaptureQueriesContext(connection) as queries:
        queue_page(filters=QueueFilters(), limit=10)
        queue_page(filters=QueueFilters(), cursor=QueueKey(-3, timezone.now(), 5), limit=10)
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "COUNT(" not in sql and "OFFSET" not in sql
    assert len(queries.captured_queries) == 2 * 3  # one query per default state per page


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_sqlite_reads_the_queue_from_case_queue_idx_without_sorting() -> None:
    make_cases(5)
    qs = (
        Case.objects.filter(state=CaseState.TRIAGED)
        .filter(selectors.queue._after(QueueKey(-3, timezone.now(), 5)))
        .order_by("-priority", "created_at", "pk")[:51]
    )
    plan = qs.explain()
    assert "case_queue_idx" in plan, plan
    assert "TEMP B-TREE" not in plan.upper(), plan


def test_filters() -> None:
    web = store_report("https://files.example.test/a", channel=Channel.WEB)
    api = store_report("https://img-host.example/b", channel=Channel.API, source_name="Operator")
    nexus = store_report("https://forum.example/c", nexus_offender=NexusHint.YES)
    grooming = store_report(kind=ReportKind.GROOMING)
    ids = {}
    for name, report in [("web", web), ("api", api), ("nexus", nexus), ("grooming", grooming)]:
        ids[name] = services.triage_report(report_id=report.pk).case_ids[0]
    Case.objects.filter(pk=ids["api"]).update(hosting_country="NL")

    def found(**kw: Any) -> set[int]:
        return {c.pk for c in queue_page(filters=QueueFilters(**kw)).cases}

    assert found() == set(ids.values())
    assert found(kind=ReportKind.GROOMING) == {ids["grooming"]}
    assert found(channel=Channel.API) == {ids["api"]}
    assert found(hosting_country="nl") == {ids["api"]}
    assert found(nexus=True) == {ids["nexus"]}
    assert ids["nexus"] not in found(nexus=False)
    assert found(states=(CaseState.CLOSED,)) == set()


def test_assigned_filter(make_staff: Any) -> None:
    analyst, other = make_staff("analyst"), make_staff("analyst")
    a, b, c = make_cases(3)
    services.claim_case(case=a, analyst=analyst)
    services.claim_case(case=b, analyst=other)
    Case.objects.filter(pk=b.pk).update(claimed_until=timezone.now() - timedelta(minutes=1))  # expired

    def found(assigned: str, viewer: Any = analyst) -> set[int]:
        return {x.pk for x in queue_page(filters=QueueFilters(assigned=assigned, viewer_id=viewer.pk)).cases}

    assert found("me") == {a.pk}
    assert found(str(analyst.pk)) == {a.pk}
    assert found(str(other.pk)) == set()  # an expired claim holds nothing
    assert found("none") == {b.pk, c.pk}


# --- the page -----------------------------------------------------------------------------------
def test_queue_page_renders_and_pages(staff_client: Any, settings: Any) -> None:
    settings.HOTLINE_QUEUE_PAGE_SIZE = 5
    make_cases(7)
    client = staff_client("analyst")
    response = client.get("/cases/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('href="/cases/') >= 5
    assert "after=" in body
    cursor = body.split("after=")[1].split('"')[0]
    second = client.get(f"/cases/?after={cursor}")
    assert second.status_code == 200 and "after=" not in second.content.decode()


def test_queue_page_filters_by_query_string(staff_client: Any) -> None:
    (case,) = make_cases(1)
    client = staff_client("supervisor")
    assert f"/cases/{case.pk}/" in client.get("/cases/?state=triaged").content.decode()
    assert f"/cases/{case.pk}/" not in client.get("/cases/?state=closed").content.decode()
    assert client.get("/cases/?country=QQQ&state=bogus&after=garbage").status_code == 200


def test_search_is_post_only_and_finds_by_url_receipt_id_and_domain(staff_client: Any) -> None:
    url = "https://files.example.test/album/42?utm_source=x"
    receipt = "1234567812345678"
    report = store_report(url, receipt_index=blind_index(receipt, purpose=IndexPurpose.RECEIPT))
    case_id = services.triage_report(report_id=report.pk).case_ids[0]
    other = services.triage_report(report_id=store_report("https://img.files.example.test/z").pk).case_ids[0]
    client = staff_client("analyst")

    # A URL never travels in a query string: GET ignores q.
    assert "q" not in client.get("/cases/?q=x").wsgi_request.POST
    by_url = client.post("/cases/", {"q": "HTTPS://files.example.test/album/42#frag"})
    assert by_url.status_code == 302 and by_url["Location"] == f"/cases/{case_id}/"
    by_receipt = client.post("/cases/", {"q": "1234 5678 1234 5678"})
    assert by_receipt["Location"] == f"/cases/{case_id}/"
    by_id = client.post("/cases/", {"q": f"#{other}"})
    assert by_id["Location"] == f"/cases/{other}/"
    by_domain = client.post("/cases/", {"q": "example.test"})
    assert by_domain.status_code == 200
    body = by_domain.content.decode()
    assert f"/cases/{case_id}/" in body and f"/cases/{other}/" in body
    by_host = client.post("/cases/", {"q": "img.files.example.test"})
    assert f"/cases/{other}/" in by_host.content.decode() and f"/cases/{case_id}/" not in by_host.content.decode()
    nothing = client.post("/cases/", {"q": "https://nothing.example.test/"})
    assert nothing.status_code == 200 and "/cases/" in nothing.content.decode()
    # The search term is not echoed back into the page.
    assert "nothing.example.test" not in nothing.content.decode()


def test_search_with_a_non_web_url_explains(staff_client: Any) -> None:
    response = staff_client("analyst").post("/cases/", {"q": "ftp://files.example.test/x"})
    assert response.status_code == 400
    assert "files.example.test" not in response.content.decode()


def test_search_finds_a_case_whose_url_could_not_be_canonicalised() -> None:
    bad = "ftp://files.example.test/x"
    case_id = services.triage_report(report_id=store_report(bad).pk).case_ids[0]
    result = selectors.search_cases(query=bad)
    assert [c.pk for c in result.cases] == [case_id]


def test_queue_shows_own_exposure(staff_client: Any) -> None:
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    assert "0 of 120 minutes" in client.get("/cases/").content.decode()
    client.cookies["hotline_language"] = "sv"
    assert "0 av 120 minuter" in client.get("/cases/").content.decode()


def test_the_queue_shows_levels_waiting_time_and_deadlines_and_marks_immediate_danger_at_the_top(
    staff_client: Any,
) -> None:
    danger = services.triage_report(
        report_id=store_report(kind=ReportKind.TRAFFICKING, nexus_victim=NexusHint.YES, description="An advert.").pk
    ).case_ids[0]
    waited = timezone.now() - timedelta(hours=80)
    routine = services.triage_report(
        report_id=store_report("https://files.example.test/q/1", received_at=waited).pk
    ).case_ids[0]
    Case.objects.filter(pk=routine).update(queued_at=waited)
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    body = client.get("/cases/?kind=online_material").content.decode()
    # The danger box comes before the (filtered) queue, with the case in it.
    box = body.split('class="danger-now"', 1)[1].split("</section>", 1)[0]
    assert f'href="/cases/{danger}/"' in box and "Immediate danger" in box
    assert body.index('class="danger-now"') < body.index('class="queue-filters"')
    table = body.split('class="queue-filters"', 1)[1]
    assert f'href="/cases/{danger}/' not in table  # the filter still holds below
    # The queue's links carry its filters on to the case page ("save and next case" keeps to them).
    row = table.split(f'href="/cases/{routine}/?kind=online_material"', 1)[1].split("</tr>", 1)[0]
    assert "Normal" in row and "3 d 8 h" in row and "overdue" in row  # 80 h > the 72 h of a normal case
    assert "Waiting" in body and "Deadline" in body
