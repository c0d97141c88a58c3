"""One public-host policy (issue 11): intake refuses every host triage would not hand to tracing, with the message
that says why (cases.canonical.host_scope; moved here from the cases tests, which know no intake)."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.intake.rules import MSG_PRIVATE, MSG_UNKNOWN_TOP_LEVEL, UrlProblem, clean_reported_url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://files.intranet/a", MSG_UNKNOWN_TOP_LEVEL),  # accepted by intake before issue 11/12
        ("http://git.corp/", MSG_UNKNOWN_TOP_LEVEL),
        ("http://nas.alt/", MSG_PRIVATE),
        ("http://wiki.internal/", MSG_PRIVATE),
        ("http://127.0.0." + "0" * 44 + "1/", MSG_PRIVATE),  # the address a browser reads: 127.0.0.1
    ],
)
def test_intake_refuses_what_triage_would_not_trace(url: str, message: Any) -> None:
    with pytest.raises(UrlProblem) as problem:
        clean_reported_url(url)
    assert problem.value.code == "private_host"
    assert str(problem.value) == str(message)
