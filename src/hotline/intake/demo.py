"""Demo data of the intake app (development only): a demo partner key and a few made-up reports.

Reserved names only (*.example, example.test, documentation IPs); neutral, non-graphic words.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from hotline.cases.models import Channel, NexusHint, ReportKind
from hotline.intake import services
from hotline.staff.factories import partner_key
from hotline.staff.models import PartnerKey

DEMO_PARTNER = "Demo operator app"
# Fixed so the docs and a tester can use it; demo_data refuses to run in production.
DEMO_PARTNER_KEY = "hlk_demo0000_demo-partner-key-for-development-only"

DEMO_REPORTS: list[dict[str, Any]] = [
    {
        "channel": Channel.WEB,
        "kind": ReportKind.ONLINE_MATERIAL,
        "urls": ["https://images.host.example/gallery/4411", "https://images.host.example/gallery/4412"],
        "where_seen": "A link posted in a public chat group",
        "description": "A gallery page the reporter believes shows abuse of a child.",
        "nexus_victim": NexusHint.UNKNOWN,
    },
    {
        "channel": Channel.SHARE,
        "kind": ReportKind.ONLINE_MATERIAL,
        "urls": ["http://files.example.test/d/8c1f2a"],
        "description": "Shared from a phone; a file-sharing page.",
    },
    {
        "channel": Channel.BOOKMARK,
        "kind": ReportKind.ONLINE_MATERIAL,
        "urls": ["http://203.0.113.45/board/thread/77"],
        "where_seen": "Forum thread",
    },
    {
        "channel": Channel.WEB,
        "kind": ReportKind.TRAFFICKING,
        "description": "An advertisement that seems to offer meetings with a minor in a Swedish city.",
        "nexus_victim": NexusHint.YES,
        "nexus_place": NexusHint.YES,
    },
    {
        "channel": Channel.WEB,
        "kind": ReportKind.GROOMING,
        "description": "An adult asking a child for pictures in a game chat.",
        "where_seen": "Online game chat",
        "language": "en",
    },
]


@transaction.atomic
def load(stdout: Any) -> None:
    if PartnerKey.objects.filter(prefix="demo0000").exists():
        return
    key = partner_key(partner=DEMO_PARTNER, key=DEMO_PARTNER_KEY, actor="demo_data", demo=True)
    receipts = []
    for spec in DEMO_REPORTS:
        submitted = services.submit_report(**{"language": "sv", **spec}, actor="demo_data")
        receipts.append(submitted.receipt)
    services.submit_report(
        channel=Channel.API,
        kind=ReportKind.ONLINE_MATERIAL,
        urls=["https://video.example/watch?v=demo123"],
        source_name=DEMO_PARTNER,
        partner_key=key,
        actor="demo_data",
    )
    stdout.write(f"Demo partner API key ({DEMO_PARTNER}): {DEMO_PARTNER_KEY}")
    stdout.write(f"Demo receipt code for /report/status/: {' '.join(receipts[0][i : i + 4] for i in range(0, 16, 4))}")
