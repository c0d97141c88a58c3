"""Faults under load (issue 18): nothing acknowledged is lost, nothing runs or is sent twice in effect.

The production server configuration runs as real processes (granian with two workers, the two task
workers of `manage.py serve`), against real SMTP (aiosmtpd), DNS (dnslib) and RDAP fakes. A reporter
sends the public form, a partner app sends batches with an Idempotency-Key, an analyst assesses cases
and confirms notices to hosts. Meanwhile the web server and the workers are each killed with SIGKILL
ten times (and restarted at once); on PostgreSQL the database server is restarted once as well, on a
scratch cluster of this test's own. Then the load stops, the workers drain the queue, and:

- every acknowledged report (a receipt on the thank-you page, an id in a 201) is stored exactly once;
- every task finished; triage ran once in effect (each URL on a case, each case counts its reports once);
- every confirmed referral exists once and was delivered; no notice reached the mail server twice
  (a notice resent after a crash between SMTP and the database carries the same Message-ID);
- `manage.py verify_audit` proves the audit chain.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import free_port
from tests.resilience.harness import Load, ScratchPostgres, Stack, Tally, World, production_env

pytestmark = [pytest.mark.slow, pytest.mark.resilience]

KILLS = 10  # of the web server and of the workers each
SETTLE = float(os.environ.get("HOTLINE_FAULT_INTERVAL", "1.0"))  # seconds of load between two faults
DRAIN_SECONDS = 240


def on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param(
            "sqlite",
            marks=pytest.mark.skipif(on_postgresql(), reason="the suite's SQLite pass runs it (CI runs both)"),
        ),
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not on_postgresql(), reason="runs when DATABASE_URL names PostgreSQL"),
        ),
    ],
)
def test_kill_9_and_a_database_restart_lose_and_repeat_nothing(
    engine: str, tmp_path: Path, migrated_sqlite: Callable[[Path], Path]
) -> None:
    world = World(tmp_path).start()
    postgres = None
    if engine == "postgresql":  # a cluster of its own on another port: the shared one is never restarted
        postgres = ScratchPostgres(Path(f"/tmp/hotline-resilience-pg-{os.getpid()}"), free_port())
    stack: Stack | None = None
    load: Load | None = None
    try:
        if postgres is not None:
            url = postgres.start()
            import psycopg

            with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE hotline_resilience")
        else:
            url = f"sqlite:///{migrated_sqlite(tmp_path / 'hotline.sqlite3')}"
        stack = Stack(production_env(url, tmp_path, world), tmp_path)
        if postgres is not None:
            stack.manage("migrate", "--noinput", "-v", "0")
        stack.manage("collectstatic", "--noinput", "-v", "0")
        setup = stack.probe("setup")
        stack.start_web()
        stack.start_workers()

        tally = Tally()
        load = Load(stack.url, setup, tally)
        load.start()
        faults: Counter[str] = Counter()
        started = time.monotonic()
        for round_number in range(KILLS):
            time.sleep(SETTLE)
            stack.kill_web()
            faults["web server kill -9"] += 1
            stack.start_web()
            time.sleep(SETTLE)
            stack.kill_workers()
            faults["worker kill -9"] += 1
            stack.start_workers()
            if postgres is not None and round_number == KILLS // 2:
                postgres.restart()
                faults["PostgreSQL restart"] += 1
        time.sleep(SETTLE)
        load.stop()
        fault_seconds = time.monotonic() - started

        # Drain: the workers finish what was queued; a delivery a killed worker had claimed waits for its
        # lease and is then picked up by the scheduler's safety net (run here at once, not in 10 minutes).
        deadline = time.monotonic() + DRAIN_SECONDS
        nudged_at = 0.0
        while True:
            state = stack.probe("state", {"receipts": tally.receipts, "api_ids": tally.api_ids})
            pending = [r for r in state["referrals"] if r["state"] not in ("sent", "acknowledged", "removed")]
            if state["unfinished_tasks"] == 0 and state["untriaged"] == 0 and not pending:
                break
            assert time.monotonic() < deadline, (
                f"not drained in {DRAIN_SECONDS}s: {state['tasks']}, untriaged {state['untriaged']}, {pending}"
            )
            if pending and state["unfinished_tasks"] == 0 and time.monotonic() - nudged_at > 15:
                stack.probe("enqueue-due-referrals")
                nudged_at = time.monotonic()
            time.sleep(2)
        drain_seconds = time.monotonic() - deadline + DRAIN_SECONDS
        stack.manage("verify_audit")  # exits non-zero when the chain does not verify
        stack.stop()
    finally:
        if load is not None:
            load.stop()
        if stack is not None:
            stack.stop()
        world.stop()
        if postgres is not None:
            postgres.stop()

    acknowledged = len(tally.receipts) + len(tally.api_ids)
    mails = Counter(reference for reference, _ in world.mail.messages)
    message_ids: dict[str, set[str]] = {}
    for reference, message_id in world.mail.messages:
        message_ids.setdefault(reference, set()).add(message_id)
    print(
        f"\nfaults: {dict(faults)} in {fault_seconds:.0f}s, drained in {drain_seconds:.0f}s; "
        f"web starts {stack.web_starts}, worker starts {stack.worker_starts}; "
        f"acknowledged {acknowledged} ({len(tally.receipts)} form, {len(tally.api_ids)} API), "
        f"stored {state['reports']}; attempts {dict(tally.attempts)}; cases {state['cases']}, "
        f"referrals {len(state['referrals'])}, mails {len(world.mail.messages)}; tasks {state['tasks']}; "
        f"client errors {dict(tally.errors)}, server errors {Counter(tally.server_errors)}"
    )
    assert faults["web server kill -9"] == KILLS and faults["worker kill -9"] == KILLS
    assert tally.receipts and tally.api_ids and tally.confirmed_cases, "the load did not get through"
    # A killed server drops connections; a database restarting is a 503 to retry, never a 500.
    assert all(error.endswith(" 503") for error in tally.server_errors), tally.server_errors
    # Every acknowledged report exactly once (a receipt is 16 random digits; an id a UUID).
    assert state["receipt_counts"] == [1] * len(tally.receipts)
    assert state["api_counts"] == [1] * len(tally.api_ids)
    assert state["reports"] >= acknowledged
    # Every task finished (none failed, none left behind), triage once in effect.
    assert set(state["tasks"]) <= {"SUCCESSFUL", "READY"}, state["tasks"]
    # READY only for what is due later: the next reminder of each notice sent.
    assert state["tasks"].get("READY", 0) == sum(state["scheduled_tasks"].values())
    assert set(state["scheduled_tasks"]) <= {"hotline.referrals.tasks.deliver_referral"}, state["scheduled_tasks"]
    assert state["untriaged"] == 0 and state["unattached_urls"] == 0
    assert state["miscounted_cases"] == []
    # Each acknowledged plan has its notice; no referral twice; each notice reached the server once in effect.
    by_case = Counter(r["case_id"] for r in state["referrals"] if r["target"] == "host_notice")
    assert all(by_case[c] == 1 for c in tally.confirmed_cases), by_case
    assert max(by_case.values()) == 1
    for referral in state["referrals"]:
        assert referral["state"] == "sent" and referral["notice_count"] == 1, referral
        assert len(message_ids.get(referral["reference"], ())) == 1, (referral, mails[referral["reference"]])
    assert set(mails) == {r["reference"] for r in state["referrals"]}
