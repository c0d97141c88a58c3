"""Demo hash and known-URL lists for `make run`: one made-up hash list, one known-URL list on reserved names
(example.test), and one partner report whose hash is on the list, triaged by the real service so its case shows
the match. Idempotent (the demo hash list's name); no real hash of any material."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hotline.cases import services as case_services
from hotline.cases.models import Channel, ReportKind
from hotline.cases.rules import HashInput
from hotline.intake import services as intake_services
from hotline.intel import services
from hotline.intel.models import HashList, ListMatch

HASH_LIST_NAME = "Demo: known material (made-up hashes)"
URL_LIST_NAME = "Demo: known addresses (reserved names)"
ACTOR = "demo_data"
# Made-up values of the right length: repeated digit pairs, never the hash of anything real.
MD5 = "d3" * 16
SHA256 = "e4" * 32
PDQ = "f5" * 32
HASH_ROWS = [("md5", MD5), ("md5", "d4" * 16), ("sha256", SHA256), ("sha256", "e5" * 32), ("pdq", PDQ)]
KNOWN_URLS = [
    "https://files.example.test/demo/known-1",
    "https://files.example.test/demo/known-2",
    "https://gallery.example.test/demo/album-3",
]
REPORT_URL = KNOWN_URLS[0]


def load(stdout: Any) -> None:
    if HashList.objects.filter(name=HASH_LIST_NAME).exists():
        return
    hash_list = services.create_hash_list(
        name=HASH_LIST_NAME,
        source="Demo data",
        trust_level="verified",
        classification="csam_baseline",
        actor=ACTOR,
    )
    url_list = services.create_url_list(
        name=URL_LIST_NAME,
        source="Demo data",
        trust_level="partner",
        classification="csam_baseline",
        match_registered_domain=False,
        actor=ACTOR,
    )
    with tempfile.TemporaryDirectory(prefix="hotline-intel-demo-") as folder:
        hashes = Path(folder) / "hashes.csv"
        hashes.write_text("type,hash\n" + "".join(f"{t},{v}\n" for t, v in HASH_ROWS), encoding="utf-8")
        services.import_hash_file(hash_list=hash_list, path=hashes, file_format="csv", hash_type=None, actor=ACTOR)
        urls = Path(folder) / "urls.csv"
        urls.write_text("url,date\n" + "".join(f"{u},2026-11-01\n" for u in KNOWN_URLS), encoding="utf-8")
        services.import_url_file(url_list=url_list, path=urls, actor=ACTOR)
    submitted = intake_services.submit_report(
        channel=Channel.API,
        kind=ReportKind.ONLINE_MATERIAL,
        urls=[REPORT_URL],
        description="Demo: a partner app's report of a file that is already on a hash list.",
        source_name="Demo partner",
        language="en",
        actor=ACTOR,
        hashes=[HashInput("md5", MD5), HashInput("sha256", "a6" * 32)],
    )
    case_services.triage_report(report_id=submitted.report.pk)  # as the worker would: the case shows the match
    matches = ListMatch.objects.filter(report_id=submitted.report.pk).count()
    stdout.write(
        f"Intel demo: hash list {HASH_LIST_NAME!r} ({len(HASH_ROWS)} made-up hashes), known-URL list "
        f"{URL_LIST_NAME!r} ({len(KNOWN_URLS)} addresses), one partner report with {matches} list match(es)."
    )
