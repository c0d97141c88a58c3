"""Services, task and selectors end to end: real DNS and RDAP servers on loopback, the real worker code."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hotline.cases.factories import make_case
from hotline.cases.models import Case, CaseState
from hotline.core.audit import verify
from hotline.core.models import AuditEntry
from hotline.core.scheduler import REGISTRY
from hotline.tracing import services
from hotline.tracing.failures import FailureCode
from hotline.tracing.models import HostingObservation, HostTrace, TraceStatus
from hotline.tracing.rules import InvalidHost
from hotline.tracing.selectors import hosting_history, hosting_summary, latest_trace

pytestmark = pytest.mark.django_db


def trace_tasks():
    return DBTaskResult.objects.filter(task_path__endswith=".trace_host").order_by("enqueued_at")


def request(host: str) -> None:
    with transaction.atomic():  # as triage calls it: inside its own transaction
        services.request_trace(host=host)


def trace(host: str, run_tasks) -> HostTrace:
    request(host)
    run_tasks()
    found = latest_trace(host=host)
    assert found is not None
    return found


# --- requesting ---------------------------------------------------------------------------------------
def test_request_queues_one_trace_and_one_task_however_often_it_is_called():
    for _ in range(3):
        request("Plain.Example.TEST")
    assert HostTrace.objects.count() == 1
    queued = HostTrace.objects.get()
    assert (queued.host, queued.status, queued.reason) == ("plain.example.test", TraceStatus.PENDING, "triage")
    task = trace_tasks().get()
    assert task.queue_name == "trace"
    assert task.args_kwargs == {"args": ["plain.example.test"], "kwargs": {}}
    assert AuditEntry.objects.filter(action="tracing.trace_requested", object_id=str(queued.pk)).count() == 1


def test_request_is_part_of_the_callers_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        services.request_trace(host="plain.example.test")
        raise RuntimeError("triage failed later")
    assert not HostTrace.objects.exists() and not trace_tasks().exists()


@pytest.mark.parametrize("bad", ["https://plain.example.test/a/b", "plain.example.test/a", "plain.example.test:80"])
def test_a_url_never_becomes_a_trace_or_a_task_payload(bad):
    with pytest.raises(InvalidHost):
        request(bad)
    assert not HostTrace.objects.exists() and not trace_tasks().exists()


def test_one_open_trace_per_host_is_a_database_constraint():
    HostTrace.objects.create(host="plain.example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        HostTrace.objects.create(host="plain.example.test", status=TraceStatus.RETRYING)
    HostTrace.objects.create(host="plain.example.test", status=TraceStatus.OK)  # history is free


# --- a full trace -------------------------------------------------------------------------------------
def test_trace_finds_addresses_country_asn_abuse_contact_and_holder(world, mmdb, run_tasks):
    open_case = make_case(host="plain.example.test")
    closed_case = make_case(host="plain.example.test", state=CaseState.CLOSED)
    done = trace("plain.example.test", run_tasks)

    assert (done.status, done.attempts, done.failure_code) == (TraceStatus.OK, 1, "")
    observations = list(HostingObservation.objects.filter(trace=done).order_by("position"))
    assert [(o.ip, o.record_type, o.country) for o in observations] == [
        ("192.0.2.10", "A", "NL"),
        ("2001:db8::10", "AAAA", "SE"),
    ]
    first = observations[0]
    assert (first.asn, first.as_org, first.network_name, first.network_cidr) == (
        64501,
        "Example Hosting NL",
        "EXAMPLE-HOSTING-NL",
        "192.0.2.0/24",
    )
    assert (first.abuse_email, first.holder, first.origin_hidden) == (
        "abuse@hosting-nl.example",
        "Example Hosting B.V.",
        False,
    )
    assert first.method == "dns+mmdb+rdap"
    assert first.sources == {
        "ip": "dns",
        "country": "mmdb",
        "asn": "mmdb",
        "network": "rdap",
        "abuse": "rdap",
        "holder": "rdap",
    }

    open_case.refresh_from_db()
    closed_case.refresh_from_db()
    assert open_case.hosting_country == "NL"
    assert closed_case.hosting_country == ""
    entry = AuditEntry.objects.get(action="case.hosting_country")
    assert (entry.object_id, entry.actor_label, entry.details) == (
        str(open_case.pk),
        "system",
        {"from": "", "to": "NL", "trace_id": done.pk},
    )
    assert AuditEntry.objects.filter(action="tracing.trace_ok", object_id=str(done.pk)).exists()
    assert verify()[1] is None

    summary = hosting_summary(host="plain.example.test")
    assert summary is not None
    assert (summary.country, summary.asn, summary.network_name, summary.abuse_email, summary.holder) == (
        "NL",
        64501,
        "EXAMPLE-HOSTING-NL",
        "abuse@hosting-nl.example",
        "Example Hosting B.V.",
    )
    assert (summary.cdn_name, summary.origin_hidden, summary.method) == (None, False, "dns+mmdb+rdap")
    assert summary.ips == ["192.0.2.10", "2001:db8::10"]


def test_country_comes_from_rdap_when_no_file_knows_the_address(world, run_tasks):
    trace("v4only.example.test", run_tasks)
    obs = HostingObservation.objects.get(host="v4only.example.test")
    assert (obs.country, obs.sources["country"], obs.asn) == ("US", "rdap", None)  # iptocc: None for doc ranges
    assert obs.method == "dns+rdap"


def test_the_mmdb_file_takes_precedence_over_rdap_for_the_country(world, mmdb, run_tasks):
    trace("v4only.example.test", run_tasks)
    obs = HostingObservation.objects.get(host="v4only.example.test")
    assert (obs.country, obs.sources["country"]) == ("CA", "mmdb")


def test_cname_chain_is_kept_with_the_trace(world, run_tasks):
    done = trace("www.chain.example.test", run_tasks)
    assert done.cname_chain == ["www.chain.example.test", "a.chain.example.test", "b.chain.example.test"]
    # both addresses sit in networks of their own: two RDAP lookups
    assert sorted(world.rdap.lookups()) == ["192.0.2.11", "198.51.100.21"]


def test_ip_literal_hosts_skip_dns(world, mmdb, run_tasks):
    trace("198.51.100.7", run_tasks)
    obs = HostingObservation.objects.get(host="198.51.100.7")
    assert (obs.record_type, obs.country, obs.sources["ip"]) == ("literal", "CA", "literal")
    assert world.dns.queries == []


def test_addresses_in_one_network_need_one_rdap_lookup_and_are_bounded(world, settings, run_tasks):
    settings.HOTLINE_TRACE_MAX_ADDRESSES = 5
    done = trace("big.example.test", run_tasks)
    assert HostingObservation.objects.filter(trace=done).count() == 5
    assert "25 more addresses not traced" in done.notes[0]
    assert world.rdap.lookups() == ["192.0.2.100"]


# --- CDN -----------------------------------------------------------------------------------------------
def test_cdn_by_cname_hides_the_origin_and_points_to_the_cdn(world, run_tasks):
    trace("shop.customer.example.test", run_tasks)
    summary = hosting_summary(host="shop.customer.example.test")
    assert summary is not None
    assert (summary.cdn_name, summary.origin_hidden, summary.abuse_email) == ("Example CDN", True, "abuse@cdn.example")
    assert HostingObservation.objects.get().sources["cdn"] == "cname"


def test_cdn_by_asn(world, mmdb, run_tasks):
    trace("cdnip.example.test", run_tasks)
    obs = HostingObservation.objects.get()
    assert (obs.cdn_name, obs.origin_hidden, obs.sources["cdn"], obs.asn) == ("Example CDN", True, "asn", 64500)


# --- cache and refresh ----------------------------------------------------------------------------------
def test_a_fresh_result_is_served_from_the_cache_until_the_ttl_ends(world, run_tasks):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        trace("plain.example.test", run_tasks)
        queries = len(world.dns.queries)
        request("plain.example.test")
        assert HostTrace.objects.count() == 1 and trace_tasks().count() == 1
        traveller.shift(timedelta(hours=23))
        request("plain.example.test")
        assert HostTrace.objects.count() == 1
        run_tasks()
        assert len(world.dns.queries) == queries  # a cache hit asks nobody
        traveller.shift(timedelta(hours=2))
        request("plain.example.test")
        assert HostTrace.objects.count() == 2


def test_hosting_moves_history_is_kept_and_the_case_follows(world, mmdb, run_tasks):
    case = make_case(host="moved.example.test")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        trace("moved.example.test", run_tasks)
        case.refresh_from_db()
        assert case.hosting_country == "NL"
        world.dns.resolver.set("moved.example.test", [("A", "198.51.100.30")])
        traveller.shift(timedelta(hours=25))
        assert services.refresh_stale_traces() == 1
        run_tasks()
    facts = hosting_history(host="moved.example.test")
    assert [(f.ip, f.country) for f in facts] == [("198.51.100.30", "CA"), ("192.0.2.30", "NL")]
    assert facts[0].at > facts[1].at
    case.refresh_from_db()
    assert case.hosting_country == "CA"
    changes = AuditEntry.objects.filter(action="case.hosting_country", object_id=str(case.pk)).order_by("seq")
    assert [(e.details["from"], e.details["to"]) for e in changes] == [("", "NL"), ("NL", "CA")]


def test_refresh_takes_open_cases_with_stale_or_no_trace_only(world, settings, run_tasks):
    make_case(host="plain.example.test")
    make_case(host="v4only.example.test")
    make_case(host="v6only.example.test", state=CaseState.CLOSED)
    make_case(host="")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        trace("plain.example.test", run_tasks)
        assert services.refresh_stale_traces() == 1  # v4only: never traced; plain: fresh; closed/empty: no
        assert set(HostTrace.objects.filter(status=TraceStatus.PENDING).values_list("host", flat=True)) == {
            "v4only.example.test"
        }
        assert services.refresh_stale_traces() == 0  # already queued
        run_tasks()
        traveller.shift(timedelta(hours=25))
        settings.HOTLINE_TRACE_REFRESH_BATCH = 1
        assert services.refresh_stale_traces() == 1  # bounded per run
        assert services.refresh_stale_traces() == 1
        assert services.refresh_stale_traces() == 0


def test_refresh_job_is_a_registered_periodic_task():
    job = next(j for j in REGISTRY.values() if j.name.endswith("refresh_hosting_traces"))
    assert job.every == timedelta(hours=1)
    assert job.task.queue_name == "trace"


def test_a_queued_trace_whose_task_was_lost_is_queued_again(settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        request("plain.example.test")
        DBTaskResult.objects.all().delete()  # the queue was purged
        traveller.shift(timedelta(hours=5))
        request("plain.example.test")
        assert HostTrace.objects.count() == 1
        traveller.shift(timedelta(hours=2))
        request("plain.example.test")
    assert list(HostTrace.objects.order_by("pk").values_list("status", flat=True)) == ["failed", "pending"]
    assert trace_tasks().count() == 1


# --- failures ----------------------------------------------------------------------------------------
def test_nxdomain_is_recorded_and_retried_with_backoff_until_it_gives_up(world, settings, run_tasks):
    settings.HOTLINE_TRACE_MAX_ATTEMPTS = 3
    settings.HOTLINE_TRACE_RETRY_SECONDS = 60
    make_case(host="nothing.example.test")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        done = trace("nothing.example.test", run_tasks)
        assert (done.status, done.attempts, done.failure_code) == ("retrying", 1, FailureCode.NXDOMAIN)
        assert done.next_retry_at == done.finished_at + timedelta(seconds=60)
        retry = trace_tasks().get(status="READY")
        assert retry.run_after == done.next_retry_at
        assert run_tasks() == 0  # not due yet: the queue is not blocked by waiting
        traveller.shift(timedelta(seconds=61))
        run_tasks()
        done.refresh_from_db()
        assert (done.status, done.attempts, done.next_retry_at - done.finished_at) == (
            "retrying",
            2,
            timedelta(seconds=120),
        )
        traveller.shift(timedelta(seconds=121))
        run_tasks()
    done.refresh_from_db()
    assert (done.status, done.attempts, done.next_retry_at) == ("failed", 3, None)
    assert trace_tasks().count() == 3 and not DBTaskResult.objects.ready().exists()
    assert HostTrace.objects.count() == 1 and not HostingObservation.objects.exists()
    assert Case.objects.get().hosting_country == ""
    fact = hosting_history(host="nothing.example.test")[0]
    assert (fact.kind, fact.failure_code, fact.attempts) == ("failure", "nxdomain", 3)
    assert "NXDOMAIN" in fact.failure_label
    assert AuditEntry.objects.filter(action="tracing.trace_failed").count() == 3


@pytest.mark.parametrize(
    ("host", "code"),
    [
        ("slow.example.test", FailureCode.DNS_TIMEOUT),
        ("broken.example.test", FailureCode.DNS_MALFORMED),
        ("nodata.example.test", FailureCode.NO_ADDRESS),
        ("loop1.example.test", FailureCode.CNAME_LOOP),
        ("rdapbad.example.test", FailureCode.RDAP_MALFORMED),
        ("rdapslow.example.test", FailureCode.RDAP_TIMEOUT),
        ("rdapdown.example.test", FailureCode.RDAP_UNAVAILABLE),
    ],
)
def test_failures_are_recorded_with_their_reason(world, run_tasks, host, code):
    done = trace(host, run_tasks)
    assert (done.status, done.failure_code) == (TraceStatus.RETRYING, code)
    assert done.failure_reason


def test_rdap_down_keeps_what_dns_found_and_a_retry_fills_in_the_abuse_contact(world, mmdb, settings, run_tasks):
    settings.HOTLINE_TRACE_RETRY_SECONDS = 60
    case = make_case(host="plain.example.test")
    world.rdap.down = True
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        done = trace("plain.example.test", run_tasks)
        assert (done.status, done.failure_code) == (TraceStatus.RETRYING, FailureCode.RDAP_UNAVAILABLE)
        case.refresh_from_db()
        assert case.hosting_country == "NL"  # the country is known even without RDAP
        partial = hosting_summary(host="plain.example.test")
        assert partial is not None and (partial.country, partial.abuse_email) == ("NL", "")
        facts = hosting_history(host="plain.example.test")
        assert facts[0].is_pending and facts[1].rdap_failed and "RDAP" in facts[1].rdap_label
        world.rdap.down = False
        traveller.shift(timedelta(seconds=61))
        run_tasks()
    done.refresh_from_db()
    assert (done.status, done.attempts) == (TraceStatus.OK, 2)
    summary = hosting_summary(host="plain.example.test")
    assert summary is not None and summary.abuse_email == "abuse@hosting-nl.example"
    assert HostingObservation.objects.count() == 4  # both attempts are history


def test_rdap_404_is_recorded_but_not_retried(world, run_tasks):
    done = trace("rdap404.example.test", run_tasks)
    assert done.status == TraceStatus.OK
    assert HostingObservation.objects.get().rdap_status == "not_found"


def test_onion_names_fail_at_once_without_retry(run_tasks):
    done = trace("exampleonionservicexyz.onion", run_tasks)
    assert (done.status, done.attempts, done.failure_code) == (TraceStatus.FAILED, 1, FailureCode.SPECIAL_USE)


def test_an_unexpected_error_is_recorded_and_retried_not_left_queued(world, settings, tmp_path, run_tasks):
    broken = tmp_path / "broken-cdn.json"
    broken.write_text("{not json")
    settings.HOTLINE_CDN_DATA = str(broken)
    done = trace("plain.example.test", run_tasks)
    assert (done.status, done.failure_code) == (TraceStatus.RETRYING, FailureCode.INTERNAL)
    assert "JSONDecodeError" in done.failure_reason


def test_a_duplicate_task_does_nothing(world, run_tasks):
    trace("plain.example.test", run_tasks)
    from hotline.tracing.tasks import trace_host

    with transaction.atomic():
        trace_host.enqueue("plain.example.test")
    assert run_tasks() == 1
    assert HostTrace.objects.count() == 1 and HostingObservation.objects.count() == 2


def test_the_audit_chain_stays_intact(world, run_tasks):
    make_case(host="plain.example.test")
    trace("plain.example.test", run_tasks)
    trace("nothing.example.test", run_tasks)
    checked, broken = verify()
    assert broken is None and checked >= 5
