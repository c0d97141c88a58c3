"""IP -> country: iptocc as pure lookups (offline, built-in registry data), and the MaxMind-format path."""

from __future__ import annotations

import pytest

from hotline.tracing import geo
from hotline.tracing.tests import zone


@pytest.mark.parametrize(
    ("ip", "country"),
    [
        ("8.8.8.8", "US"),  # Google Public DNS, delegated by ARIN
        ("2001:4860:4860::8888", "US"),
        ("1.1.1.1", "AU"),  # APNIC's research prefix
        ("193.0.6.139", "NL"),  # RIPE NCC's own address
    ],
)
def test_iptocc_for_well_known_public_addresses(ip, country):
    assert geo.iptocc_country(ip) == country


@pytest.mark.parametrize("ip", ["192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "10.0.0.1", "nonsense"])
def test_iptocc_knows_nothing_of_documentation_and_private_ranges(ip):
    assert geo.iptocc_country(ip) == ""


def test_mmdb_gives_country_and_asn(tmp_path):
    path = str(zone.write_mmdb(tmp_path / "t.mmdb"))
    facts = geo.locate("192.0.2.10", (path,))
    assert (facts.country, facts.country_method, facts.asn, facts.as_org) == ("NL", "mmdb", 64501, "Example Hosting NL")
    assert geo.locate("2001:db8::10", (path,)).country == "SE"


def test_country_and_asn_from_two_files_and_ipinfo_shape(tmp_path):
    country = zone.write_mmdb(tmp_path / "country.mmdb", [("192.0.2.0/24", {"registered_country": {"iso_code": "fi"}})])
    asn = zone.write_mmdb(tmp_path / "asn.mmdb", [("192.0.2.0/24", {"asn": "AS64510", "as_name": "Example Ten"})])
    facts = geo.locate("192.0.2.10", (str(country), str(asn)))
    assert (facts.country, facts.asn, facts.as_org) == ("FI", 64510, "Example Ten")


def test_without_mmdb_answer_iptocc_gives_the_country(tmp_path):
    path = str(zone.write_mmdb(tmp_path / "t.mmdb"))
    facts = geo.locate("8.8.8.8", (path,))
    assert (facts.country, facts.country_method, facts.asn) == ("US", "iptocc", None)


def test_missing_or_broken_file_is_skipped(tmp_path):
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a database")
    facts = geo.locate("8.8.8.8", (str(tmp_path / "missing.mmdb"), str(broken)))
    assert facts.country == "US"
