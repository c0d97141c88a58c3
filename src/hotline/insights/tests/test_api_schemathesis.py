"""Schemathesis against the statistics API's own OpenAPI document, signed in as a statistician: no generated
input (periods of every shape, good and bad, any table name) gives a server error, and both answers and refusals
were reached. In-process (WSGI) on the test database, a bounded number of examples per operation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from hotline.insights.api import api
from hotline.staff.factories import login_verified, staff_user

# The WSGI application is called directly: it must not close the test transaction's connection.
pytestmark = pytest.mark.usefixtures("keep_the_test_connection")

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def session_cookie(db: Any) -> str:
    client = login_verified(Client(), staff_user("statistician", email="stats@hotline.example"))
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def answered(request: Any) -> Iterator[Counter[int]]:
    statuses: Counter[int] = Counter()
    yield statuses
    assert statuses[200] > 0 and statuses[400] > 0, (request.node.operation_label, statuses)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_gives_a_server_error(case: Any, session_cookie: str, answered: Counter[int]) -> None:
    response = case.call_and_validate(
        cookies={django_settings.SESSION_COOKIE_NAME: session_cookie}, checks=[not_a_server_error]
    )
    answered[response.status_code] += 1


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_without_a_session_gives_a_server_error(case: Any, db: Any) -> None:
    response = case.call_and_validate(checks=[not_a_server_error])
    assert response.status_code in (302, 400, 404, 405), response.status_code  # sent to sign in, or refused
