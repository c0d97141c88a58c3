"""bench/network.py (`make bench-network`): the hotline network between two real instances on loopback (SE and
NL, each `manage.py serve`: granian + workers, own SQLite file and key), in one run:

1. end to end: N network referrals committed at SE -> acknowledged by NL (forwards per second), and the latency
   from SE's commit to the report being visible in NL's queue (triaged), p50 / p99, default worker settings;
2. the inbox itself, interleaved rounds: signed forwards POSTed to NL's inbox (sign, digest, verify, schema,
   idempotency row, report, status row, signed ack verified by the client) against a baseline of the same
   POST and report insert without signing or verifying (NL's partner API, POST /api/v1/reports).
Targets (issue 14): signed >= 60 % of the baseline; p50 commit -> visible under 2 s."""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from hotline.network.instances import Instance  # noqa: E402

N_END_TO_END = 40
ROUNDS, PER_ROUND = 3, 100

FORWARD_MANY = """
from hotline.cases.factories import make_assessed_case
from hotline.referrals import selectors
from hotline.referrals.models import PartnerHotline
from hotline.referrals.services import TargetChoice, confirm_referral_plan
nl = PartnerHotline.objects.get(code="NL-EXAMPLE")
for i in range(N):
    case = make_assessed_case(host="files.example.test", path=f"/bench/{i}", country="NL", site_type="file_host")
    plan = selectors.case_plan(case=case)
    confirm_referral_plan(case_id=case.pk, actor=case.assessments.first().analyst, assessment_id=plan.assessment.pk,
        choices=[TargetChoice(key=f"partner_hotline:{nl.pk}")], adjust_reason="bench")
result = N
"""

SE_TIMES = """
from hotline.network.models import OutboxMessage
rows = OutboxMessage.objects.filter(kind="report.forward").select_related("referral")
result = [[m.referral.reference, m.created_at.isoformat(), m.delivered_at.isoformat() if m.delivered_at else None]
          for m in rows]
"""

NL_TIMES = """
from hotline.network.models import InboxMessage
rows = InboxMessage.objects.filter(kind="report.forward").select_related("report")
result = {m.case_reference: (m.report.triaged_at.isoformat() if m.report and m.report.triaged_at else None)
          for m in rows}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {what}")
        time.sleep(0.25)


def end_to_end(se: Instance, nl: Instance) -> dict[str, float]:
    se.run(FORWARD_MANY.replace("range(N)", f"range({N_END_TO_END})").replace("result = N", "result = 1"))
    rows = wait_for(lambda: (r := se.run(SE_TIMES)) and all(row[2] for row in r) and r, 300, "acks")
    triaged = wait_for(
        lambda: (t := nl.run(NL_TIMES)) and len(t) >= len(rows) and all(t.values()) and t, 300, "triage at NL"
    )
    created = {ref: datetime.fromisoformat(c) for ref, c, _d in rows}
    delivered = [datetime.fromisoformat(d) for _r, _c, d in rows]
    latency = [(datetime.fromisoformat(triaged[ref]) - at).total_seconds() for ref, at in created.items()]
    span = (max(delivered) - min(created.values())).total_seconds()
    return {"forwards_per_s": len(rows) / span, "p50_s": percentile(latency, 50), "p99_s": percentile(latency, 99)}


def post_all(base: str, requests_: list[tuple[str, bytes, dict[str, str]]], check: Any = None) -> float:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    started = time.perf_counter()
    for path, body, headers in requests_:
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        if answer.status not in (200, 201, 202):
            raise SystemExit(f"{path}: HTTP {answer.status} {data[:200]!r}")
        if check is not None:
            check(headers, data, answer)
    elapsed = time.perf_counter() - started
    connection.close()
    return len(requests_) / elapsed


def inbox_vs_baseline(se: Instance, nl: Instance, api_key: str) -> dict[str, float]:
    from hotline.network.protocol import (
        INBOX_PATH,
        MEDIA_TYPE,
        build_report_forward,
        decode_json,
        encode_message,
        key_id,
        load_private_key_pem,
        parse_identity,
        sign_request,
        verify_response,
    )

    key = load_private_key_pem((se.tmp / "network-key.pem").read_bytes())
    kid = key_id(key.public_key())
    with urlopen_json(f"{nl.url}/network/v1/identity") as document:
        nl_keys = parse_identity(document).keys
    url = nl.url + INBOX_PATH

    def signed(n: int) -> list[tuple[str, bytes, dict[str, str]]]:
        out = []
        for i in range(n):
            doc = build_report_forward(
                sender="SE-ECPAT",
                recipient="NL-EXAMPLE",
                case_reference=f"R-B{uuid4().hex[:12]}",
                first_reported_at=datetime.now(UTC) - timedelta(hours=1),
                urls=[f"https://files.example.test/inbox-bench/{uuid4().hex}/{i}"],
                kind="online_material",
                classification="csam_baseline",
            )
            body = encode_message(doc)
            headers = {"Content-Type": MEDIA_TYPE}
            headers |= sign_request("POST", url, headers, body, key, kid, datetime.now(UTC))
            out.append((INBOX_PATH, body, headers))
        return out

    def check_ack(headers: dict[str, str], data: bytes, answer: Any) -> None:
        verify_response(
            answer.status,
            dict(answer.getheaders()),
            data,
            request_method="POST",
            request_url=url,
            request_headers=headers,
            resolve_key=nl_keys.get,
            now=datetime.now(UTC),
        )
        decode_json(data)

    def unsigned(n: int) -> list[tuple[str, bytes, dict[str, str]]]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}
        return [
            (
                "/api/v1/reports",
                json.dumps(
                    {"kind": "online_material", "urls": [f"https://files.example.test/api-bench/{uuid4().hex}/{i}"]}
                ).encode(),
                headers,
            )
            for i in range(n)
        ]

    rates: dict[str, list[float]] = {"signed": [], "baseline": []}
    for _ in range(ROUNDS):
        # Signing happens before the clock starts for both: the client's work is not the server's.
        batch = signed(PER_ROUND)
        rates["signed"].append(post_all(nl.url, batch, check_ack))
        rates["baseline"].append(post_all(nl.url, unsigned(PER_ROUND)))
    signed_rate, baseline_rate = statistics.median(rates["signed"]), statistics.median(rates["baseline"])
    return {"signed_per_s": signed_rate, "baseline_per_s": baseline_rate, "ratio": signed_rate / baseline_rate}


class urlopen_json:  # a tiny context manager, named like the function it wraps
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> dict[str, Any]:
        from urllib.request import urlopen

        with urlopen(self.url, timeout=10) as answer:  # nosec B310  # loopback bench URL
            return json.loads(answer.read())  # type: ignore[no-any-return]

    def __exit__(self, *exc: object) -> None:
        return None


def main() -> int:
    limits = {
        "HOTLINE_NETWORK_REQUESTS_PER_MINUTE": "1000000",
        "HOTLINE_API_REQUESTS_PER_MINUTE": "1000000",
        "HOTLINE_NETWORK_RETRY_BASE_SECONDS": "1",
    }
    with tempfile.TemporaryDirectory(prefix="bench-network-") as tmp:
        se = Instance(code="SE-ECPAT", country="SE", tmp=Path(tmp) / "se", port=free_port(), extra_env=limits)
        nl = Instance(code="NL-EXAMPLE", country="NL", tmp=Path(tmp) / "nl", port=free_port(), extra_env=limits)
        try:
            for inst in (se, nl):
                inst.tmp.mkdir()
                inst.manage("migrate", "--noinput", "-v", "0")
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
                    "n@example.test",
                )
                inst.fingerprint = out.rsplit("by phone): ", 1)[1].strip()
                inst.start()
            se.manage("network_add_partner", "--base-url", nl.url, "--fingerprint", nl.fingerprint)
            nl.manage("network_add_partner", "--base-url", se.url, "--fingerprint", se.fingerprint)
            api_key = nl.manage("create_partner_key", "Bench partner").strip().splitlines()[-1]
            e2e = end_to_end(se, nl)
            inbox = inbox_vs_baseline(se, nl, api_key)
        finally:
            se.stop()
            nl.stop()
    print(f"end to end (committed at SE -> acknowledged by NL): {e2e['forwards_per_s']:.1f} forwards/s")
    print(f"commit at SE -> visible in NL's queue: p50 {e2e['p50_s']:.2f} s, p99 {e2e['p99_s']:.2f} s")
    print(
        f"NL inbox, signed and verified: {inbox['signed_per_s']:.0f}/s; baseline unsigned POST + insert "
        f"(partner API): {inbox['baseline_per_s']:.0f}/s; ratio {inbox['ratio']:.0%} (target >= 60 %)"
    )
    ok = inbox["ratio"] >= 0.6 and e2e["p50_s"] < 2.0
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
