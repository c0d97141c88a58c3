"""The fault tests' eyes inside the database: run as a separate process with the servers' environment.

    python tests/resilience/probe.py setup              -> JSON: partner key, analyst session cookie
    python tests/resilience/probe.py state < acked.json -> JSON: what the checks compare

A process of its own (not the pytest process) because the servers use a database that pytest-django
does not manage: a fresh SQLite file or a database on a scratch PostgreSQL cluster.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")


def setup() -> dict[str, Any]:
    """A partner key and a signed-in analyst (second factor verified), as after a TOTP step."""
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from hotline.staff import services as staff_services
    from hotline.staff.models import StaffUser, TOTPDevice

    _, key = staff_services.create_partner_key(partner="Resilience partner", actor="resilience-test")
    sessions = {}
    for role in ("analyst", "supervisor"):
        user = StaffUser.objects.create_user(email=f"{role}@resilience.example", password="x" * 20)
        groups = [Group.objects.get_or_create(name=role)[0]]
        if role == "supervisor":
            groups.append(Group.objects.get_or_create(name="analyst")[0])
        user.groups.set(groups)
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        sessions[role] = session.session_key
    return {"partner_key": key, "session_cookie": settings.SESSION_COOKIE_NAME, "sessions": sessions}


def state(acked: dict[str, Any]) -> dict[str, Any]:
    """Everything the fault test asserts on, computed from the database."""
    from django.db.models import Count
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from hotline.cases.models import Case, Report, ReportedUrl
    from hotline.intake.receipts import normalise, receipt_index
    from hotline.referrals.models import Referral

    by_receipt = Counter(
        Report.objects.filter(receipt_index__in=[receipt_index(normalise(r)) for r in acked["receipts"]])
        .values_list("receipt_index", flat=True)
        .iterator()
    )
    receipt_counts = [by_receipt[receipt_index(normalise(r))] for r in acked["receipts"]]
    by_id = Counter(
        str(i) for i in Report.objects.filter(public_id__in=acked["api_ids"]).values_list("public_id", flat=True)
    )
    api_counts = [by_id[i] for i in acked["api_ids"]]
    from django.db.models import Q
    from django.utils import timezone

    tasks = Counter(DBTaskResult.objects.values_list("status", flat=True))
    # Due work not done yet; a task to run later (the reminder notice a day on) is not owed now.
    later = Q(status=TaskResultStatus.READY, run_after__gt=timezone.now())
    unfinished = DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).exclude(
        later
    )
    scheduled = list(DBTaskResult.objects.filter(later).values_list("task_path", flat=True))
    # Triage ran once in effect: every URL of every report is on a case, and each case counts the reports
    # that are really on it (a second run of the same triage would count a report twice).
    untriaged = Report.objects.filter(triaged_at=None).count()
    unattached = ReportedUrl.objects.filter(case=None).count()
    linked = dict(
        ReportedUrl.objects.values("case_id").annotate(n=Count("report_id", distinct=True)).values_list("case_id", "n")
    )
    miscounted = [c for c, n in Case.objects.values_list("pk", "report_count") if linked.get(c, 0) != n]
    referrals = list(Referral.objects.values("reference", "state", "target", "notice_count", "case_id"))
    return {
        "reports": Report.objects.count(),
        "receipt_counts": receipt_counts,
        "api_counts": api_counts,
        "tasks": {str(k): v for k, v in tasks.items()},
        "unfinished_tasks": unfinished.count(),
        "scheduled_tasks": dict(Counter(scheduled)),
        "untriaged": untriaged,
        "unattached_urls": unattached,
        "miscounted_cases": miscounted,
        "cases": Case.objects.count(),
        "referrals": referrals,
    }


def enqueue_due_referrals() -> dict[str, Any]:
    """The safety net of the scheduler (every 10 minutes in production), run now."""
    from hotline.referrals.tasks import enqueue_due_referrals as job

    job.enqueue()
    return {"enqueued": True}


def main() -> None:
    import django

    django.setup()
    command = sys.argv[1]
    if command == "setup":
        result = setup()
    elif command == "state":
        result = state(json.load(sys.stdin))
    elif command == "enqueue-due-referrals":
        result = enqueue_due_referrals()
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
