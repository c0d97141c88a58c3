"""RDAP answers read field by field (issue 12): a malformed field is left out and recorded, the rest
(above all the abuse contact) is kept; abuse mailboxes are looked for in the order of docs/tracing.md."""

from __future__ import annotations

import copy

import pytest

from hotline.tracing import rdap
from hotline.tracing.models import HostingObservation
from hotline.tracing.tests.test_services import trace
from tests.fakes import rdap_server as fixtures


def _doc(**fields):
    doc = copy.deepcopy(fixtures.NETWORK_NL)
    doc.update(fields)
    return doc


@pytest.mark.parametrize(
    ("start", "end", "read"),
    [
        ("192.0.2.0/32", "192.0.2.255/32", ("192.0.2.0", "192.0.2.255")),  # RIPE wrote a prefix length
        ("192.000.002.000", "192.000.002.255", ("192.0.2.0", "192.0.2.255")),  # ARIN zero-padded (decimal)
        ("2001:DB8:0000:0000:0000:0000:0000:0000", "2001:db8::ffff", ("2001:db8::", "2001:db8::ffff")),
    ],
)
def test_addresses_as_registries_wrote_them_are_read(start, end, read):
    net = rdap.parse_ip_network(_doc(startAddress=start, endAddress=end, cidr0_cidrs=[]))
    assert (net.start, net.end) == read
    assert net.abuse_email == "abuse@hosting-nl.example"


def test_a_malformed_field_is_left_out_and_recorded_the_rest_kept():
    net = rdap.parse_ip_network(
        _doc(startAddress="not-an-ip", country="Netherlands", name=["EXAMPLE"], cidr0_cidrs=[{"v4prefix": 1}])
    )
    assert (net.abuse_email, net.holder) == ("abuse@hosting-nl.example", "Example Hosting B.V.")
    assert net.handle == "EXAMPLE-NL-1"
    assert (net.start, net.country, net.name, net.cidr) == ("", "", "", "")
    assert net.end == "192.0.2.255"
    assert net.problems == [
        "startAddress: 'not-an-ip' is not an IP address",
        "country: 'NETHERLAND' is no two-letter code",  # the first ten characters, upper case
        "name: not a string",
        "cidr0_cidrs: an entry that is no prefix",
    ]


def test_problems_are_bounded():
    doc = _doc()
    doc["entities"] = [fixtures.entity(f"E{i}", ["technical"], [["vcard", []]]) for i in range(5)]
    for entity in doc["entities"]:
        entity["vcardArray"] = ["vcard", [["email", {}, "text", "broken"]] * 10]
    assert len(rdap.parse_ip_network(doc).problems) == rdap.MAX_PROBLEMS


def test_abuse_mailbox_in_the_remarks_when_no_entity_has_the_abuse_role():
    net = rdap.parse_ip_network(fixtures.NETWORK_LENIENT)
    assert (net.abuse_email, net.abuse_source) == ("abuse@old-shape.example", rdap.ABUSE_FROM_REMARKS)


def test_remarks_without_the_word_abuse_name_no_abuse_contact():
    doc = copy.deepcopy(fixtures.NETWORK_LENIENT)
    doc["remarks"] = [{"description": ["Questions about this range: info@old-shape.example"]}]
    assert rdap.parse_ip_network(doc).abuse_email == ""


def test_an_abuse_mailbox_on_a_nested_entity_without_the_role_comes_last():
    doc = copy.deepcopy(fixtures.NETWORK_LENIENT)
    doc["remarks"] = []
    doc["entities"][0]["entities"] = [
        fixtures.entity("NOC", ["technical"], fixtures.vcard("NOC", email="noc@old-shape.example")),
        fixtures.entity("AB", ["technical"], fixtures.vcard("Abuse desk", email="abuse-desk@old-shape.example")),
    ]
    net = rdap.parse_ip_network(doc)
    assert (net.abuse_email, net.abuse_source) == ("abuse-desk@old-shape.example", rdap.ABUSE_FROM_MAILBOX)


def test_the_abuse_role_comes_before_remarks():
    doc = copy.deepcopy(fixtures.NETWORK_NL)
    doc["remarks"] = [{"description": ["abuse reports: other@hosting-nl.example"]}]
    net = rdap.parse_ip_network(doc)
    assert (net.abuse_email, net.abuse_source) == ("abuse@hosting-nl.example", rdap.ABUSE_FROM_ROLE)


def test_problems_survive_the_cache_round_trip():
    net = rdap.parse_ip_network(fixtures.NETWORK_LENIENT)
    assert rdap.RdapNetwork.from_dict(net.to_dict()) == net


@pytest.mark.django_db(transaction=True)
def test_the_observation_records_what_was_malformed(world, run_tasks):
    done = trace("rdaplenient.example.test", run_tasks)
    observation = HostingObservation.objects.get(trace=done)
    assert observation.abuse_email == "abuse@old-shape.example"
    assert observation.sources["abuse"] == "rdap:remarks"
    assert observation.network_cidr == "198.51.100.0/24"
    assert observation.rdap_problems == [
        "startAddress: '198.51.100.0/32' read as 198.51.100.0",
        "endAddress: '198.51.100.255/32' read as 198.51.100.255",
        "country: 'CANADA' is no two-letter code",
    ]
