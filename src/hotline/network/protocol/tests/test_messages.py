"""Messages: builders, schema checks (privacy first), the bytes on the wire and their refusals."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from jsonschema import Draft202012Validator

from hotline.network.protocol import (
    MAX_BODY_BYTES,
    Ack,
    BodyTooLarge,
    HashValue,
    HostingFact,
    MalformedMessage,
    MessageType,
    ReportForward,
    ReportStatus,
    SchemaViolation,
    UnknownMessageType,
    UnsupportedMediaType,
    UnsupportedVersion,
    build_ack,
    build_report_forward,
    build_report_status,
    check_media_type,
    decode_message,
    encode_message,
    parse_message,
    schema_errors,
    schema_text,
    validate_message,
)
from hotline.network.protocol.messages import SCHEMA_NAMES

CREATED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
FORWARD_ID = UUID("0b6f3c1e-5d2a-4f8b-9c47-2e1d8a6b4f90")


def forward(**changes):
    arguments = {
        "sender": "SE-ECPAT",
        "recipient": "NL-EXAMPLE",
        "case_reference": "SE-2026-00042",
        "first_reported_at": CREATED - timedelta(hours=15),
        "urls": ["https://files.example.test/album/8841", "http://198.51.100.7/x?id=3"],
        "kind": "online_material",
        "classification": "csam_national",
        "site_type": "file_host",
        "hosting": [
            HostingFact(ip="203.0.113.45", country="NL", asn=64500, abuse_contact="abuse@hosting.example.test"),
            HostingFact(ip="2001:db8::45"),
        ],
        "hashes": [
            HashValue("md5", "0123456789abcdef0123456789abcdef"),
            HashValue("sha1", "0123456789abcdef0123456789abcdef01234567"),
            HashValue("sha256", "ab" * 32),
            HashValue("pdq", "f0" * 32),
        ],
        "message_id": FORWARD_ID,
        "created": CREATED,
    }
    return build_report_forward(**(arguments | changes))


def status(**changes):
    arguments = {
        "sender": "NL-EXAMPLE",
        "recipient": "SE-ECPAT",
        "forward_id": FORWARD_ID,
        "forward_case_reference": "SE-2026-00042",
        "status": "in_assessment",
        "status_at": CREATED,
        "created": CREATED,
    }
    return build_report_status(**(arguments | changes))


def violations(document) -> list[str]:
    with pytest.raises(SchemaViolation) as refused:
        validate_message(document)
    return refused.value.errors


def test_every_schema_is_valid_json_schema_2020_12():
    for name in SCHEMA_NAMES:
        schema = json.loads(schema_text(name))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)


def test_a_forward_round_trips_through_the_wire():
    document = forward(shared_description="Seen in a public album.")
    message = decode_message(encode_message(document))
    assert isinstance(message, ReportForward)
    assert message.envelope.id == FORWARD_ID
    assert message.envelope.type is MessageType.REPORT_FORWARD
    assert message.envelope.created == CREATED
    assert (message.envelope.sender, message.envelope.recipient) == ("SE-ECPAT", "NL-EXAMPLE")
    assert message.urls == ("https://files.example.test/album/8841", "http://198.51.100.7/x?id=3")
    assert message.hosting[0] == HostingFact(
        ip="203.0.113.45", country="NL", asn=64500, abuse_contact="abuse@hosting.example.test"
    )
    assert message.hosting[1] == HostingFact(ip="2001:db8::45")
    assert message.hashes[3] == HashValue("pdq", "f0" * 32)
    assert message.shared_description == "Seen in a public album."
    assert message.first_reported_at == CREATED - timedelta(hours=15)


def test_a_minimal_forward_has_no_optional_members():
    document = forward(site_type=None, hosting=[], hashes=[])
    assert set(document["data"]) == {"case_reference", "first_reported_at", "urls", "kind", "classification"}
    assert "shared_description" not in document["data"]
    message = parse_message(document)
    assert message.site_type is None and message.hosting == () and message.hashes == ()


def test_the_encoding_is_compact_sorted_utf8():
    document = forward(shared_description="Beskrivning på svenska")
    body = encode_message(document)
    assert body == json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    assert "på".encode() in body and b" " not in body.replace(b"Beskrivning p\xc3\xa5 svenska", b"")


def test_builders_default_to_a_fresh_id_and_the_current_time():
    first, second = forward(message_id=None, created=None), forward(message_id=None, created=None)
    assert first["id"] != second["id"]
    assert UUID(first["id"]).version == 4
    assert abs(datetime.fromisoformat(first["created"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_times_are_written_in_utc_with_z():
    from zoneinfo import ZoneInfo

    document = forward(created=datetime(2026, 3, 2, 10, 30, 0, 250000, tzinfo=ZoneInfo("Europe/Stockholm")))
    assert document["created"] == "2026-03-02T09:30:00.250000Z"
    with pytest.raises(ValueError):
        forward(created=datetime(2026, 3, 2, 9, 30))


# --- privacy: nothing about a reporter can ride along ------------------------------------------------
@pytest.mark.parametrize(
    ("where", "member"),
    [
        ((), "reporter_email"),
        (("data",), "reporter_contact"),
        (("data",), "receipt"),
        (("data",), "channel"),
        (("data",), "where_seen"),
        (("data", "hosting", 0), "reporter_ip"),
        (("data", "hashes", 0), "note"),
    ],
)
def test_no_member_can_be_added_anywhere(where, member):
    document = copy.deepcopy(forward())
    target = document
    for step in where:
        target = target[step]
    target[member] = "reporter@example.test"
    errors = violations(document)
    path = "/" + "/".join(map(str, where))
    assert errors == [f"{path}: unexpected member(s) {member}"]
    assert all("reporter@example.test" not in error for error in errors)


def test_a_member_name_that_is_not_a_plain_name_is_counted_not_repeated():
    document = forward()
    document["data"]["anna@example.test"] = 1
    document["data"]["Anna Svensson +46 70"] = 2
    document["data"]["reporter_phone"] = 3
    errors = violations(document)
    assert errors == ["/data: unexpected member(s) reporter_phone, 2 other name(s)"]


@pytest.mark.parametrize("reference", ["anna@example.test", "Anna Svensson", "", "-leading", "x" * 65, "SE-2026\n42"])
def test_a_case_reference_cannot_carry_a_name_or_address(reference):
    document = forward()
    document["data"]["case_reference"] = reference
    assert violations(document)[0].startswith("/data/case_reference: ")


def test_a_refusal_never_repeats_the_refused_value():
    document = forward()
    document["data"]["case_reference"] = "call Anna on +46 70 000 00 00"
    with pytest.raises(SchemaViolation) as refused:
        validate_message(document)
    problem = json.dumps(refused.value.problem())
    assert "Anna" not in problem and "+46" not in problem


# --- schema rules --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("data", "urls"), []),
        (("data", "urls"), ["javascript:alert(1)"]),
        (("data", "urls"), ["https://files.example.test/a b"]),
        (("data", "urls"), ["https://files.example.test/a", "https://files.example.test/a"]),
        (("data", "kind"), "rumour"),
        (("data", "classification"), "not_csam"),
        (("data", "site_type"), "darknet"),
        (("data", "hosting", 0, "ip"), "999.1.1.1"),
        (("data", "hosting", 0, "ip"), "files.example.test"),
        (("data", "hosting", 0, "country"), "nl"),
        (("data", "hosting", 0, "asn"), -1),
        (("data", "hosting", 0, "asn"), "AS64500"),
        (("data", "hosting", 0, "abuse_contact"), "no address"),
        (("data", "hashes", 0, "value"), "0123456789ABCDEF0123456789ABCDEF"),
        (("data", "hashes", 0, "value"), "0123"),
        (("data", "hashes", 0, "type"), "photodna"),
        (("data", "hashes", 2, "value"), "ab" * 31),
        (("data", "hashes", 3, "value"), "f0" * 33),
        (("data", "first_reported_at"), "2026-03-01 18:12:05"),
        (("data", "shared_description"), ""),
        (("id",), "0B6F3C1E-5D2A-4F8B-9C47-2E1D8A6B4F90"),
        (("id",), "not-a-uuid"),
        (("created",), "2026-03-02T10:30:00+01:00"),
        (("created",), "yesterday"),
        (("sender",), "se-ecpat"),
        (("sender",), "ECPAT"),
        (("recipient",), "SE ECPAT"),
    ],
)
def test_schema_violations(path, value):
    document = copy.deepcopy(forward())
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    errors = violations(document)
    assert errors, path
    assert errors[0].startswith("/" + "/".join(map(str, path[: 3 if path[0] == "data" else 1])))


def test_a_leap_second_is_refused_rather_than_crashing():
    document = forward()
    document["created"] = "2026-06-30T23:59:60Z"
    with pytest.raises(SchemaViolation):
        validate_message(document)


def test_the_first_report_cannot_postdate_the_forward():
    with pytest.raises(SchemaViolation) as refused:
        forward(first_reported_at=CREATED + timedelta(seconds=1))
    assert refused.value.errors == ["/data/first_reported_at: is later than the message's created time"]


def test_a_hotline_cannot_write_to_itself():
    with pytest.raises(SchemaViolation) as refused:
        forward(recipient="SE-ECPAT")
    assert refused.value.errors == ["/recipient: is the sender itself"]


def test_unknown_type_and_version():
    document = forward()
    with pytest.raises(UnknownMessageType):
        validate_message(document | {"type": "report.delete"})
    with pytest.raises(UnknownMessageType):
        validate_message({k: v for k, v in document.items() if k != "type"})
    for version in (2, "1", 1.0, True, None):
        with pytest.raises(UnsupportedVersion):
            validate_message(document | {"protocol_version": version})


def test_a_version_2_message_of_an_unknown_type_is_refused_for_its_version():
    with pytest.raises(UnsupportedVersion):
        validate_message(forward() | {"protocol_version": 2, "type": "report.merge"})


# --- report.status and ack -------------------------------------------------------------------------------
def test_a_status_round_trips():
    message = decode_message(encode_message(status(case_reference="NL/2026/7")))
    assert isinstance(message, ReportStatus)
    assert (message.forward_id, message.status, message.status_at) == (FORWARD_ID, "in_assessment", CREATED)
    assert message.case_reference == "NL/2026/7" and message.removed_at is None


def test_content_removed_carries_its_time_and_no_other_status_does():
    removed = parse_message(status(status="content_removed", removed_at=CREATED - timedelta(hours=2)))
    assert removed.removed_at == CREATED - timedelta(hours=2)  # type: ignore[union-attr]
    with pytest.raises(SchemaViolation):
        status(status="content_removed")
    with pytest.raises(SchemaViolation):
        status(status="not_removed", removed_at=CREATED)


@pytest.mark.parametrize(
    "code",
    [
        "received",
        "in_assessment",
        "assessed_illegal",
        "assessed_not_illegal",
        "referred_to_police",
        "notice_sent_to_host",
        "not_removed",
        "closed",
    ],
)
def test_every_status_but_removal_is_accepted_alone(code):
    assert parse_message(status(status=code)).status == code  # type: ignore[union-attr]


def test_an_unknown_status_and_a_status_after_its_message():
    with pytest.raises(SchemaViolation):
        status(status="deleted")
    with pytest.raises(SchemaViolation) as refused:
        status(status_at=CREATED + timedelta(minutes=1))
    assert refused.value.errors == ["/data/status_at: is later than the message's created time"]


def test_an_ack_round_trips():
    document = build_ack(
        sender="NL-EXAMPLE",
        recipient="SE-ECPAT",
        acked_message_id=FORWARD_ID,
        committed_at=CREATED,
        duplicate=True,
        created=CREATED,
    )
    message = decode_message(encode_message(document))
    assert isinstance(message, Ack)
    assert (message.message_id, message.committed_at, message.duplicate) == (FORWARD_ID, CREATED, True)


def test_an_ack_needs_its_duplicate_flag():
    document = build_ack(
        sender="NL-EXAMPLE", recipient="SE-ECPAT", acked_message_id=FORWARD_ID, committed_at=CREATED, created=CREATED
    )
    del document["data"]["duplicate"]
    assert violations(document) == ["/data: missing member(s) duplicate"]


# --- the bytes ---------------------------------------------------------------------------------------
def test_a_body_over_the_limit():
    with pytest.raises(BodyTooLarge):
        decode_message(b" " * (MAX_BODY_BYTES + 1))
    with pytest.raises(BodyTooLarge):
        decode_message(encode_message(forward()), max_bytes=100)


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{}", b"{", b"[]", b'"text"', b'{"id":1,"id":2}', b'{"asn":NaN}', b""],
)
def test_a_body_that_is_not_one_json_object(body):
    with pytest.raises(MalformedMessage):
        decode_message(body)


def test_a_repeated_key_deep_inside_is_refused():
    body = encode_message(forward()).replace(b'"kind":"online_material"', b'"kind":"online_material","kind":"other"')
    with pytest.raises(MalformedMessage):
        decode_message(body)


def test_the_media_type():
    check_media_type("application/json")
    check_media_type("Application/JSON; charset=utf-8")
    for other in (None, "", "text/plain", "application/json-seq", "application/problem+json"):
        with pytest.raises(UnsupportedMediaType):
            check_media_type(other)


def test_schema_errors_are_sorted_and_name_paths():
    document = forward()
    document["data"]["kind"] = "rumour"
    document["sender"] = "x"
    assert schema_errors("report.forward", document) == [
        '/data/kind: fails enum ["online_material", "trafficking", "grooming", "sextortion", '
        '"travelling_offender", "other"]',
        '/sender: fails pattern "^[A-Z]{2}-[A-Z0-9]+(-[A-Z0-9]+)*$"',
    ]


# --- the wire vocabulary and the app's --------------------------------------------------------------------
def test_the_wire_vocabulary_matches_the_case_models():
    # The one coupling to Django in this package's tests: the app maps its choices onto these values.
    from hotline.cases.models import ReportKind, SiteType, Verdict

    schema = json.loads(schema_text("report.forward"))["properties"]["data"]["properties"]
    assert schema["kind"]["enum"] == list(ReportKind.values)
    assert schema["site_type"]["enum"] == list(SiteType.values)
    assert set(schema["classification"]["enum"]) <= set(Verdict.values)
