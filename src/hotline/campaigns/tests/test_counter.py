"""The counter stays equal to the confirmed rows when many confirmations race (separate DB connections)."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest
from django.db import OperationalError, connection, connections

from hotline.campaigns import services, tokens
from hotline.campaigns.errors import CampaignError, LinkUsed
from hotline.campaigns.factories import make_petition, signature_row
from hotline.campaigns.models import Signature, SignatureState

WORKERS = 6
PER_WORKER = 8


def with_retry(action: Any) -> Any:
    """pytest-django's SQLite test database is in memory with a shared cache, where a second writer
    gets "table is locked" at once instead of waiting (busy_timeout does not apply). The whole
    transaction was rolled back, so trying again is exactly what a queued writer does on a file
    database (production: WAL, BEGIN IMMEDIATE, busy_timeout). PostgreSQL never needs it."""
    for attempt in range(400):
        try:
            return action()
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc) or attempt == 399:
                raise
            time.sleep(0.005)
    return None


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_keep_the_counter_exact() -> None:
    petition = make_petition()
    Signature.objects.bulk_create(
        [signature_row(petition, f"p{n}@example.test", name=f"P{n}") for n in range(WORKERS * PER_WORKER)]
    )
    signatures = list(Signature.objects.order_by("pk"))
    links = [tokens.make(row_id=s.pk, salt=s.token_salt, purpose=tokens.SIGNATURE_SALT) for s in signatures]
    # Every link twice: double clicks racing each other must still count once.
    work = [links[i::WORKERS] * 2 for i in range(WORKERS)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(WORKERS, timeout=30)

    def confirm_many(batch: list[str]) -> None:
        try:
            barrier.wait()
            for token in batch:
                with contextlib.suppress(LinkUsed):
                    with_retry(lambda token=token: services.confirm_signature(token=token))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=confirm_many, args=(batch,)) for batch in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    petition.refresh_from_db()
    confirmed = Signature.objects.filter(petition=petition, state=SignatureState.CONFIRMED).count()
    assert confirmed == WORKERS * PER_WORKER
    assert petition.signature_count == confirmed, connection.vendor


@pytest.mark.django_db(transaction=True)
def test_counter_survives_invalidation_racing_confirmation(make_staff: Any) -> None:
    petition = make_petition()
    actor = make_staff("campaigner")
    Signature.objects.bulk_create(
        [signature_row(petition, f"p{n}@{'bot' if n % 2 else 'ok'}.example", name=f"P{n}") for n in range(40)]
    )
    links = [
        tokens.make(row_id=s.pk, salt=s.token_salt, purpose=tokens.SIGNATURE_SALT)
        for s in Signature.objects.order_by("pk")
    ]
    errors: list[BaseException] = []

    def confirm_all() -> None:
        try:
            for token in links:
                with contextlib.suppress(CampaignError):  # used, or invalidated meanwhile
                    with_retry(lambda token=token: services.confirm_signature(token=token))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def invalidate() -> None:
        try:
            with_retry(lambda: services.invalidate_signatures(petition=petition, actor=actor, domain="bot.example"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm_all), threading.Thread(target=invalidate)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    petition.refresh_from_db()
    assert petition.signature_count == Signature.objects.filter(state=SignatureState.CONFIRMED).count() == 20
