"""Runs the Public Suffix List's own tests (tests/data/psl/test_psl.txt) against a module's
`registered_domain`, the way Hotline reaches it: the host as canonicalised from `http://<input>/`."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

from tests.conformance.url_suites import SuiteResult

DATA = Path(__file__).resolve().parents[1] / "data" / "psl" / "test_psl.txt"
_CHECK = re.compile(r"^checkPublicSuffix\((null|'[^']*'), (null|'[^']*')\);")


def psl_tests() -> list[tuple[str, str | None, str | None]]:
    """(test id, input, expected registrable domain) for every active line; the id is the line number."""
    out = []
    for number, line in enumerate(DATA.read_text(encoding="utf-8").splitlines(), start=1):
        match = _CHECK.match(line.strip())
        if match:
            given, expected = (None if g == "null" else g[1:-1] for g in match.groups())
            out.append((f"test_psl.txt:{number}", given, expected))
    return out


def _host(module: ModuleType, name: str | None) -> str | None:
    """The canonical (A-label) host of a name, or None when Hotline refuses it as a host."""
    if not name:
        return None
    try:
        return module.canonicalize_url(f"http://{name}/").host
    except module.UnacceptableUrl:
        return None


def run_psl(module: ModuleType) -> SuiteResult:
    result = SuiteResult("test_psl.txt (registered domain)")
    for test_id, given, expected in psl_tests():
        result.applicable += 1
        host = _host(module, given)
        got = module.registered_domain(host) if host else ""
        want = _host(module, expected) if expected else ""
        if got != (want or ""):
            result.disagreements[test_id] = f"{given!r}: got {got!r}, expected {want!r}"
    return result
