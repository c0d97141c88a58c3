"""X-ARF v4 notices against the published schemas of xarf/xarf-spec (tests/data/xarf/), with format
checking: every kind of notice Hotline builds, with the From settings operators use (issue 12)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import xarf

from hotline.referrals import notices
from hotline.referrals.selectors import HostingFacts, ReferralSnapshot
from tests.conformance import FIGURES, xarf_schemas

FIRST_SEEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)

SNAPSHOT = ReferralSnapshot(
    referral_id=1,
    reference="HL-2026-000001",
    target="host_notice",
    channel="email",
    language="en",
    recipient_email="abuse@hosting.example",
    recipient_name="Example Hosting",
    recipient_country="BR",
    partner_name="",
    case_id=1,
    case_kind="online_material",
    case_created_at=FIRST_SEEN + timedelta(minutes=1),
    canonical_url="https://files.example.test/album/7?id=3",
    host="files.example.test",
    registered_domain="example.test",
    report_count=2,
    verdict="csam_baseline",
    assessment_kind="online_material",
    media_types=("image",),
    site_type="image_host",
    commercial=False,
    assessed_at=FIRST_SEEN + timedelta(days=1),
    hosting=HostingFacts(country="BR", ips=("192.0.2.10",), traced=True),
    notice_number=1,
    first_notice_at=None,
    first_seen_at=FIRST_SEEN,
)
VARIANTS = {
    "csam baseline": {},
    "csam national, mixed media": {"verdict": "csam_national", "media_types": ("image", "video")},
    "csem grooming": {"assessment_kind": "grooming", "verdict": "not_csam", "site_type": "social_network"},
    "csem trafficking": {"assessment_kind": "trafficking", "site_type": "forum"},
    "csem sextortion": {"assessment_kind": "sextortion", "site_type": "chat"},
    "IPv6 host, no trace": {
        "canonical_url": "https://[2001:db8::5]/a",
        "host": "2001:db8::5",
        "hosting": HostingFacts(),
    },
}
FROM_SETTINGS = {
    "bare address": "hotline@hotline.example",
    "display name": "Hotline <hotline@hotline.example>",  # issue 12: domain became "hotline.example>"
    "quoted display name": '"Hotline, Sverige" <rapport@hotline.example>',
    "IDN domain": "Hotline <hotline@bücher.example>",  # issue 12: not converted to A-labels
}


def _cases() -> list[tuple[str, str, dict[str, Any]]]:
    return [(f, v, fields) for f in FROM_SETTINGS for v, fields in VARIANTS.items()]


def test_every_notice_validates_against_the_official_schemas(settings: Any) -> None:
    valid = 0
    failures = {}
    for from_name, variant, fields in _cases():
        settings.HOTLINE_REFERRAL_FROM_EMAIL = FROM_SETTINGS[from_name]
        report = notices.build_xarf(replace(SNAPSHOT, **fields))
        problems = xarf_schemas.errors(report)
        assert xarf.schema_validator.validate(report) == []  # and the library's own check still holds
        if problems:
            failures[f"{from_name} / {variant}"] = problems
        else:
            valid += 1
    FIGURES.append(f"X-ARF v4 schemas (xarf-spec, format checking): {valid}/{len(_cases())} notices valid")
    assert failures == {}


@pytest.mark.parametrize(
    ("from_email", "contact", "domain"),
    [
        ("Hotline <hotline@hotline.example>", "hotline@hotline.example", "hotline.example"),
        ("Hotline <hotline@BÜCHER.example>", "hotline@xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("hotline@hotline.example", "hotline@hotline.example", "hotline.example"),
    ],
)
def test_sender_and_reporter_are_a_bare_ascii_address(from_email: str, contact: str, domain: str, settings) -> None:
    settings.HOTLINE_REFERRAL_FROM_EMAIL = from_email
    report = notices.build_xarf(SNAPSHOT)
    for party in ("reporter", "sender"):
        assert report[party]["contact"] == contact and report[party]["domain"] == domain


def test_a_from_setting_that_is_no_address_is_refused(settings: Any) -> None:
    settings.HOTLINE_REFERRAL_FROM_EMAIL = "Hotline"
    with pytest.raises(notices.XarfError):
        notices.build_xarf(SNAPSHOT)


def test_timestamp_is_the_first_observation_not_the_build_time() -> None:
    report = notices.build_xarf(SNAPSHOT)
    assert report["timestamp"] == "2026-03-04T05:06:07Z"


def test_the_validator_catches_what_the_library_lets_through() -> None:
    """The defects of issue 12, written into a valid notice: the official schema with strict formats refuses each."""
    report = notices.build_xarf(SNAPSHOT)
    display = json.loads(json.dumps(report))
    display["sender"]["contact"] = "Hotline <hotline@hotline.example>"
    display["sender"]["domain"] = "hotline.example>"
    # The library checks formats only as far as the installed packages go: with fqdn (a runtime
    # dependency since issue 12) it sees the domain; its `email` check is an "@", so it never sees the contact.
    assert {e.field for e in xarf.schema_validator.validate(display)} == {"sender.domain"}
    assert {p.split(":")[0] for p in xarf_schemas.errors(display)} == {"sender/contact", "sender/domain"}
    idn = json.loads(json.dumps(report))
    idn["reporter"]["domain"] = "bücher.example"
    assert [p.split(":")[0] for p in xarf_schemas.errors(idn)] == ["reporter/domain"]


@pytest.mark.parametrize("sample", ["sample-content-csam.json", "sample-content-csem.json"])
def test_the_specs_own_samples_are_valid(sample: str) -> None:
    report = json.loads((xarf_schemas.SCHEMAS.parents[1] / sample).read_text(encoding="utf-8"))
    assert xarf_schemas.errors(report) == []
