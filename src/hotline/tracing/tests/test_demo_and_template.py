"""The demo data, the hosting template (as the case page includes it) in both languages, system checks."""

from __future__ import annotations

import io

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from hotline.cases.factories import make_case
from hotline.cases.models import Case, ReportKind
from hotline.core.conf import check_settings
from hotline.core.models import AuditEntry
from hotline.tracing import demo
from hotline.tracing.apps import check_tracing_settings
from hotline.tracing.models import HostingObservation, HostTrace, TraceStatus
from hotline.tracing.selectors import hosting_history, hosting_summary
from hotline.tracing.tests.test_services import trace

HOSTS = [f"site{i}.example.test" for i in range(8)]


@pytest.mark.django_db
def test_demo_gives_every_case_host_hosting_facts_and_is_idempotent(run_tasks):
    for host in HOSTS:
        make_case(host=host)
    make_case(kind=ReportKind.GROOMING)  # no host: nothing to trace
    out = io.StringIO()
    demo.load(out)
    assert "8 demo host(s)" in out.getvalue()
    assert HostTrace.objects.filter(status__in=[TraceStatus.PENDING, TraceStatus.RETRYING]).count() == 0
    countries = dict(Case.objects.exclude(host="").values_list("host", "hosting_country"))
    assert countries["site0.example.test"] == "NL"
    assert countries["site6.example.test"] == ""  # the one whose trace failed (NXDOMAIN)
    assert hosting_history(host="site6.example.test")[0].failure_code == "nxdomain"
    assert len({h.hosting_country for h in Case.objects.exclude(host="")}) >= 5
    assert hosting_summary(host="site2.example.test").origin_hidden
    assert hosting_summary(host="site4.example.test").abuse_email == ""  # a host without abuse contact
    assert [f.country for f in hosting_history(host="site1.example.test")] == ["US", "BZ"]  # moved
    assert (
        AuditEntry.objects.filter(action="case.hosting_country", actor_label="demo_data").count() == 8
    )  # site1 moved: two changes
    for obs in HostingObservation.objects.all():
        assert obs.ip.startswith(("192.0.2.", "198.51.100.", "203.0.113.", "2001:db8:"))
        assert not obs.abuse_email or obs.abuse_email.endswith(".example")
    before = (HostTrace.objects.count(), HostingObservation.objects.count(), AuditEntry.objects.count())
    demo.load(io.StringIO())
    assert (HostTrace.objects.count(), HostingObservation.objects.count(), AuditEntry.objects.count()) == before
    assert run_tasks() == 0


@pytest.mark.django_db
def test_template_shows_each_observation_with_how_and_when(world, mmdb, run_tasks):
    trace("plain.example.test", run_tasks)
    trace("shop.customer.example.test", run_tasks)
    with translation.override("en"):
        html = render_to_string(
            "tracing/_hosting_history.html", {"hosting_history": hosting_history(host="plain.example.test")}
        )
        cdn = render_to_string(
            "tracing/_hosting_history.html", {"hosting_history": hosting_history(host="shop.customer.example.test")}
        )
    for text in ("192.0.2.10", "2001:db8::10", "NL", "AS64501", "EXAMPLE-HOSTING-NL", "abuse@hosting-nl.example",
                 "Example Hosting B.V.", "dns+mmdb+rdap", "country: mmdb", "RDAP server:"):  # fmt: skip
        assert text in html
    assert "mailto:" not in html and "<a " not in html  # facts are text, never links
    assert "origin hidden" in cdn and "Example CDN" in cdn
    assert "shop.customer.example.test → customer-1.edge.cdn.example" in cdn


@pytest.mark.django_db
def test_template_shows_failures_and_queued_lookups_with_the_reason(world, run_tasks):
    trace("nothing.example.test", run_tasks)
    with translation.override("en"):
        html = render_to_string(
            "tracing/_hosting_history.html", {"hosting_history": hosting_history(host="nothing.example.test")}
        )
        empty = render_to_string("tracing/_hosting_history.html", {"hosting_history": []})
    assert "NXDOMAIN" in html and "nothing.example.test does not exist" in html and "tried again" in html
    assert "No hosting lookup yet." in empty


@pytest.mark.django_db
def test_template_in_swedish(world, run_tasks):
    trace("nothing.example.test", run_tasks)
    with translation.override("sv"):
        html = render_to_string(
            "tracing/_hosting_history.html", {"hosting_history": hosting_history(host="nothing.example.test")}
        )
    assert "Namnet finns inte (NXDOMAIN)" in html
    assert "Abuse contact" not in html


def test_system_checks(settings, tmp_path):
    # A value that does not parse (tracing.E001) is found by the one settings check, the files by tracing's.
    assert [*check_settings(), *check_tracing_settings()] == []
    settings.HOTLINE_DNS_SERVERS = "resolver.example"
    settings.HOTLINE_GEOIP_MMDB = str(tmp_path / "missing.mmdb")
    settings.HOTLINE_CDN_DATA = str(tmp_path / "missing.json")
    found = [*check_settings(), *check_tracing_settings()]
    assert {m.id for m in found} == {"tracing.E001", "tracing.W001", "tracing.E002"}
    assert "HOTLINE_DNS_SERVERS" in next(m.msg for m in found if m.id == "tracing.E001")


@pytest.mark.django_db
def test_the_case_page_shows_the_hosting_facts(world, mmdb, run_tasks, staff_client):
    case = make_case(host="plain.example.test")
    trace("plain.example.test", run_tasks)
    page = staff_client("analyst").get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "abuse@hosting-nl.example" in html and "AS64501" in html and "dns+mmdb+rdap" in html
