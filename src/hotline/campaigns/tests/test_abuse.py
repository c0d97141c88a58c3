"""Anti-abuse: rate limits held as keyed hashes in the cache, the burst view, bulk invalidation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from hotline.campaigns import ratelimit, selectors, services
from hotline.campaigns.models import Petition, Signature, SignatureState
from hotline.campaigns.tests.conftest import sign_data
from hotline.core.models import AuditEntry

# run_tasks uses the real worker, which closes a connection it finds inside a transaction (on
# PostgreSQL, the test's own), so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def _post(client: Any, ip: str, **data: Any) -> Any:
    return client.post("/petitions/barnets-rattigheter/", sign_data(**data), REMOTE_ADDR=ip)


def test_network_limit_per_24_and_nothing_saved_beyond(client: Any, petition: Petition, settings: Any) -> None:
    settings.HOTLINE_CAMPAIGN_RATE_PER_NETWORK = 3
    for n in range(3):
        assert _post(client, f"192.0.2.{n + 1}", email=f"p{n}@example.test").status_code == 302
    refused = _post(client, "192.0.2.200", email="p9@example.test")
    assert refused.status_code == 429 and "Inget har sparats" in refused.content.decode()
    assert refused["Retry-After"]
    # Another /24 is not affected.
    assert _post(client, "198.51.100.1", email="q@example.test").status_code == 302
    assert Signature.objects.count() == 4


def test_ipv6_limit_is_per_48(client: Any, petition: Petition, settings: Any) -> None:
    settings.HOTLINE_CAMPAIGN_RATE_PER_NETWORK = 2
    assert _post(client, "2001:db8:1:1::1", email="a@example.test").status_code == 302
    assert _post(client, "2001:db8:1:ffff::2", email="b@example.test").status_code == 302
    assert _post(client, "2001:db8:1:2::3", email="c@example.test").status_code == 429
    assert _post(client, "2001:db8:2::1", email="d@example.test").status_code == 302


def test_domain_limit_and_large_providers(client: Any, petition: Petition, settings: Any) -> None:
    settings.HOTLINE_CAMPAIGN_RATE_PER_DOMAIN = 2
    settings.HOTLINE_CAMPAIGN_RATE_PER_LARGE_PROVIDER = 4
    ips = iter(f"203.0.113.{n}" if n < 250 else "192.0.2.1" for n in range(1, 400))
    for n in range(2):
        assert _post(client, next(ips), email=f"bot{n}@bot.example").status_code == 302
    assert _post(client, "198.51.100.9", email="bot9@bot.example").status_code == 429
    for n in range(4):
        assert _post(client, f"198.51.{n}.1", email=f"person{n}@gmail.com").status_code == 302


def test_the_window_ends(client: Any, petition: Petition, settings: Any) -> None:
    settings.HOTLINE_CAMPAIGN_RATE_PER_NETWORK = 1
    assert _post(client, "192.0.2.1", email="a@example.test").status_code == 302
    assert _post(client, "192.0.2.1", email="b@example.test").status_code == 429
    with time_machine.travel(timezone.now() + timedelta(seconds=601)):
        assert _post(client, "192.0.2.1", email="c@example.test").status_code == 302


def test_cache_holds_keyed_hashes_only(client: Any, petition: Petition, settings: Any) -> None:
    from hotline.core.models import RateCounter

    _post(client, "192.0.2.77", email="anna@bot.example")
    keys = list(RateCounter.objects.values_list("key", flat=True))  # the shared counter table
    assert keys
    for key in keys:
        assert "192.0.2" not in key and "bot.example" not in key
    # The key changes with the window: yesterday's keys say nothing about today's traffic,
    # and each entry expires when its window ends.
    assert ratelimit._key("net", "192.0.2.0/24", 1) != ratelimit._key("net", "192.0.2.0/24", 2)
    assert 0 < ratelimit._window(timezone.now().timestamp())[1] <= 600


def _make(petition: Petition, email: str, *, confirmed: bool, at: Any) -> Signature:
    with time_machine.travel(at, tick=False):
        services.sign_petition(petition=petition, name="X", email=email, municipality="0180")
    signature = Signature.objects.get(petition=petition, email_index=services.signature_email_index(email))
    if confirmed:
        Signature.objects.filter(pk=signature.pk).update(state=SignatureState.CONFIRMED, confirmed_at=at)
    return signature


def _confirm_all_pending(petition: Petition) -> None:
    from django.db.models import F

    for s in Signature.objects.filter(petition=petition, state=SignatureState.PENDING):
        Signature.objects.filter(pk=s.pk).update(state=SignatureState.CONFIRMED, confirmed_at=timezone.now())
        Petition.objects.filter(pk=petition.pk).update(signature_count=F("signature_count") + 1)


@time_machine.travel(datetime(2026, 3, 2, 12, 30, tzinfo=UTC), tick=False)
def test_burst_view_and_invalidation_by_domain(staff_client: Any, petition: Petition) -> None:
    base = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # whole hours: the burst sits inside one window
    for hour in range(10):
        _make(petition, f"p{hour}@example.test", confirmed=False, at=base + timedelta(hours=hour))
    burst_at = base + timedelta(hours=10, minutes=5)
    for n in range(60):
        _make(petition, f"x{n}@bot.example", confirmed=False, at=burst_at + timedelta(seconds=n))
    _confirm_all_pending(petition)
    petition.refresh_from_db()
    assert petition.signature_count == 70

    domains, total = selectors.signatures_by_domain(petition)
    assert total == 70
    assert domains[0].domain == "bot.example" and domains[0].total == 60 and domains[0].suspicious
    windows = selectors.signatures_per_window(petition, window="hour")
    bursts = [w for w in windows if w.burst]
    assert len(bursts) == 1 and bursts[0].count == 60

    campaigner = staff_client("campaigner")
    page = campaigner.get(f"/campaigns/petitions/{petition.pk}/signatures/")
    assert page.status_code == 200 and "bot.example" in page.content.decode()

    # Step 1 previews, step 2 invalidates.
    preview = campaigner.post(f"/campaigns/petitions/{petition.pk}/invalidate/", {"domain": "bot.example"})
    assert preview.status_code == 200 and "60" in preview.content.decode()
    assert Signature.objects.filter(state=SignatureState.INVALIDATED).count() == 0
    done = campaigner.post(
        f"/campaigns/petitions/{petition.pk}/invalidate/",
        {"domain": "bot.example", "reason": "bot burst", "confirm": "yes"},
    )
    assert done.status_code == 302
    petition.refresh_from_db()
    assert petition.signature_count == 10
    assert Signature.objects.filter(state=SignatureState.INVALIDATED).count() == 60
    assert (
        petition.signature_count == Signature.objects.filter(petition=petition, state=SignatureState.CONFIRMED).count()
    )
    entry = AuditEntry.objects.get(action="petition.signatures_invalidated")
    assert entry.actor == campaigner.user
    assert entry.details["confirmed"] == 60 and entry.details["domain"] == "bot.example"
    assert "bot burst" not in str(entry.details)  # free text stays out of the audit log


def test_invalidation_by_time_window_and_invalidated_never_confirm(
    petition: Petition, make_staff: Any, smtp_server: Any, run_tasks: Any, client: Any
) -> None:
    start = timezone.now() - timedelta(hours=3)
    early = _make(petition, "early@example.test", confirmed=True, at=start)
    in_window = _make(petition, "mid@example.test", confirmed=False, at=start + timedelta(hours=1))
    Petition.objects.filter(pk=petition.pk).update(signature_count=1)
    run_tasks()
    confirm_link = next(m for m in smtp_server.messages if m["To"] == "mid@example.test")
    invalidation = services.invalidate_signatures(
        petition=petition,
        actor=make_staff("campaigner"),
        window_start=start + timedelta(minutes=30),
        window_end=start + timedelta(hours=2),
    )
    assert (invalidation.signatures_invalidated, invalidation.confirmed_invalidated) == (1, 0)
    early.refresh_from_db()
    in_window.refresh_from_db()
    assert early.state == SignatureState.CONFIRMED and in_window.state == SignatureState.INVALIDATED
    from hotline.campaigns.tests.conftest import links_in, path_of

    link = next(path_of(u) for u in links_in(confirm_link) if "/confirm/" in u)
    response = client.post(link)
    assert response.status_code == 409
    petition.refresh_from_db()
    assert petition.signature_count == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"window_start": timezone.now()},
        {"window_start": timezone.now(), "window_end": timezone.now() - timedelta(hours=1)},
    ],
)
def test_invalidation_needs_a_domain_or_a_proper_window(petition: Petition, make_staff: Any, kwargs: dict) -> None:
    with pytest.raises(services.InvalidInput):
        services.invalidate_signatures(petition=petition, actor=make_staff("campaigner"), **kwargs)
