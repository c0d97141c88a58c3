"""The identity document: built, read, and refused when it cannot be trusted to mean what it says."""

from __future__ import annotations

import copy

import pytest

from hotline.network.protocol import (
    SchemaViolation,
    build_identity,
    generate_private_key,
    key_id,
    parse_identity,
    public_jwk,
)


@pytest.fixture
def keys():
    return [generate_private_key().public_key(), generate_private_key().public_key()]


def identity(keys, **changes):
    arguments = {
        "code": "NL-EXAMPLE",
        "name": "Example hotline Netherlands",
        "countries": ["NL", "BQ"],
        "base_url": "https://NL.example.test:443/",
        "contact_email": "network@nl.example.test",
        "public_keys": keys,
        "contact_phone": "+31 20 000 0000",
    }
    return build_identity(**(arguments | changes))


def test_an_identity_round_trips_with_two_keys_during_a_rotation(keys):
    document = identity(keys)
    assert document["base_url"] == "https://nl.example.test"
    assert document["protocol_versions"] == [1]
    parsed = parse_identity(document)
    assert parsed.code == "NL-EXAMPLE" and parsed.countries == ("NL", "BQ")
    assert list(parsed.keys) == [key_id(k) for k in keys]
    assert parsed.contact_email == "network@nl.example.test" and parsed.contact_phone == "+31 20 000 0000"


def test_a_key_published_under_another_keys_id_is_refused(keys):
    document = identity(keys)
    document["keys"][1]["kid"] = document["keys"][0]["kid"]
    with pytest.raises(SchemaViolation) as refused:
        parse_identity(document)
    assert refused.value.errors == ["/keys/1: The JWK's kid is not the thumbprint of its key."]


def test_the_same_key_twice_is_refused(keys):
    with pytest.raises(SchemaViolation):
        identity([keys[0], keys[0]])


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("base_url", "https://NL.example.test"),
        ("base_url", "https://nl.example.test/"),
        ("protocol_versions", [2]),
        ("countries", []),
        ("countries", ["nl"]),
        ("keys", []),
        ("code", "Netherlands"),
        ("contact", {"email": "network@nl.example.test", "fax": "+31 20 000 0001"}),
        ("contact", {}),
    ],
)
def test_an_unusable_identity_is_refused(keys, member, value):
    document = copy.deepcopy(identity(keys))
    document[member] = value
    with pytest.raises(SchemaViolation):
        parse_identity(document)


def test_no_member_can_be_added(keys):
    document = identity(keys)
    with pytest.raises(SchemaViolation):
        parse_identity(document | {"private_note": "x"})
    document["keys"][0] = public_jwk(keys[0]) | {"d": "secret"}
    with pytest.raises(SchemaViolation):
        parse_identity(document)


def test_without_a_phone(keys):
    document = identity(keys, contact_phone=None)
    assert document["contact"] == {"email": "network@nl.example.test"}
    assert parse_identity(document).contact_phone is None
