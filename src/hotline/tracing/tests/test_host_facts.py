"""What tracing leaves for the other apps: each trace that finds addresses writes the host's newest facts
(cases.HostFacts, read by referrals) exactly as hosting_summary() reads them from tracing's own tables, and the
migration fills them the same way from traces recorded before."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from hotline.cases.factories import make_case
from hotline.cases.models import HostFacts
from hotline.cases.selectors import host_facts
from hotline.tracing.selectors import hosting_summary
from hotline.tracing.tests.test_services import trace

pytestmark = pytest.mark.django_db

FIELDS = ("country", "asn", "network_name", "abuse_email", "holder", "origin_hidden", "found_at", "method", "ips")


def as_stored(host: str) -> dict[str, object]:
    stored = host_facts(host=host)
    assert stored is not None
    return {name: getattr(stored, name) for name in (*FIELDS, "cdn_name", "trace_id")}


def as_summary(host: str) -> dict[str, object]:
    summary = hosting_summary(host=host)
    assert summary is not None
    values = {name: getattr(summary, name) for name in FIELDS}
    return {**values, "cdn_name": summary.cdn_name or "", "trace_id": summary.trace_id}


def test_each_attempt_that_finds_addresses_leaves_the_newest_facts(world, mmdb, settings, run_tasks):
    settings.HOTLINE_TRACE_RETRY_SECONDS = 60
    make_case(host="plain.example.test")
    assert host_facts(host="plain.example.test") is None
    world.rdap.down = True
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        trace("plain.example.test", run_tasks)
        assert as_stored("plain.example.test") == as_summary("plain.example.test")
        assert as_stored("plain.example.test")["abuse_email"] == ""  # RDAP was down
        world.rdap.down = False
        traveller.shift(timedelta(seconds=61))
        run_tasks()
    assert as_stored("plain.example.test") == as_summary("plain.example.test")
    assert as_stored("plain.example.test")["abuse_email"] == "abuse@hosting-nl.example"
    assert HostFacts.objects.count() == 1


def test_a_cdn_host_and_a_host_without_addresses(world, mmdb, run_tasks):
    trace("shop.customer.example.test", run_tasks)
    assert as_stored("shop.customer.example.test") == as_summary("shop.customer.example.test")
    assert as_stored("shop.customer.example.test")["origin_hidden"] is True
    trace("nothing.example.test", run_tasks)
    assert host_facts(host="nothing.example.test") is None and hosting_summary(host="nothing.example.test") is None


def test_the_migration_fills_host_facts_from_traces_recorded_before(world, mmdb, run_tasks):
    trace("plain.example.test", run_tasks)
    trace("shop.customer.example.test", run_tasks)
    written = {host: as_stored(host) for host in ("plain.example.test", "shop.customer.example.test")}
    HostFacts.objects.all().delete()  # as before the migration
    migration = MigrationLoader(connection).get_migration("tracing", "0003_host_facts_from_traces")
    migration.operations[0].code(apps, None)
    assert {host: as_stored(host) for host in written} == written
