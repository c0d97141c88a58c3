"""The report form view checks a POST on one of two paths (quick_report_input, or the full ReportForm when the
quick path declines) and has one success path: the same store, the same thank-you page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.test import Client

from hotline.cases.models import Channel, Report, ReportedUrl
from hotline.intake.forms import ReportForm, quick_report_input
from hotline.intake.receipts import receipt_index
from hotline.intake.tests.test_public_pages import RECEIPT, form_data

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_both_paths_end_in_the_same_store_and_redirect(client: Client, language: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    quick = form_data(url_1="https://quick.example.test/a", channel="share")
    # "3.0" is a number the form's IntegerField reads but the quick path does not: the form path takes it.
    full = form_data(url_1="https://full.example.test/a", channel="share", url_fields="3.0")
    as_post = QueryDict(mutable=True)
    as_post.update(full)
    assert quick_report_input(as_post) is None and ReportForm(as_post).is_valid()
    pages = {}
    for name, data in (("quick", quick), ("full", full)):
        response = client.post("/report/", data, follow=True)
        assert response.redirect_chain[0][1] == 303 and response.status_code == 200
        pages[name] = response.content.decode()
        receipt = RECEIPT.search(response.content).group(1).decode()  # type: ignore[union-attr]
        report = Report.objects.get(receipt_index=receipt_index(receipt))
        assert report.channel == Channel.SHARE and report.language == language
        assert list(ReportedUrl.objects.filter(report=report).values_list("url", flat=True)) == [
            f"https://{name}.example.test/a"
        ]
    assert Report.objects.count() == 2


def test_both_paths_are_counted_by_the_same_rate_limit(client: Client, settings: Any) -> None:
    settings.HOTLINE_INTAKE_SUBMISSIONS_PER_HOUR = 1
    assert client.post("/report/", form_data(url_1="https://quick.example.test/b")).status_code == 303
    refused: Any = client.post("/report/", form_data(url_1="https://full.example.test/b", url_fields="3.0"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert Report.objects.count() == 1
