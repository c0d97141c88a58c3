"""Recorded real answers of the five regional registries (tests/data/rdap/), in older and newer
shapes, read by tracing's RDAP parser: every answer is kept, with the abuse contact as published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.tracing import rdap
from tests.conformance import FIGURES

DATA = Path(__file__).resolve().parents[1] / "data" / "rdap"
ROLE, REMARKS = rdap.ABUSE_FROM_ROLE, rdap.ABUSE_FROM_REMARKS

# file -> (start, end, country, abuse email, where found, number of fields read leniently)
EXPECTED = {
    "arin-2015-ipv4-zero-padded.json": ("74.125.0.0", "74.125.255.255", "", "arin-contact@google.com", ROLE, 2),
    "arin-2015-ipv6-uncompressed.json": (
        "2001:4860::",
        "2001:4860:ffff:ffff:ffff:ffff:ffff:ffff",
        "",
        "arin-contact@google.com",
        ROLE,
        0,
    ),
    "ripe-2015-ipv4-prefix-in-address.json": ("62.239.237.0", "62.239.237.255", "GB", "zzdnsr@bt.com", ROLE, 2),
    "ripe-2015-ipv6-prefix-in-address.json": (
        "2a00:2381:ffff::",
        "2a00:2381:ffff:0:ffff:ffff:ffff:ffff",
        "GB",
        "zzdnsr@bt.com",
        ROLE,
        2,
    ),
    "apnic-2015-ipv4-krnic.json": ("210.107.0.0", "210.107.127.255", "KR", "hostmaster@nic.or.kr", ROLE, 0),
    "apnic-2015-ipv6-jpnic.json": ("2001:240::", "2001:240:ffff:ffff:ffff:ffff:ffff:ffff", "JP", "", "", 0),
    "lacnic-2015-ipv4.json": ("200.57.141.161", "200.57.141.161", "MX", "operacion.redes@triara.com", ROLE, 0),
    "lacnic-2015-ipv6.json": ("2801:10:c000::", "2801:10:c000::", "CO", "sistemas.red@uco.edu.co", ROLE, 0),
    "afrinic-2015-ipv4-abuse-in-remarks.json": (
        "196.11.239.0",
        "196.11.246.255",
        "ZA",
        "abuse@mtnbusiness.co.za",
        REMARKS,
        0,
    ),
    "afrinic-2015-ipv6-no-abuse-role.json": (
        "2001:43f8:7b0::",
        "2001:43f8:7b0:ffff:ffff:ffff:ffff:ffff",
        "KE",
        "",
        "",
        0,
    ),
    "arin-2022-ipv4.json": ("13.64.0.0", "13.107.255.255", "", "abuse@microsoft.com", ROLE, 0),
    "arin-2022-ipv6.json": (
        "2001:4860::",
        "2001:4860:ffff:ffff:ffff:ffff:ffff:ffff",
        "",
        "arin-contact@google.com",
        ROLE,
        0,
    ),
    "ripe-2022-ipv4.json": ("130.59.0.0", "130.59.255.255", "CH", "abuse@switch.ch", ROLE, 0),
    "apnic-2022-ipv4.json": ("1.1.1.0", "1.1.1.255", "AU", "helpdesk@apnic.net", ROLE, 0),
}


def test_every_registry_and_shape_is_present():
    files = {p.name for p in DATA.glob("*.json")}
    assert files == set(EXPECTED)
    assert {name.split("-")[0] for name in files} == {"arin", "ripe", "apnic", "lacnic", "afrinic"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_answer(name: str) -> None:
    net = rdap.parse_ip_network(json.loads((DATA / name).read_text(encoding="utf-8")), server="recorded")
    start, end, country, abuse, source, lenient = EXPECTED[name]
    assert (net.start, net.end, net.country) == (start, end, country)
    assert (net.abuse_email, net.abuse_source) == (abuse, source)
    assert len(net.problems) == lenient, net.problems
    assert net.contains(start) and net.cidr


def test_figure() -> None:
    parsed = found = 0
    for name in EXPECTED:
        try:
            net = rdap.parse_ip_network(json.loads((DATA / name).read_text(encoding="utf-8")))
        except Exception:
            continue
        parsed += 1
        found += bool(net.abuse_email)
    FIGURES.append(
        f"RDAP recorded answers (5 registries): {parsed}/{len(EXPECTED)} kept, abuse contact in {found}/{len(EXPECTED)}"
        " (2 publish none)"
    )
    assert (parsed, found) == (len(EXPECTED), len(EXPECTED) - 2)
