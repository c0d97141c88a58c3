"""The task worker: a task committed with its write, and a worker killed mid-task loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        HOTLINE_VAR_DIR=str(tmp_path),
        HOTLINE_ENV="development",
        PYTHONPATH=str(ROOT),
    )
    return env


def _manage(env: dict[str, str], *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def _wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.own_sqlite
def test_worker_killed_mid_task_runs_the_task_again(tmp_path: Path, migrated_sqlite: Callable[[Path], Path]) -> None:
    env = _env(tmp_path)
    migrated_sqlite(tmp_path / "worker.sqlite3")
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()
    enqueue = (
        "from tests.worker_tasks import interruptible_marker;"
        f"print(interruptible_marker.enqueue({str(marker_dir)!r}).id)"
    )
    task_id = _manage(env, "shell", "-v", "0", "-c", enqueue).stdout.strip().splitlines()[-1]

    worker_cmd = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--interval", "0.1", "--no-startup-delay"]
    first = subprocess.Popen(worker_cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(marker_dir / "started", 60), "the worker never started the task"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    status = _manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        f"from django_tasks_db.models import DBTaskResult; print(DBTaskResult.objects.get(id={task_id!r}).status)",
    ).stdout.strip()
    assert status == "RUNNING"  # left behind by the killed worker
    assert not (marker_dir / "done").exists()

    second = subprocess.Popen(
        [*worker_cmd, "--batch"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        second.wait(timeout=60)
    finally:
        if second.poll() is None:
            second.kill()
    assert (marker_dir / "done").exists(), "the interrupted task was not run again"
    status = _manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        f"from django_tasks_db.models import DBTaskResult; print(DBTaskResult.objects.get(id={task_id!r}).status)",
    ).stdout.strip()
    assert status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_a_task_is_committed_with_its_write_or_not_at_all(tmp_path: Path) -> None:
    from django_tasks_db.models import DBTaskResult

    from tests.worker_tasks import interruptible_marker

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        interruptible_marker.enqueue(str(tmp_path))
        raise Boom
    assert DBTaskResult.objects.count() == 0
    with transaction.atomic():
        interruptible_marker.enqueue(str(tmp_path))
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db
def test_requeue_leaves_live_workers_alone_and_expires_old_leases(settings: Any) -> None:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from hotline.core.taskqueue import make_worker_id, requeue_stale_tasks
    from tests.worker_tasks import interruptible_marker

    result = interruptible_marker.enqueue("/nonexistent")
    row = DBTaskResult.objects.get(id=result.id)
    row.claim(make_worker_id())  # this (live) process
    assert requeue_stale_tasks() == 0
    assert requeue_stale_tasks(now=timezone.now() + settings.HOTLINE_TASK_LEASE + timedelta(seconds=1)) == 1
    assert DBTaskResult.objects.get(id=result.id).status == "READY"


@pytest.mark.django_db
def test_periodic_jobs_are_enqueued_once_per_interval() -> None:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from hotline.core import scheduler
    from tests.worker_tasks import interruptible_marker

    saved = dict(scheduler.REGISTRY)
    scheduler.REGISTRY.clear()
    try:
        scheduler.periodic(every=timedelta(hours=1), name="test-job")(interruptible_marker)
        now = timezone.now()
        assert scheduler.enqueue_due_jobs(now=now) == ["test-job"]
        assert scheduler.enqueue_due_jobs(now=now + timedelta(minutes=59)) == []
        assert scheduler.enqueue_due_jobs(now=now + timedelta(minutes=61)) == ["test-job"]
        assert DBTaskResult.objects.count() == 2
    finally:
        scheduler.REGISTRY.clear()
        scheduler.REGISTRY.update(saved)
