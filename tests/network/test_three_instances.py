"""Done-when of the hotline network (issue 14): three Hotline instances as real servers on loopback, each with
its own SQLite file, key file, web server and worker (`manage.py serve`), registered with each other by
fingerprint. SE forwards a case hosted in NL; NL's analyst assesses it, its notice goes out and removal is
recorded; SE's referral reaches content_removed from NL's message with the time to removal; DE receives
nothing. With NL stopped, SE's message keeps retrying and is delivered once after NL is back. Forged and
replayed requests leave NL nothing but their audit entries. NL's database and logs hold no reporter contact
and no description SE did not share.

The analysts' steps run as small scripts in each instance (`manage.py shell -c`): the services the staff pages
call, without driving three browsers."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import free_port
from hotline.network.instances import PY, ROOT, Instance

# One pytest-xdist worker for the module (conftest: module-scoped fixtures): the three instances start once.
pytestmark = [pytest.mark.slow]

CONTACT = "reporter-contact-7f3a@example.test"
DESCRIPTION = "Neutral private description 9c1e, not to be shared."


def wait_for(check: Callable[[], Any], *, timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _postgres_databases(base_url: str, names: list[str], tmp: Path) -> list[str]:
    """One migrated template database, then one copy per instance (CREATE DATABASE ... TEMPLATE)."""
    import psycopg

    server = base_url.rsplit("/", 1)[0]
    template = "hotline_network_e2e_tpl"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for name in [*names, template]:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{template}"')
    env = {**Instance(code="SE-ECPAT", country="SE", tmp=tmp, database_url=f"{server}/{template}").env()}
    subprocess.run(
        [PY, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=600
    )
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return [f"{server}/{name}" for name in names]


@pytest.fixture(scope="module", params=[pytest.param("sqlite", marks=pytest.mark.own_sqlite), "postgresql"])
def network(
    request: Any, tmp_path_factory: Any, migrated_sqlite: Callable[[Path], Path]
) -> Iterator[dict[str, Instance]]:
    """The three instances on SQLite files (copies of the run's migrated template; the SQLite pass runs them),
    and (when the suite runs on PostgreSQL: DATABASE_URL) on three PostgreSQL databases."""
    names = (("SE", "SE-ECPAT", "SE"), ("NL", "NL-EXAMPLE", "NL"), ("DE", "DE-EXAMPLE", "DE"))
    instances = {
        name: Instance(code=code, country=country, tmp=tmp_path_factory.mktemp(name), port=free_port())
        for name, code, country in names
    }
    if request.param == "postgresql":
        base = os.environ.get("DATABASE_URL", "")
        if not base.startswith("postgres"):
            pytest.skip("DATABASE_URL does not point at PostgreSQL")
        urls = _postgres_databases(
            base, [f"hotline_network_e2e_{n.lower()}" for n, _c, _k in names], tmp_path_factory.mktemp("pg-template")
        )
        for inst, url in zip(instances.values(), urls, strict=True):
            inst.database_url = url
    else:
        for inst in instances.values():
            migrated_sqlite(inst.db)
    try:
        for inst in instances.values():
            out = inst.manage(
                "network_init",
                "--code",
                inst.code,
                "--countries",
                inst.country,
                "--base-url",
                inst.url,
                "--name",
                f"Hotline {inst.code}",
                "--contact-email",
                f"network@{inst.country.lower()}.example.test",
            )
            inst.fingerprint = out.rsplit("by phone): ", 1)[1].strip()
            inst.start()
        se, nl, de = instances["SE"], instances["NL"], instances["DE"]
        for own, partner in ((se, nl), (se, de), (nl, se), (de, se)):
            own.manage("network_add_partner", "--base-url", partner.url, "--fingerprint", partner.fingerprint)
        yield instances
    finally:
        for inst in instances.values():
            inst.stop()


SE_FORWARD = """
from hotline.cases.factories import make_assessed_case
from hotline.referrals import selectors
from hotline.referrals.models import PartnerHotline
from hotline.referrals.services import TargetChoice, confirm_referral_plan
case = make_assessed_case(host="files.example.test", path=PATH, country="NL", contact=CONTACT,
                          description=DESCRIPTION, site_type="file_host")
plan = selectors.case_plan(case=case)
nl = PartnerHotline.objects.get(code="NL-EXAMPLE")
(referral,) = confirm_referral_plan(case_id=case.pk, actor=case.assessments.first().analyst,
    assessment_id=plan.assessment.pk, choices=[TargetChoice(key=f"partner_hotline:{nl.pk}")],
    adjust_reason="forward to the partner hotline only")
result = {"case": case.pk, "referral": referral.pk, "reference": referral.reference}
"""

SE_STATE = """
from hotline.network.models import OutboxMessage
from hotline.referrals.models import Referral, ReferralTiming
r = Referral.objects.get(pk=REFERRAL)
m = OutboxMessage.objects.get(referral=r)
t = ReferralTiming.objects.filter(case_id=r.case_id).first()
from hotline.network.selectors import case_messages
timeline = case_messages(case=r.case).timelines[0]
result = {"referral": r.state, "outbox": m.state, "attempts": m.attempts, "last_error": m.last_error,
          "statuses": [s.status for s in timeline.statuses], "removed_at": timeline.removed_at,
          "report_to_removal": timeline.report_to_removal.total_seconds() if timeline.report_to_removal else None,
          "timing_report_to_removal": t.report_to_removal_seconds if t else None}
"""

NL_FORWARDS = """
from hotline.network.models import InboxMessage
rows = InboxMessage.objects.filter(kind="report.forward", case_reference=REFERENCE)
result = [{"report": m.report_id, "triaged": bool(m.report and m.report.triaged_at),
           "case": (m.report.urls.first().case_id if m.report else None)} for m in rows]
"""

NL_ASSESS_NOTICE_REMOVE = """
from hotline.cases.factories import add_host_facts, claim_and_assess
from hotline.cases.models import Case
from hotline.cases.services import AssessmentInput, set_hosting_country
from hotline.referrals import selectors
from hotline.referrals.services import TargetChoice, confirm_referral_plan
from hotline.staff.factories import known_staff_user
case = Case.objects.get(pk=CASE)
analyst = known_staff_user("analyst", email="analyst@nl.example.test")
add_host_facts(host=case.host, country="NL", abuse_email="abuse@hosting.example.test")
set_hosting_country(host=case.host, country="NL", actor="system")
claim_and_assess(case, analyst, AssessmentInput(verdict="csam_baseline", kind="online_material",
                 media_types=["image"], site_type="file_host"))
plan = selectors.case_plan(case=Case.objects.get(pk=CASE))
confirm_referral_plan(case_id=CASE, actor=analyst, assessment_id=plan.assessment.pk,
                      choices=[TargetChoice(key="host_notice")], adjust_reason="notice to the host only")
result = True
"""

NL_REMOVE = """
from hotline.referrals.services import mark_content_removed
from hotline.staff.factories import known_staff_user
mark_content_removed(case_id=CASE, actor=known_staff_user("analyst", email="analyst@nl.example.test"),
                     method="checked_by_analyst")
result = True
"""

NL_SENT = """
from hotline.network.models import OutboxMessage
result = sorted(m.status for m in OutboxMessage.objects.filter(kind="report.status", state="delivered"))
"""

NL_REPORT_TEXTS = """
from hotline.cases.models import Report
from hotline.network.models import InboxMessage
result = {"reports": [[r.description, r.contact, r.where_seen] for r in Report.objects.all()],
          "inbox": InboxMessage.objects.count()}
"""


def forward_from_se(se: Instance, path: str) -> dict[str, Any]:
    code = (
        SE_FORWARD.replace("PATH", repr(path))
        .replace("CONTACT", repr(CONTACT))
        .replace("DESCRIPTION", repr(DESCRIPTION))
    )
    return se.run(code)


def se_state(se: Instance, referral: int) -> dict[str, Any]:
    return se.run(SE_STATE.replace("REFERRAL", str(referral)))


def nl_forwards(nl: Instance, reference: str) -> list[dict[str, Any]]:
    return nl.run(NL_FORWARDS.replace("REFERENCE", repr(reference)))


def test_forward_assess_notice_removal_and_nothing_for_de(network: dict[str, Instance]) -> None:
    se, nl, de = network["SE"], network["NL"], network["DE"]
    sent = forward_from_se(se, "/album/8841")

    wait_for(lambda: se_state(se, sent["referral"])["outbox"] == "delivered", what="SE's forward acknowledged")
    assert se_state(se, sent["referral"])["referral"] == "acknowledged"
    (forward,) = wait_for(
        lambda: [f for f in nl_forwards(nl, sent["reference"]) if f["triaged"] and f["case"]],
        what="NL's triage of the forwarded report",
    )

    nl.run(NL_ASSESS_NOTICE_REMOVE.replace("CASE", str(forward["case"])))
    wait_for(lambda: "notice_sent_to_host" in nl.run(NL_SENT), what="NL's notice status delivered")
    nl.run(NL_REMOVE.replace("CASE", str(forward["case"])))

    state = wait_for(
        lambda: (s := se_state(se, sent["referral"]))["referral"] == "content_removed" and s,
        what="SE's referral removed by NL's message",
    )
    for status in ("received", "in_assessment", "assessed_illegal", "notice_sent_to_host", "content_removed"):
        assert status in state["statuses"], state
    assert state["report_to_removal"] is not None and state["report_to_removal"] >= 0
    assert state["timing_report_to_removal"] is not None
    # DE was never addressed.
    assert de.run(NL_REPORT_TEXTS) == {"reports": [], "inbox": 0}

    # Nothing SE's reporter said about themselves, and no description SE did not share, reached NL.
    texts = nl.run(NL_REPORT_TEXTS)
    assert all(CONTACT not in json.dumps(r) and DESCRIPTION not in json.dumps(r) for r in texts["reports"])
    # The raw bytes too: SQLite files (and WAL) when NL runs on SQLite, and the server log either way.
    raw = b"".join(p.read_bytes() for p in nl.tmp.glob("hotline.sqlite3*")) + nl.log.read_bytes()
    assert CONTACT.encode() not in raw and DESCRIPTION.encode() not in raw


def test_partner_down_retries_then_delivered_once(network: dict[str, Instance]) -> None:
    se, nl = network["SE"], network["NL"]
    nl.stop()
    try:
        sent = forward_from_se(se, "/album/9902")
        state = wait_for(lambda: (s := se_state(se, sent["referral"]))["attempts"] >= 2 and s, what="retries")
        assert state["outbox"] == "retrying" and "could not be reached" in state["last_error"]
        assert state["referral"] == "failed"  # shown on the failed-deliveries page while it retries
    finally:
        nl.start()
    wait_for(lambda: se_state(se, sent["referral"])["outbox"] == "delivered", what="delivery after restart")
    assert len(nl_forwards(nl, sent["reference"])) == 1


SE_FORWARD_MANY = """
from hotline.cases.factories import make_assessed_case
from hotline.referrals import selectors
from hotline.referrals.models import PartnerHotline
from hotline.referrals.services import TargetChoice, confirm_referral_plan
nl = PartnerHotline.objects.get(code="NL-EXAMPLE")
result = []
for i in range(6):
    case = make_assessed_case(host="files.example.test", path=f"/kill/{i}", country="NL", site_type="file_host")
    plan = selectors.case_plan(case=case)
    (r,) = confirm_referral_plan(case_id=case.pk, actor=case.assessments.first().analyst,
        assessment_id=plan.assessment.pk, choices=[TargetChoice(key=f"partner_hotline:{nl.pk}")], adjust_reason="x")
    result.append([r.pk, r.reference])
"""


def test_kill_9_of_the_sender_mid_send_loses_and_doubles_nothing(network: dict[str, Instance]) -> None:
    se, nl = network["SE"], network["NL"]
    sent = se.run(SE_FORWARD_MANY)
    time.sleep(0.3)  # the worker is picking them up
    se.kill_hard()
    se.start()
    for referral, reference in sent:
        wait_for(lambda r=referral: se_state(se, r)["outbox"] == "delivered", timeout=180, what="delivery after kill")
        forwards = nl_forwards(nl, reference)
        assert len(forwards) == 1, reference


def test_forged_and_replayed_requests_leave_only_audit_entries(network: dict[str, Instance]) -> None:
    se, nl = network["SE"], network["NL"]
    count = """
from hotline.cases.models import Report
from hotline.network.models import InboxMessage, OutboxMessage
from hotline.core.models import AuditEntry
result = [Report.objects.count(), InboxMessage.objects.count(), OutboxMessage.objects.count(),
          AuditEntry.objects.filter(action="network.message_refused").count()]
"""
    signed = se.run(
        """
from datetime import timedelta
from django.utils import timezone
from hotline.network import own_key
from hotline.network.factories import signed_delivery
from hotline.network.protocol import build_report_forward, generate_private_key
def doc():
    return build_report_forward(sender="SE-ECPAT", recipient="NL-EXAMPLE", case_reference="R-FORGED",
        first_reported_at=timezone.now() - timedelta(hours=1), urls=["https://files.example.test/x"],
        kind="online_material", classification="csam_baseline")
key = own_key.private_key()
out = {}
h, b = signed_delivery(doc(), key=generate_private_key(), receiver_base_url=BASE, sign_with_id_of=key)
out["forged"] = (h, b.decode())
h, b = signed_delivery(doc(), key=generate_private_key(), receiver_base_url=BASE)
out["wrong_key"] = (h, b.decode())
h, b = signed_delivery(doc(), key=key, receiver_base_url=BASE)
out["digest"] = (h, b.decode().replace("R-FORGED", "R-FORGES"))
h, b = signed_delivery(doc(), key=key, receiver_base_url=BASE, created=timezone.now() - timedelta(seconds=400))
out["old"] = (h, b.decode())
h, b = signed_delivery(doc(), key=key, receiver_base_url=BASE)
out["replay"] = (h, b.decode())
result = out
""".replace("BASE", repr(nl.url))
    )
    before = nl.run(count)
    expected = {
        "forged": (401, "signature-invalid"),
        "wrong_key": (401, "key-unknown"),
        "digest": (400, "digest-mismatch"),
        "old": (401, "signature-too-old"),
    }
    for name, (status, code) in expected.items():
        headers, body = signed[name]
        answer = requests.post(f"{nl.url}/network/v1/inbox", data=body.encode(), headers=headers, timeout=10)
        assert (answer.status_code, answer.json()["type"].rsplit("/", 1)[1]) == (status, code), name
    after = nl.run(count)
    assert after[:3] == before[:3] and after[3] == before[3] + len(expected)

    headers, body = signed["replay"]
    first = requests.post(f"{nl.url}/network/v1/inbox", data=body.encode(), headers=headers, timeout=10)
    again = requests.post(f"{nl.url}/network/v1/inbox", data=body.encode(), headers=headers, timeout=10)
    assert first.status_code == again.status_code == 200
    assert again.json()["data"]["duplicate"] is True
    final = nl.run(count)
    assert final[0] == before[0] + 1 and final[1] == before[1] + 1  # applied once
