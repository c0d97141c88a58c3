"""Schemathesis over every JSON API Hotline serves, against the production server configuration over HTTP.

Every API is found in the URL configuration (each django-ninja API serves its OpenAPI document at a URL named
"openapi-json"), so a new API (the network and statistics APIs as they appear) is fuzzed without a change
here; a guard fails when an API path belongs to no document. Bounded: a fixed number of examples per
operation, derandomised. In-process runs of the partner API are in src/hotline/intake/tests/test_schemathesis.py;
this one goes through granian, the production settings and a real partner key.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, settings
from ninja import NinjaAPI
from schemathesis.checks import not_a_server_error

from tests.resilience.harness import Stack, World, production_env

# One pytest-xdist worker for the module (conftest: module-scoped fixtures): one server for every API, and the
# last test reads what the others counted.
pytestmark = [pytest.mark.slow, pytest.mark.resilience]

EXAMPLES = int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", "25"))  # per operation
STATUSES: Counter[int] = Counter()


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def served_apis() -> dict[str, NinjaAPI]:
    """URL of each OpenAPI document -> its API, from the URL configuration."""
    found = {}
    for route, pattern in _patterns(get_resolver().url_patterns):
        callback = pattern.callback
        if pattern.name == "openapi-json" and isinstance(callback, functools.partial):
            api = callback.keywords.get("api")
            if isinstance(api, NinjaAPI):
                found["/" + route] = api
    return found


def test_every_api_path_is_in_a_fuzzed_document() -> None:
    apis = served_apis()
    assert apis, "no OpenAPI document found in the URL configuration"
    documented = {path for api in apis.values() for path in api.get_openapi_schema()["paths"]}
    operations = {
        "/" + route.replace("<", "{").replace(">", "}")
        for route, pattern in _patterns(get_resolver().url_patterns)
        if pattern.callback.__module__ == "ninja.operation"
    }
    assert operations and operations <= documented, (operations, documented)


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any, migrated_sqlite: Callable[[Path], Path]) -> Iterator[tuple[Stack, str]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    world = World(tmp).start()
    stack = Stack(production_env(f"sqlite:///{migrated_sqlite(tmp / 'hotline.sqlite3')}", tmp, world), tmp)
    try:
        key = stack.manage("create_partner_key", "Fuzz partner").strip().splitlines()[-1]
        stack.start_web()
        yield stack, key
    finally:
        stack.stop()
        world.stop()


def _fuzz(document_url: str, api: NinjaAPI) -> Any:
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())

    @schema.parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def test(case: Any, server: tuple[Stack, str]) -> None:
        stack, key = server
        response = case.call_and_validate(
            base_url=stack.url,
            headers={"Authorization": f"Bearer {key}"},
            checks=[not_a_server_error],
            timeout=30,
            # An API on the staff session (statistics) sends a visitor without one to sign in: the answer is
            # that redirect, not the sign-in page behind it.
            allow_redirects=False,
        )
        STATUSES[response.status_code] += 1

    test.__doc__ = f"No generated input to the API of {document_url} gives a server error."
    return test


# One test per API document (pytest collects module globals named test_*).
for _url, _api in served_apis().items():
    globals()["test_no_input_gives_a_server_error_" + re.sub(r"\W+", "_", _url).strip("_")] = _fuzz(_url, _api)


def test_the_generated_requests_reached_the_api() -> None:
    """Guard against a run that only ever hit 401 or never ran: reports were created and bad input refused."""
    print(f"\nfuzzed over HTTP: {sum(STATUSES.values())} requests, statuses {dict(sorted(STATUSES.items()))}")
    assert STATUSES[201] > 0 and STATUSES[422] > 0, STATUSES
    assert not [s for s in STATUSES if s >= 500]
