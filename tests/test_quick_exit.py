""" "Leave this page" on every public page (GOV.UK's "Exit this page" as the model): a plain link to a neutral
site without JavaScript, keeping this site's address out of the request; the script that adds the history
replacement and the triple Shift is a static file (strict CSP). The browser side: tests/e2e/test_reporter_browser.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from hotline.core import conf
from tests.test_public_resources import PAGES

pytestmark = pytest.mark.django_db

LINK = re.compile(
    r'<a class="quick-exit-button" href="([^"]+)" rel="noreferrer noopener" referrerpolicy="no-referrer" '
    r"data-quick-exit>([^<]+)</a>"
)
SCRIPT = '<script src="/static/hotline/quick-exit.js" defer></script>'


# Machine answers, not pages: the manifest, the OpenAPI document, the language switch's redirect and the
# health checks (JSON for a load balancer).
NOT_PAGES = {
    "/manifest.webmanifest",
    "/api/openapi.json",
    "/insights/api/v1/openapi.json",
    "/language/",
    "/healthz",
    "/readyz",
    "/metrics",
}
# The network's identity and schemas are JSON for other hotlines' servers, not pages.
PUBLIC_HTML_PAGES = [p for p in PAGES if p not in NOT_PAGES and not p.startswith("/network/v1/")]


@pytest.mark.parametrize("path", PUBLIC_HTML_PAGES)
def test_every_public_page_has_the_quick_exit(path: str, settings: Any) -> None:
    settings.HOTLINE_QUICK_EXIT_URL = "https://weather.example/today"
    response = Client().get(path, follow=True)
    page = response.content.decode()
    link = LINK.search(page)
    assert link, f"{path} has no 'Leave this page'"
    assert link.group(1) == "https://weather.example/today" and link.group(2) == "Lämna sidan"
    # First thing after the skip link: reached with one Tab, above everything else.
    assert page.index('class="skip-link"') < page.index('class="quick-exit"') < page.index('class="site-header"')
    assert response["Referrer-Policy"] == "same-origin"  # another site never learns this address
    if path == "/api/docs":
        assert "<script" not in page  # the partners' reference stays free of scripts: the link alone
    else:
        assert SCRIPT in page


def test_the_error_pages_have_it_too(client: Any) -> None:
    assert LINK.search(client.get("/no-such-page/").content.decode())
    refused = Client(enforce_csrf_checks=True).post("/report/", {})  # the form's cookie missing
    assert refused.status_code == 403 and LINK.search(refused.content.decode())
    from django.db import OperationalError, connection

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    original = connection.cursor
    connection.cursor = refuse  # type: ignore[method-assign]
    try:
        unavailable = client.get("/petitions/")  # a page that reads the database (/healthz never does)
    finally:
        connection.cursor = original  # type: ignore[method-assign]
    assert unavailable.status_code == 503 and LINK.search(unavailable.content.decode())


def test_the_quick_exit_speaks_the_pages_language() -> None:
    client = Client()
    client.cookies["hotline_language"] = "ar"
    page = client.get("/report/").content.decode()
    assert LINK.search(page).group(2) == "غادِر هذه الصفحة"  # type: ignore[union-attr]
    assert 'data-two-more="مفتاح Shift: اضغط مرتين أخريين لمغادرة هذه الصفحة."' in page
    # The hint about Shift is hidden until the script (which makes it true) shows it.
    assert '<p class="quick-exit-hint" hidden data-quick-exit-hint>' in page


def test_staff_pages_have_no_quick_exit(staff_client: Any) -> None:
    page = staff_client("analyst").get("/staff/").content.decode()
    assert not LINK.search(page) and "quick-exit.js" not in page
    sign_in = Client().get("/staff/login/").content.decode()  # the sign-in pages, which extend base.html
    assert not LINK.search(sign_in) and "quick-exit.js" not in sign_in


def test_the_quick_exit_address_is_a_setting_with_a_neutral_default(settings: Any) -> None:
    assert conf.quick_exit_url() == conf.DEFAULT_QUICK_EXIT_URL == "https://www.smhi.se/"
    for bad in ("javascript:alert(1)", "/report/", "www.example.org", "ftp://files.example/", "https://"):
        settings.HOTLINE_QUICK_EXIT_URL = bad
        with pytest.raises(ImproperlyConfigured, match="HOTLINE_QUICK_EXIT_URL"):
            conf.quick_exit_url()
