"""The WHATWG URL Standard's own suites, run against Hotline's URL rules (docs/url-rules.md).

Every test of urltestdata.json and IdnaTestV2.json (web-platform-tests, tests/data/wpt/) that applies
to Hotline either agrees or is a known, documented difference listed by test id in
tests/data/wpt/known_differences.json. A new disagreement fails, and so does a listed one that no
longer disagrees (the list stays true). Each suite prints its agreement as a figure.
"""

from __future__ import annotations

import json

import pytest

from hotline.cases import canonical
from tests.conformance import FIGURES, url_suites

KNOWN = json.loads((url_suites.DATA / "known_differences.json").read_text(encoding="utf-8"))
# Why each kind of difference is deliberate: docs/url-rules.md, "Differences from the URL Standard".
REASONS = {
    "no-scheme-read-as-http",
    "empty-host-name",
    "host-characters",
    "empty-label",
    "dns-length",
    "number-after-dots",
}


def _check(result: url_suites.SuiteResult) -> None:
    FIGURES.append(result.figure())
    known = KNOWN.get(result.name, {})
    assert set(known.values()) <= REASONS
    new = {tid: why for tid, why in result.disagreements.items() if tid not in known}
    fixed = sorted(set(known) - set(result.disagreements))
    assert not new, f"new disagreements with the standard: {new}"
    assert not fixed, f"listed as known differences but agreeing now (remove them from the list): {fixed}"


@pytest.fixture(scope="module")
def urltestdata() -> tuple[url_suites.SuiteResult, url_suites.SuiteResult]:
    return url_suites.run_urltestdata(canonical)


@pytest.fixture(scope="module")
def idna() -> tuple[url_suites.SuiteResult, url_suites.SuiteResult]:
    return url_suites.run_idna(canonical)


def test_urltestdata_parse_step(urltestdata) -> None:
    parse, _ = urltestdata
    assert parse.applicable > 400
    _check(parse)


def test_urltestdata_canonical_step(urltestdata) -> None:
    _, canon = urltestdata
    assert canon.applicable > 400
    _check(canon)


def test_idna_parse_step(idna) -> None:
    parse, _ = idna
    assert parse.applicable > 2500
    _check(parse)


def test_idna_canonical_step(idna) -> None:
    _, canon = idna
    assert canon.applicable > 2500
    _check(canon)


def test_the_suite_can_disagree() -> None:
    """The harness is not blind: an implementation that accepts everything disagrees with the suite."""

    class Lenient:
        UnacceptableUrl = canonical.UnacceptableUrl

        @staticmethod
        def canonicalize_url(text: str) -> canonical.CanonicalUrl:
            return canonical.CanonicalUrl("http://x.test/", "http", "x.test", None, "x.test", False)

    _, canon = url_suites.run_urltestdata(Lenient)  # type: ignore[arg-type]
    assert len(canon.disagreements) > 400
