"""Plain rules, tested without database or network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.core.backoff import backoff
from hotline.tracing import conf
from hotline.tracing.cdn import CdnCatalogue, load_catalogue
from hotline.tracing.rules import (
    InvalidHost,
    is_fresh,
    normalise_host,
    primary_country,
    should_retry,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("WWW.Example.TEST.", "www.example.test"),
        ("  plain.example.test ", "plain.example.test"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("192.0.2.1", "192.0.2.1"),
        ("bücher.example.test", "xn--bcher-kva.example.test"),
        ("under_score.example.test", "under_score.example.test"),
    ],
)
def test_hosts_are_normalised(raw, clean):
    assert normalise_host(raw) == clean


@pytest.mark.parametrize(
    "raw",
    [
        "https://www.example.test/path",
        "www.example.test/path",
        "www.example.test:8080",
        "user@www.example.test",
        "www.example.test?q=1",
        "two words.example.test",
        "",
        "-bad.example.test",
        "a" * 64 + ".example.test",
        "x." * 130 + "test",
    ],
)
def test_urls_and_junk_are_refused(raw):
    with pytest.raises(InvalidHost):
        normalise_host(raw)


def test_backoff_doubles_up_to_the_cap():
    base, cap = timedelta(minutes=5), timedelta(hours=1)
    delays = [backoff(n, base=base, cap=cap) for n in range(1, 7)]
    assert delays == [timedelta(minutes=m) for m in (5, 10, 20, 40, 60, 60)]
    with pytest.raises(ValueError):
        backoff(0, base=base, cap=cap)
    assert should_retry(4, max_attempts=5) and not should_retry(5, max_attempts=5)


def test_freshness():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    ttl = timedelta(hours=24)
    assert is_fresh(now - timedelta(hours=23), now=now, ttl=ttl)
    assert not is_fresh(now - timedelta(hours=24), now=now, ttl=ttl)
    assert not is_fresh(None, now=now, ttl=ttl)


def test_primary_country_is_the_first_known():
    assert primary_country(["", "NL", "SE"]) == "NL"
    assert primary_country(["", ""]) == ""


def test_bundled_cdn_list_knows_the_big_ones():
    catalogue = load_catalogue(conf.BUNDLED_CDN_DATA)
    assert catalogue.match(asn=13335).name == "Cloudflare"
    assert catalogue.match(asn=54113).name == "Fastly"
    match = catalogue.match(names=["shop.example.test", "shop.example.test.cdn.cloudflare.net"])
    assert (match.name, match.matched_by) == ("Cloudflare", "cname")
    assert catalogue.match(names=["x.edgekey.net"]).name == "Akamai"
    assert catalogue.match(names=["d111111abcdef8.cloudfront.net"]).name == "Amazon CloudFront"
    assert catalogue.match(network_name="CLOUDFLARENET-EU").matched_by == "network"
    assert catalogue.match(asn=64501, names=["plain.example.test"], network_name="EXAMPLE-HOSTING-NL") is None
    # a suffix matches whole labels only
    assert catalogue.match(names=["notcloudfront.net"]) is None


def test_asn_match_comes_before_cname_match():
    catalogue = CdnCatalogue.from_json(
        '{"networks": [{"name": "A", "asns": [1], "cname_suffixes": []},'
        ' {"name": "B", "asns": [], "cname_suffixes": ["b.example"]}]}'
    )
    assert catalogue.match(asn=1, names=["x.b.example"]).name == "A"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", ()),
        ("192.0.2.53", (("192.0.2.53", 53),)),
        ("127.0.0.1:5353, [::1]:5300, ::1", (("127.0.0.1", 5353), ("::1", 5300), ("::1", 53))),
    ],
)
def test_dns_server_setting(text, parsed):
    assert conf.parse_servers(text) == parsed


@pytest.mark.parametrize("text", ["resolver.example", "127.0.0.1:0", "127.0.0.1:x"])
def test_bad_dns_server_setting(text):
    with pytest.raises(ValueError):
        conf.parse_servers(text)
