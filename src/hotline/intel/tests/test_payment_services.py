"""The payment indicator services: validation with translated messages, normal form and deduplication across
cases, first/last seen and case counts, removal, the liaison's review, each write audited."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection, connections
from django.utils import translation

from hotline.cases.models import Assessment, CaseEvent
from hotline.core.models import AuditEntry
from hotline.intel import payment_services
from hotline.intel.core import payments as core_payments
from hotline.intel.core.payments import IndicatorKind
from hotline.intel.models import PaymentIndicator, PaymentIndicatorKind, PaymentIndicatorSighting, ReviewState
from hotline.intel.payment_errors import MESSAGES, PaymentIndicatorError, PaymentIndicatorNotFound
from hotline.intel.tests.payment_fixtures import BITCOIN, ETHEREUM, IBAN, MONERO, commercial_case
from hotline.staff.factories import staff_user

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def analyst():  # type: ignore[no-untyped-def]
    return staff_user("analyst", email="analyst@hotline.example")


def test_model_kinds_are_the_cores_kinds() -> None:
    assert set(PaymentIndicatorKind.values) == {kind.value for kind in IndicatorKind}


def test_every_refusal_code_of_the_core_has_a_message_of_its_own() -> None:
    source = Path(core_payments.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'InvalidIndicator\(\s*"(\w+)"', source))
    assert len(codes) >= 15
    assert sorted(codes - set(MESSAGES)) == []


@pytest.mark.parametrize(
    ("kind", "value", "stored", "display"),
    [
        ("bitcoin", BITCOIN, BITCOIN.lower(), BITCOIN.lower()),
        ("ethereum", ETHEREUM.lower(), ETHEREUM, ETHEREUM),
        ("monero", MONERO, MONERO, MONERO),
        ("iban", IBAN.replace(" ", "").lower(), "BE68539007547034", "BE68 5390 0754 7034"),
        ("card_scheme", " amex ", "American Express", "American Express"),
        ("merchant_descriptor", "Shop  Example*Pay", "SHOP EXAMPLE*PAY", "SHOP EXAMPLE*PAY"),
        ("payment_domain", "https://Pay.Example.TEST:8443/checkout?x=1", "pay.example.test", "pay.example.test"),
    ],
)
def test_an_indicator_is_stored_in_its_normal_form(analyst, kind: str, value: str, stored: str, display: str) -> None:  # type: ignore[no-untyped-def]
    case = commercial_case()
    entered = payment_services.add_case_indicator(case_id=case.pk, kind=kind, value=value, actor=analyst)
    indicator = PaymentIndicator.objects.get(pk=entered.indicator.pk)
    assert (indicator.kind, indicator.value, indicator.display) == (kind, stored, display)
    assert entered.new_indicator and entered.new_on_case and indicator.case_count == 1


def test_the_same_indicator_on_three_cases_is_one_row_with_first_and_last_seen(analyst) -> None:  # type: ignore[no-untyped-def]
    cases = [commercial_case(n) for n in (1, 2, 3)]
    spellings = [ETHEREUM, ETHEREUM.lower(), "0x" + ETHEREUM[2:].upper()]
    for n, (case, spelling) in enumerate(zip(cases, spellings, strict=True)):
        with time_machine.travel(START + timedelta(days=n), tick=False):
            payment_services.add_case_indicator(case_id=case.pk, kind="ethereum", value=spelling, actor=analyst)
    indicator = PaymentIndicator.objects.get()
    assert indicator.case_count == 3
    assert indicator.first_seen_at == START and indicator.last_seen_at == START + timedelta(days=2)
    assert PaymentIndicatorSighting.objects.filter(indicator=indicator).count() == 3


def test_an_integrated_monero_address_is_its_wallets_standard_address(analyst) -> None:  # type: ignore[no-untyped-def]
    from hotline.intel.core.tests.vectors import load

    wallet = load("monero")["wallets"][0]  # mainnet
    one, two = commercial_case(1), commercial_case(2)
    payment_services.add_case_indicator(case_id=one.pk, kind="monero", value=wallet["integrated"], actor=analyst)
    payment_services.add_case_indicator(case_id=two.pk, kind="monero", value=wallet["address"], actor=analyst)
    indicator = PaymentIndicator.objects.get()
    assert (indicator.value, indicator.subtype, indicator.case_count) == (wallet["address"], "standard", 2)


def test_entering_it_again_on_the_same_case_moves_last_seen_only(analyst) -> None:  # type: ignore[no-untyped-def]
    case = commercial_case()
    with time_machine.travel(START, tick=False):
        payment_services.add_case_indicator(case_id=case.pk, kind="iban", value=IBAN, actor=analyst)
    with time_machine.travel(START + timedelta(hours=5), tick=False):
        again = payment_services.add_case_indicator(case_id=case.pk, kind="iban", value=IBAN, actor=analyst)
    assert not again.new_on_case and not again.new_indicator
    indicator = PaymentIndicator.objects.get()
    assert indicator.case_count == 1 and indicator.last_seen_at == START + timedelta(hours=5)
    assert PaymentIndicatorSighting.objects.get().last_seen_at == START + timedelta(hours=5)
    actions = list(
        AuditEntry.objects.filter(object_type="payment_indicator").order_by("seq").values_list("action", flat=True)
    )
    assert actions == ["payment_indicator.added", "payment_indicator.seen_again"]


def test_each_entry_is_audited_with_ids_only_and_put_on_the_case_timeline(analyst) -> None:  # type: ignore[no-untyped-def]
    case = commercial_case()
    entered = payment_services.add_case_indicator(case_id=case.pk, kind="bitcoin", value=BITCOIN, actor=analyst)
    entry = AuditEntry.objects.get(action="payment_indicator.added")
    assert entry.object_id == str(entered.indicator.pk) and entry.actor_id == analyst.pk
    assert entry.details == {"case_id": case.pk, "kind": "bitcoin", "new_indicator": True}
    assert BITCOIN.lower() not in str(entry.details).lower()
    event = CaseEvent.objects.get(case=case, kind="payment_indicator")
    assert event.details == {"action": "added", "indicator_id": entered.indicator.pk}


@pytest.mark.parametrize(
    ("kind", "value", "network", "english"),
    [
        ("bitcoin", BITCOIN[:-1] + "5", "", "not a valid Bitcoin address"),
        ("ethereum", ETHEREUM[:-1] + ETHEREUM[-1].swapcase(), "", "EIP-55 checksum"),
        ("iban", "BE68 5390 0754 7035", "", "check digits of this IBAN do not match"),
        ("iban", "BE68 5390 0754 70", "", "has 16 characters; this one has 14"),
        ("monero", MONERO[:-2], "", "not a valid Monero address"),
        ("payment_domain", "203.0.113.7", "", "This is an IP address"),
        ("other_crypto", "LTC1QEXAMPLEADDRESS00000", "", "Name the network"),
        ("bitcoin", BITCOIN, "mainnet", "Only an address of another cryptocurrency takes a network"),
        ("merchant_descriptor", "https://shop.example.test/gallery/1", "", "looks like a web address"),
        ("payment_provider", "www.pay.example.test/x", "", "looks like a web address"),
        ("no_such_kind", "x", "", "Choose what kind of indicator"),
        ("merchant_descriptor", "   ", "", "The indicator is empty"),
    ],
)
def test_a_refused_value_says_why_and_writes_nothing(
    analyst, kind: str, value: str, network: str, english: str
) -> None:  # type: ignore[no-untyped-def]
    case = commercial_case()
    with translation.override("en"), pytest.raises(PaymentIndicatorError) as refused:
        payment_services.add_case_indicator(case_id=case.pk, kind=kind, value=value, network=network, actor=analyst)
    assert english in str(refused.value)
    assert refused.value.status == 400
    assert not PaymentIndicator.objects.exists() and not AuditEntry.objects.filter(object_type="payment_indicator")


def test_the_refusal_is_in_swedish_by_default(analyst) -> None:  # type: ignore[no-untyped-def]
    case = commercial_case()
    with translation.override("sv"), pytest.raises(PaymentIndicatorError) as refused:
        payment_services.add_case_indicator(case_id=case.pk, kind="ethereum", value="0x1234", actor=analyst)
    assert "Ethereum-adress" in str(refused.value) and " 4 " in str(refused.value)


def test_only_a_commercial_case_takes_indicators(analyst) -> None:  # type: ignore[no-untyped-def]
    case = commercial_case()
    Assessment.objects.filter(case=case).update(commercial=False)
    with translation.override("en"), pytest.raises(PaymentIndicatorError, match="commercial"):
        payment_services.add_case_indicator(case_id=case.pk, kind="bitcoin", value=BITCOIN, actor=analyst)
    with pytest.raises(PaymentIndicatorNotFound):
        payment_services.add_case_indicator(case_id=case.pk + 1000, kind="bitcoin", value=BITCOIN, actor=analyst)


def test_removing_from_one_case_keeps_the_indicator_on_the_others(analyst) -> None:  # type: ignore[no-untyped-def]
    one, two = commercial_case(1), commercial_case(2)
    for case in (one, two):
        entered = payment_services.add_case_indicator(case_id=case.pk, kind="monero", value=MONERO, actor=analyst)
    indicator = payment_services.remove_case_indicator(case_id=one.pk, indicator_id=entered.indicator.pk, actor=analyst)
    assert indicator.case_count == 1
    assert list(PaymentIndicatorSighting.objects.values_list("case_id", flat=True)) == [two.pk]
    entry = AuditEntry.objects.get(action="payment_indicator.removed_from_case")
    assert entry.details == {"case_id": one.pk, "kind": "monero", "cases_left": 1}
    with pytest.raises(PaymentIndicatorNotFound):
        payment_services.remove_case_indicator(case_id=one.pk, indicator_id=entered.indicator.pk, actor=analyst)


def test_review_is_audited_and_refuses_unknown_decisions(analyst) -> None:  # type: ignore[no-untyped-def]
    liaison = staff_user("coalition_liaison", email="liaison@hotline.example")
    case = commercial_case()
    entered = payment_services.add_case_indicator(case_id=case.pk, kind="iban", value=IBAN, actor=analyst)
    reviewed = payment_services.review_indicator(
        indicator_id=entered.indicator.pk, decision=ReviewState.INCLUDED, actor=liaison
    )
    assert reviewed.review_state == "included" and reviewed.reviewed_by == liaison and reviewed.reviewed_at
    entry = AuditEntry.objects.get(action="payment_indicator.reviewed")
    assert entry.details == {"from": "pending", "to": "included", "kind": "iban"}
    with pytest.raises(PaymentIndicatorError):
        payment_services.review_indicator(indicator_id=entered.indicator.pk, decision="maybe", actor=liaison)
    with pytest.raises(PaymentIndicatorNotFound):
        payment_services.review_indicator(indicator_id=entered.indicator.pk + 9, decision="excluded", actor=liaison)
    back = payment_services.review_indicator(indicator_id=entered.indicator.pk, decision="pending", actor=liaison)
    assert back.reviewed_by is None and back.reviewed_at is None


def test_retention_keeps_everything_by_default_and_deletes_what_was_not_seen_for_the_period(
    analyst,  # type: ignore[no-untyped-def]
    settings,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    from hotline.core.retention import run_policy
    from hotline.intel.models import CoalitionExport

    settings.HOTLINE_COALITION_KEY_FILE = str(tmp_path / "coalition.pem")
    liaison = staff_user("coalition_liaison", email="liaison@hotline.example")
    one, two = commercial_case(1), commercial_case(2)
    with time_machine.travel(START, tick=False):
        old = payment_services.add_case_indicator(case_id=one.pk, kind="iban", value=IBAN, actor=analyst).indicator
        kept = payment_services.add_case_indicator(case_id=one.pk, kind="bitcoin", value=BITCOIN, actor=analyst)
        payment_services.review_indicator(indicator_id=old.pk, decision="included", actor=liaison)
        payment_services.publish_coalition_export(actor=liaison)
    with time_machine.travel(START + timedelta(days=300), tick=False):
        payment_services.add_case_indicator(case_id=two.pk, kind="bitcoin", value=BITCOIN, actor=analyst)
    later = START + timedelta(days=400)
    assert run_policy("intel.payment_indicators", now=later).kept
    settings.HOTLINE_PAYMENT_INDICATOR_RETENTION_DAYS = 365
    assert run_policy("intel.payment_indicators", now=later).count == 1
    assert run_policy("intel.coalition_exports", now=later).count == 1
    assert list(PaymentIndicator.objects.values_list("pk", flat=True)) == [kept.indicator.pk]
    assert not PaymentIndicatorSighting.objects.filter(indicator_id=old.pk).exists()
    assert not CoalitionExport.objects.exists()
    entry = AuditEntry.objects.get(action="payment_indicator.retention_deleted")
    assert entry.details["indicator_ids"] == [old.pk] and entry.details["retention_days"] == 365


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pytest's in-memory SQLite cannot serve two writing threads; SQLite's BEGIN IMMEDIATE serialises them",
)
@pytest.mark.django_db(transaction=True)
def test_two_analysts_entering_the_same_new_indicator_at_once_make_one_row() -> None:
    """Two cases, two connections, the same new IBAN at the same moment: the unique (kind, key) makes the second
    insert fail inside its savepoint, which then reads the first one's row: one indicator on two cases."""
    analysts = [staff_user("analyst", email=f"a{n}@hotline.example") for n in (1, 2)]
    for round_ in range(4):  # the interleaving differs each time
        cases = [commercial_case(10 * round_ + n) for n in (1, 2)]
        value = load_iban(round_)
        barrier = threading.Barrier(2, timeout=10)
        errors: list[BaseException] = []

        def enter(n: int, cases: list = cases, value: str = value, barrier: threading.Barrier = barrier) -> None:  # type: ignore[type-arg]
            try:
                barrier.wait()
                payment_services.add_case_indicator(case_id=cases[n].pk, kind="iban", value=value, actor=analysts[n])
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=enter, args=(n,)) for n in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        indicator = PaymentIndicator.objects.get(kind="iban", key=value.replace(" ", ""))
        assert indicator.case_count == 2
        assert AuditEntry.objects.filter(object_id=str(indicator.pk), details__new_indicator=True).count() == 1


def load_iban(n: int) -> str:
    from hotline.intel.core.tests.vectors import load

    return load("iban")["valid"][n].replace(" ", "")
