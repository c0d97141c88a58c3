"""Campaigns benchmark (`make bench-campaigns`): confirm 100,000 signatures through the real service and
make the hand-over PDF and CSV of them, on a fresh SQLite file under var/bench/.

Measured in one run:
  (a) baseline: bulk_create of the same number of already-confirmed rows (encryption and blind index
      included, as any write of a signature pays them), in rows/s;
  (b) services.confirm_signature(token=...) for every pending signature, one transaction each (token
      check, row locks, state change, F() counter update, audit entry), in signatures/s;
  (c) the export task body (services.run_export) for PDF and CSV, in seconds, with file sizes.
It checks that the petition's counter equals the number of confirmed rows, and that the exports hold
every row. The pending rows themselves are prepared with bulk_create (not timed): signing is the
public form's job and is measured by its own tests.

    .venv/bin/python bench/campaigns.py [--signatures 100000]

Takes about two to three minutes here (2 cores); refuses to run longer than five.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DB_FILE = BENCH_DIR / "campaigns.sqlite3"
EXPORT_DIR = BENCH_DIR / "campaign-exports"
TIME_LIMIT = 300.0
BATCH = 5000


def setup_django() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(EXPORT_DIR, ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_FILE}"
    os.environ["HOTLINE_CAMPAIGN_EXPORT_DIR"] = str(EXPORT_DIR)
    os.environ.setdefault("HOTLINE_ENV", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signatures", type=int, default=100_000)
    args = parser.parse_args()
    n = args.signatures
    started = time.monotonic()
    setup_django()

    from django.db import connection

    from hotline.campaigns import export_files, services, tokens
    from hotline.campaigns.models import Petition, Signature, SignatureState
    from hotline.campaigns.places import municipalities

    codes = list(municipalities())

    def over_time() -> bool:
        return time.monotonic() - started > TIME_LIMIT

    def rows(petition: Petition, state: str) -> list[Signature]:
        return [
            Signature(
                petition=petition,
                name=f"Bench Person {i}",
                email=f"bench-{i}@example.test",
                email_index=services.signature_email_index(f"bench-{i}@example.test"),
                email_domain="example.test",
                municipality=codes[i % len(codes)],
                state=state,
                token_salt=secrets.token_urlsafe(12),
            )
            for i in range(n)
        ]

    def make_petition(slug: str) -> Petition:
        petition = services.create_petition(
            actor="bench",
            slug=slug,
            title_sv="Gör undervisning om barnets rättigheter obligatorisk på juristutbildningen",
            text_sv="Vi uppmanar regeringen att göra undervisning om barnets rättigheter obligatorisk. " * 8,
            recipient_sv="Utbildningsministern",
            goal=n,
        )
        return services.open_petition(petition=petition, actor="bench")

    print(f"Campaigns benchmark: {n:,} signatures, {connection.vendor} at {DB_FILE.relative_to(ROOT)}")

    # (a) baseline: bulk insert of confirmed rows.
    baseline = make_petition("bench-baseline")
    t0 = time.perf_counter()
    prepared = rows(baseline, SignatureState.CONFIRMED)
    for start in range(0, n, BATCH):
        Signature.objects.bulk_create(prepared[start : start + BATCH])
    bulk_seconds = time.perf_counter() - t0
    del prepared
    print(f"  baseline bulk_create (encrypt + index + insert): {n / bulk_seconds:,.0f} rows/s ({bulk_seconds:.1f} s)")

    # (b) the service: every confirmation in its own transaction.
    petition = make_petition("bench-petition")
    pending = rows(petition, SignatureState.PENDING)
    for start in range(0, n, BATCH):
        Signature.objects.bulk_create(pending[start : start + BATCH])
    del pending
    links = [
        tokens.make(row_id=pk, salt=salt, purpose=tokens.SIGNATURE_SALT)
        for pk, salt in Signature.objects.filter(petition=petition).order_by("pk").values_list("pk", "token_salt")
    ]
    t0 = time.perf_counter()
    done = 0
    for token in links:
        services.confirm_signature(token=token)
        done += 1
        if done % 20_000 == 0:
            print(f"    {done:,} confirmed, {done / (time.perf_counter() - t0):,.0f}/s")
        if over_time():
            print("  stopped: the five-minute budget is spent")
            break
    confirm_seconds = time.perf_counter() - t0
    petition.refresh_from_db()
    confirmed_rows = Signature.objects.filter(petition=petition, state=SignatureState.CONFIRMED).count()
    print(
        f"  services.confirm_signature: {done / confirm_seconds:,.0f} signatures/s ({confirm_seconds:.1f} s); "
        f"counter {petition.signature_count:,} = confirmed rows {confirmed_rows:,}: "
        f"{'ok' if petition.signature_count == confirmed_rows == done else 'MISMATCH'}"
    )

    # (c) hand-over exports, as the worker makes them.
    export_figures = {}
    for kind in ("pdf", "csv"):
        export = services.request_export(petition=petition, kind=kind, actor="bench", language="sv")
        t0 = time.perf_counter()
        result = services.run_export(export_id=export.pk)
        seconds = time.perf_counter() - t0
        assert result is not None
        size = export_files.path_of(result).stat().st_size
        export_figures[kind] = {"seconds": round(seconds, 2), "bytes": size, "rows": result.rows, "state": result.state}
        print(f"  {kind.upper()} export: {seconds:.1f} s, {size / 1e6:.1f} MB, {result.rows:,} rows, {result.state}")

    ok = petition.signature_count == confirmed_rows == done == n and all(
        f["rows"] == n and f["state"] == "done" for f in export_figures.values()
    )
    summary = {
        "signatures": n,
        "database": connection.vendor,
        "baseline_bulk_rows_per_second": round(n / bulk_seconds),
        "confirm_signatures_per_second": round(done / confirm_seconds),
        "confirm_seconds": round(confirm_seconds, 1),
        "exports": export_figures,
        "counter_matches_rows": petition.signature_count == confirmed_rows,
        "total_seconds": round(time.monotonic() - started, 1),
        "ok": ok,
    }
    (BENCH_DIR / "campaigns.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"  total {summary['total_seconds']} s; summary in var/bench/campaigns.json; {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
