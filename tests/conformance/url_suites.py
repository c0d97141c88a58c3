"""Runs the WHATWG URL Standard's own suites (web-platform-tests urltestdata.json and IdnaTestV2.json)
against Hotline's URL rules and says, per test id, where they disagree.

Kept apart from the test module so the same functions measure any implementation of the rules
(`module` needs `canonicalize_url` and `UnacceptableUrl`; `parse_whatwg` is optional) — that is
how the figures before and after issue 12 were taken.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import ada_url

DATA = Path(__file__).resolve().parents[1] / "data" / "wpt"
WEB_SCHEMES = ("http:", "https:")


@dataclass
class SuiteResult:
    name: str
    applicable: int = 0
    not_applicable: int = 0
    disagreements: dict[str, str] = field(default_factory=dict)  # test id -> what differed

    @property
    def agreed(self) -> int:
        return self.applicable - len(self.disagreements)

    def figure(self) -> str:
        share = 100 * self.agreed / self.applicable if self.applicable else 0.0
        return (
            f"{self.name}: {self.agreed}/{self.applicable} agree ({share:.1f} %), "
            f"{len(self.disagreements)} differ, {self.not_applicable} not applicable"
        )


def _load(name: str) -> list[Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def url_tests() -> Iterator[tuple[str, dict[str, Any]]]:
    """(test id, test) for every test of urltestdata.json; the id is the test's index in the file."""
    for index, test in enumerate(_load("urltestdata.json")):
        if isinstance(test, dict):
            yield f"urltestdata#{index}", test


def _absolute(test: dict[str, Any]) -> bool:
    """True when the input is an absolute URL: parsed without its base it gives the same answer.
    Hotline never resolves against a base, so tests of relative references do not apply to it."""
    if test.get("base") is None:
        return True
    try:
        alone = ada_url.URL(test["input"]).href
    except ValueError:
        alone = None
    try:
        with_base = ada_url.URL(test["input"], test["base"]).href
    except ValueError:
        with_base = None
    return alone == with_base


def _outcome(module: ModuleType, text: str) -> Any:
    try:
        return module.canonicalize_url(text)
    except module.UnacceptableUrl as refused:
        return refused


def run_urltestdata(module: ModuleType) -> tuple[SuiteResult, SuiteResult]:
    """(parse step, canonical step). Applicable: absolute inputs whose expected answer is a failure
    or an http(s) URL; other schemes are refused by design and counted as not applicable.

    Parse step (only if the module has parse_whatwg): the WHATWG href, or a failure, exactly.
    Canonical step: a failure is refused; a success is accepted with the browser's host and port,
    and the browser's own href canonicalises to the same case as the input did."""
    parse = SuiteResult("urltestdata (WHATWG parse)")
    canon = SuiteResult("urltestdata (canonical form)")
    has_parse = hasattr(module, "parse_whatwg")
    for test_id, test in url_tests():
        failure = bool(test.get("failure"))
        if not _absolute(test) or not (failure or test.get("protocol") in WEB_SCHEMES):
            parse.not_applicable += 1
            canon.not_applicable += 1
            continue
        text = test["input"]
        if has_parse:
            parse.applicable += 1
            try:
                href = module.parse_whatwg(text).href
            except module.UnacceptableUrl as refused:
                href = None
                if not failure:
                    parse.disagreements[test_id] = f"refused ({refused.code})"
            if href is not None and (failure or href != test["href"]):
                parse.disagreements[test_id] = f"gave {href!r}"
        canon.applicable += 1
        got = _outcome(module, text)
        if failure:
            if not isinstance(got, module.UnacceptableUrl):
                canon.disagreements[test_id] = f"accepted as {got.url!r}"
            continue
        if isinstance(got, module.UnacceptableUrl):
            canon.disagreements[test_id] = f"refused ({got.code})"
            continue
        host = test["hostname"].strip("[]").rstrip(".")
        port = int(test["port"]) if test["port"] else None
        from_browser = _outcome(module, test["href"])
        if (got.host, got.port) != (host, port):
            canon.disagreements[test_id] = f"host/port {got.host!r}:{got.port} not {host!r}:{port}"
        elif from_browser != got:
            canon.disagreements[test_id] = "the browser's href is another case"
    return parse, canon


def run_idna(module: ModuleType) -> tuple[SuiteResult, SuiteResult]:
    """IdnaTestV2.json as web-platform-tests runs it: `https://<input>/x`, host must be `output`
    (null: the URL must fail). Parse step: the WHATWG host; canonical step: the case's host."""
    parse = SuiteResult("IdnaTestV2 (WHATWG host)")
    canon = SuiteResult("IdnaTestV2 (canonical host)")
    has_parse = hasattr(module, "parse_whatwg")
    for index, test in enumerate(_load("IdnaTestV2.json")):
        if not isinstance(test, dict):
            continue
        if not test["input"]:  # web-platform-tests skips it too: "https:///x" has the host "x"
            parse.not_applicable += 1
            canon.not_applicable += 1
            continue
        test_id = f"IdnaTestV2#{index}"
        expected = test["output"]
        text = f"https://{test['input']}/x"
        if has_parse:
            parse.applicable += 1
            try:
                host = module.parse_whatwg(text).hostname
            except module.UnacceptableUrl:
                host = None
            if host != expected:
                parse.disagreements[test_id] = f"host {host!r}"
        canon.applicable += 1
        got = _outcome(module, text)
        got_host = None if isinstance(got, module.UnacceptableUrl) else got.host
        if got_host != (None if expected is None else expected.rstrip(".")):
            canon.disagreements[test_id] = f"host {got_host!r}"
    return parse, canon
