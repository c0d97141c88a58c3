"""The coalition export: its content rules (every field of both files read: indicators only, nothing of a case),
its checksums and Ed25519 signatures (checked with cryptography and with the openssl command a member runs), and
the key file: created with mode 0600 outside production, refused in production when missing or exposed."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.cases.models import Case, Report
from hotline.core.models import AuditEntry
from hotline.intel import coalition_keys, payment_rules, payment_services, payments_setup
from hotline.intel.models import CoalitionExport, PaymentIndicator
from hotline.intel.payment_errors import CoalitionExportRefused
from hotline.intel.tests.payment_fixtures import (
    BITCOIN,
    CASE_CONTACT,
    CASE_DESCRIPTION,
    ETHEREUM,
    IBAN,
    MONERO,
    commercial_case,
)
from hotline.staff.factories import staff_user

pytestmark = pytest.mark.django_db
SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "coalition-export-v1.schema.json"


@pytest.fixture(autouse=True)
def key_file(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "coalition.pem"
    settings.HOTLINE_COALITION_KEY_FILE = str(path)
    return path


@pytest.fixture
def people() -> tuple[Any, Any]:
    return (
        staff_user("analyst", email="analyst@hotline.example"),
        staff_user("coalition_liaison", email="liaison@hotline.example"),
    )


def _published(people: tuple[Any, Any]) -> tuple[CoalitionExport, list[Case]]:
    analyst, liaison = people
    cases = [commercial_case(n) for n in range(1, 5)]
    entries = [
        ("bitcoin", BITCOIN, ""),
        ("ethereum", ETHEREUM, ""),
        ("monero", MONERO, ""),
        ("iban", IBAN, ""),
        ("card_scheme", "visa", ""),
        ("merchant_descriptor", "=HYPERLINK(1)", ""),  # formula-looking: the CSV must neutralise it
        ("payment_provider", 'Example Payments, Ltd; EU "Pay"', ""),  # comma, semicolon, quote: one cell
        ("payment_domain", "https://pay.example.test/checkout/123", ""),
        ("other_crypto", "LTC1QEXAMPLEADDRESS00000", "Litecoin"),
    ]
    for n, (kind, value, network) in enumerate(entries):
        for case in cases[: 1 + n % 3]:
            payment_services.add_case_indicator(case_id=case.pk, kind=kind, value=value, network=network, actor=analyst)
    for indicator in PaymentIndicator.objects.all():
        payment_services.review_indicator(indicator_id=indicator.pk, decision="included", actor=liaison)
    left_out = payment_services.add_case_indicator(
        case_id=cases[0].pk, kind="payment_provider", value="Left Out Provider", actor=analyst
    )
    payment_services.review_indicator(indicator_id=left_out.indicator.pk, decision="excluded", actor=liaison)
    return payment_services.publish_coalition_export(actor=liaison), cases


def _every_string(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *_every_string(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _every_string(v)]
    return [str(value)]


def test_the_export_holds_indicators_only(people: tuple[Any, Any]) -> None:
    export, cases = _published(people)
    document = json.loads(bytes(export.json_content))
    assert set(document) == {
        "format", "version", "export_number", "published_at", "publisher", "key_id", "fields", "indicators"
    }  # fmt: skip
    assert document["fields"] == list(payment_rules.EXPORT_FIELDS)
    assert len(document["indicators"]) == export.indicator_count == 9
    for item in document["indicators"]:
        assert set(item) == set(payment_rules.EXPORT_FIELDS)
    rows = list(csv.reader(io.StringIO(bytes(export.csv_content).decode("utf-8-sig"))))
    assert rows[0] == list(payment_rules.EXPORT_FIELDS) and len(rows) == 10
    assert all(len(row) == len(payment_rules.EXPORT_FIELDS) for row in rows)

    # What a case knows and the export must not: URLs and hosts of material, the reporter's text and contact,
    # case and report ids, the analysts who entered them, the excluded indicator.
    forbidden = [CASE_DESCRIPTION, CASE_CONTACT, "Left Out Provider", "analyst@hotline.example", "liaison@"]
    for case in cases:
        forbidden += [case.canonical_url, case.host, "/gallery/"]
    forbidden += [str(r.public_id) for r in Report.objects.all()]
    ids = {str(case.pk) for case in cases}
    strings = _every_string(document) + [cell for row in rows for cell in row]
    for text in strings:
        for bad in filter(None, forbidden):
            assert bad.lower() not in text.lower(), (bad, text)
        assert "/" not in text, text  # no URL, no path of one
    for item in document["indicators"]:
        for name, value in item.items():
            if name != "case_count":
                assert str(value) not in ids or name in ("first_seen", "last_seen"), (name, value)
    # The payment page's full URL became its domain; dates, not times, of first and last seen.
    values = {item["kind"]: item for item in document["indicators"]}
    assert values["payment_domain"]["value"] == "pay.example.test"
    assert len(values["iban"]["first_seen"]) == 10


def test_no_value_of_the_export_holds_a_web_address(people: tuple[Any, Any]) -> None:
    export, _cases = _published(people)
    for text in _every_string(json.loads(bytes(export.json_content))["indicators"]):
        assert not payment_rules.looks_like_web_address(text), text


def test_a_formula_cell_is_neutralised_in_the_csv_and_exact_in_the_json(people: tuple[Any, Any]) -> None:
    export, _cases = _published(people)
    document = json.loads(bytes(export.json_content))
    assert "=HYPERLINK(1)" in [item["value"] for item in document["indicators"]]
    rows = list(csv.reader(io.StringIO(bytes(export.csv_content).decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'=HYPERLINK(1)" in cells and not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert 'Example Payments, Ltd; EU "Pay"' in cells and all(len(row) == len(rows[0]) for row in rows)


def test_checksums_and_signatures_verify_and_a_changed_byte_does_not(people: tuple[Any, Any]) -> None:
    export, _cases = _published(people)
    key = load_pem_public_key(export.public_key_pem.encode())
    for content, digest, signature in (
        (bytes(export.csv_content), export.csv_sha256, bytes(export.csv_signature)),
        (bytes(export.json_content), export.json_sha256, bytes(export.json_signature)),
    ):
        assert hashlib.sha256(content).hexdigest() == digest
        assert len(signature) == 64
        key.verify(signature, content)  # type: ignore[union-attr,call-arg]
        with pytest.raises(InvalidSignature):
            key.verify(signature, content.replace(b"mainnet", b"testnet", 1) + b" ")  # type: ignore[union-attr,call-arg]
    assert (
        export.key_id
        == hashlib.sha256(base64.b64decode("".join(export.public_key_pem.splitlines()[1:-1]))[-32:]).hexdigest()
    )
    entry = AuditEntry.objects.get(action="coalition_export.published")
    assert entry.details["csv_sha256"] == export.csv_sha256 and entry.details["number"] == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_a_member_verifies_with_the_openssl_command_of_the_docs(people: tuple[Any, Any], tmp_path: Path) -> None:
    export, _cases = _published(people)
    (tmp_path / "key.pub.pem").write_text(export.public_key_pem)
    (tmp_path / "export.json").write_bytes(bytes(export.json_content))
    (tmp_path / "export.json.sig").write_bytes(bytes(export.json_signature))
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "key.pub.pem", "-rawin",
               "-in", "export.json", "-sigfile", "export.json.sig"]  # fmt: skip
    good = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout
    (tmp_path / "export.json").write_bytes(bytes(export.json_content) + b"\n")
    bad = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert bad.returncode != 0


def test_exports_are_numbered_and_the_next_one_drops_what_was_left_out(people: tuple[Any, Any]) -> None:
    first, _cases = _published(people)
    liaison = people[1]
    bitcoin = PaymentIndicator.objects.get(kind="bitcoin")
    payment_services.review_indicator(indicator_id=bitcoin.pk, decision="excluded", actor=liaison)
    second = payment_services.publish_coalition_export(actor=liaison)
    assert (first.number, second.number) == (1, 2)
    assert second.indicator_count == first.indicator_count - 1
    assert BITCOIN.lower() not in bytes(second.json_content).decode()
    assert second.key_id == first.key_id


def test_nothing_included_is_refused(people: tuple[Any, Any]) -> None:
    analyst, liaison = people
    case = commercial_case()
    payment_services.add_case_indicator(case_id=case.pk, kind="iban", value=IBAN, actor=analyst)
    with pytest.raises(CoalitionExportRefused):
        payment_services.publish_coalition_export(actor=liaison)
    assert not CoalitionExport.objects.exists()


def test_the_key_is_created_on_first_publish_owner_only(people: tuple[Any, Any], key_file: Path) -> None:
    assert not key_file.exists()
    _published(people)
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600


def test_production_refuses_a_missing_key_and_does_not_create_it(
    people: tuple[Any, Any], settings: Any, key_file: Path
) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CoalitionExportRefused, match="coalition_key"):
        _published(people)
    assert not key_file.exists() and not CoalitionExport.objects.exists()
    # An instance that shares no indicators starts without a key; publishing is what refuses.
    assert payments_setup.check_coalition_key() == []


def test_a_key_file_readable_by_others_is_refused(people: tuple[Any, Any], settings: Any, key_file: Path) -> None:
    coalition_keys.create_key_file(key_file)
    os.chmod(key_file, 0o644)
    with pytest.raises(CoalitionExportRefused):
        _published(people)
    settings.PRODUCTION = True
    assert [e.id for e in payments_setup.check_coalition_key()] == ["intel.E102"]
    os.chmod(key_file, 0o600)
    assert payments_setup.check_coalition_key() == []


def test_the_check_is_silent_outside_production(key_file: Path) -> None:
    assert payments_setup.check_coalition_key() == []


def test_the_command_creates_the_key_once_and_never_replaces_it(key_file: Path) -> None:
    out = io.StringIO()
    call_command("coalition_key", stdout=out)
    first = key_file.read_bytes()
    assert "Created" in out.getvalue() and "BEGIN PUBLIC KEY" in out.getvalue()
    again = io.StringIO()
    call_command("coalition_key", stdout=again)
    assert key_file.read_bytes() == first and "existing" in again.getvalue()
    key_id = coalition_keys.read_key_file(key_file).key_id
    assert key_id in out.getvalue() and key_id in again.getvalue()
    with pytest.raises(coalition_keys.CoalitionKeyError):
        coalition_keys.create_key_file(key_file)


def test_the_command_with_show_never_creates(key_file: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("coalition_key", "--show", stdout=io.StringIO())
    assert not key_file.exists()


def test_a_file_that_is_no_ed25519_key_is_refused(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_text("not a key")
    os.chmod(key_file, 0o600)
    with pytest.raises(coalition_keys.CoalitionKeyError, match="PKCS#8"):
        coalition_keys.read_key_file(key_file)


def test_the_json_file_follows_its_published_schema(people: tuple[Any, Any]) -> None:
    import jsonschema

    from hotline.intel.core.payments import IndicatorKind

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    export, _cases = _published(people)
    document = json.loads(bytes(export.json_content))
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert schema["properties"]["fields"]["const"] == list(payment_rules.EXPORT_FIELDS)
    assert set(schema["$defs"]["indicator"]["properties"]["kind"]["enum"]) == {k.value for k in IndicatorKind}
    document["indicators"][0]["case_id"] = 1  # an extra field is refused by the schema
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)


def test_two_processes_creating_the_key_at_once_end_with_one_whole_key(key_file: Path) -> None:
    import threading

    made: list[str] = []
    refused: list[str] = []
    barrier = threading.Barrier(8, timeout=10)

    def create() -> None:
        barrier.wait()
        try:
            made.append(coalition_keys.create_key_file(key_file).key_id)
        except coalition_keys.CoalitionKeyError:
            refused.append("refused")

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(made) == 1 and len(refused) == 7
    assert coalition_keys.read_key_file(key_file).key_id == made[0]
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]  # no temporary file left
