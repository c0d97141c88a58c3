"""Schemathesis against the partner API's own OpenAPI document: no generated input gives a server error.

Runs in-process (WSGI) on the test database with a real partner key, positive and negative data,
a bounded number of examples per operation (the whole module stays well under a minute).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from hotline.intake.api import api
from hotline.staff import services as staff_services

# The WSGI application is called directly: it must not close the test transaction's connection.
pytestmark = pytest.mark.usefixtures("keep_the_test_connection")

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def partner_key(db: Any, settings: Any) -> str:
    settings.HOTLINE_API_REQUESTS_PER_MINUTE = 100_000
    cache.clear()
    _, key = staff_services.create_partner_key(partner="Schemathesis", actor="test")
    return key


@pytest.fixture
def answered(request: Any) -> Iterator[Counter[int]]:
    """The statuses of the requests one operation's test sent. Guard against a run that only ever hit
    401: each operation that creates reports created valid ones and refused invalid ones. Counted per
    test, so the guard holds in any order and on any pytest-xdist worker."""
    statuses: Counter[int] = Counter()
    yield statuses
    if request.node.operation_label.startswith("POST "):
        assert statuses[201] > 0 and statuses[422] > 0, (request.node.operation_label, statuses)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_gives_a_server_error(case: Any, partner_key: str, answered: Counter[int]) -> None:
    response = case.call_and_validate(headers={"Authorization": f"Bearer {partner_key}"}, checks=[not_a_server_error])
    answered[response.status_code] += 1


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_without_a_key_gives_a_server_error(case: Any, db: Any) -> None:
    case.call_and_validate(headers={"Authorization": "Bearer hlk_unknown"}, checks=[not_a_server_error])
