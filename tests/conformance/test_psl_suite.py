"""The Public Suffix List's own tests (tests/data/psl/test_psl.txt), run against registered_domain."""

from __future__ import annotations

from datetime import date

from hotline.cases import canonical, suffixes
from tests.conformance import FIGURES, psl_suite

# Hotline follows every line of the list's own tests; a difference would need a reason here.
KNOWN: dict[str, str] = {}


def test_psl_suite() -> None:
    result = psl_suite.run_psl(canonical)
    FIGURES.append(result.figure())
    assert result.applicable > 70
    assert result.disagreements == KNOWN


def test_the_bundled_list_is_dated_and_recent_enough_to_know_new_rules() -> None:
    published = suffixes.list_date()
    assert published is not None and published >= date(2026, 10, 1)
    # Private suffixes added after tldextract 5.4's snapshot (issue 12): each customer is a domain.
    assert canonical.registered_domain("alice.wasmer.app") == "alice.wasmer.app"
    assert canonical.registered_domain("shop.base44.app") == "shop.base44.app"
