"""Swedish by default, any public language on request, switched with a plain form (no JavaScript); staff
pages in Swedish or English only; right-to-left pages for Arabic and Dari (docs/translating.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import formats, translation

from hotline.core import conf, languages

pytestmark = pytest.mark.django_db


def test_swedish_is_the_default(client: Any) -> None:
    response = client.get("/")
    assert response["Content-Language"] == "sv"
    assert '<html lang="sv">' in response.content.decode()
    assert "Lämna ett tips" in response.content.decode()


def test_switching_to_english_and_back(client: Any) -> None:
    response = client.post("/language/", {"language": "en", "next": "/report/"})
    assert response.status_code == 302 and response["Location"] == "/report/"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page and "Make a report" in page
    client.post("/language/", {"language": "sv", "next": "/"})
    assert "Lämna ett tips" in client.get("/").content.decode()


def test_language_switch_refuses_foreign_redirects_and_unknown_languages(client: Any) -> None:
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert client.get("/")["Content-Language"] == "sv"


def test_language_switch_is_post_only(client: Any) -> None:
    assert client.get("/language/").status_code == 405


# --- seven public languages, two for staff ------------------------------------------------------------
PUBLIC = ["sv", "en", "ar", "prs", "so", "ti", "uk"]
HEADINGS = {  # the report form's heading, each from its own catalogue
    "sv": "Lämna ett tips",
    "en": "Make a report",
    "ar": "قدِّم بلاغًا",
    "prs": "گزارش بدهید",
    "so": "Soo gudbi warbixin",
    "ti": "ጸብጻብ ኣቕርቡ",
    "uk": "Надіслати повідомлення",
}


def html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)  # type: ignore[union-attr]


def in_language(code: str) -> Client:
    c = Client()
    c.cookies["hotline_language"] = code
    return c


def form_data(**extra: str) -> dict[str, str]:
    return {
        "kind": "online_material",
        "url_fields": "3",
        "reporter_classification": "",
        "nexus_victim": "unknown",
        "nexus_offender": "unknown",
        "nexus_place": "unknown",
        "channel": "web",
        "action": "send",
        **extra,
    }


@pytest.mark.parametrize("code", PUBLIC)
def test_every_public_language_has_its_lang_direction_and_heading(code: str) -> None:
    response = in_language(code).get("/report/")
    page = response.content.decode()
    expected_lang = "fa-AF" if code == "prs" else code
    assert response["Content-Language"] == expected_lang
    tag = html_tag(page)
    assert f'lang="{expected_lang}"' in tag
    assert ('dir="rtl"' in tag) == (code in {"ar", "prs"})
    assert f"<h1>{HEADINGS[code]}</h1>" in page


def test_the_switch_lists_each_language_in_its_own_script_and_works_without_javascript() -> None:
    c = Client()
    page = c.get("/").content.decode()
    switch = re.search(r'<form class="language-switch".*?</form>', page, re.S).group(0)  # type: ignore[union-attr]
    assert '<span class="current-language" aria-current="true" lang="sv" dir="ltr">Svenska</span>' in switch
    for code, name, lang, direction in [
        ("en", "English", "en", "ltr"),
        ("ar", "العربيّة", "ar", "rtl"),
        ("prs", "دری", "fa-AF", "rtl"),
        ("so", "Soomaali", "so", "ltr"),
        ("ti", "ትግርኛ", "ti", "ltr"),
        ("uk", "Українська", "uk", "ltr"),
    ]:
        button = f'<button type="submit" name="language" value="{code}" lang="{lang}" dir="{direction}">{name}</button>'
        assert button in switch
    assert "<script" not in switch  # a plain form: a button posts it
    response = c.post("/language/", {"language": "ar", "next": "/report/status/"})
    assert response.status_code == 302 and response["Location"] == "/report/status/"
    assert 'dir="rtl"' in html_tag(c.get("/report/status/").content.decode())


@pytest.mark.parametrize("path", ["/staff/login/", "/petitions/"])
@pytest.mark.parametrize("code", ["ar", "prs", "so", "ti", "uk"])
def test_staff_and_campaign_pages_never_switch_to_a_language_they_do_not_have(path: str, code: str) -> None:
    """Their strings are Swedish and English only: someone who chose another language reads them in English."""
    response = in_language(code).get(path)
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "en"
    assert html_tag(page) == '<html lang="en">'
    assert 'value="ar"' not in page and 'value="sv"' in page  # the switch offers the page's own two


def test_a_signed_in_staff_member_with_an_arabic_cookie_gets_english(staff_client: Any) -> None:
    analyst = staff_client("analyst")
    analyst.cookies["hotline_language"] = "ar"
    page = analyst.get("/staff/").content.decode()
    assert html_tag(page) == '<html lang="en">' and 'dir="rtl"' not in page
    assert "Leave this page" not in page  # the quick exit is for the public


def test_hotline_public_languages_chooses_what_the_public_sees(settings: Any) -> None:
    settings.HOTLINE_PUBLIC_LANGUAGES = "sv,ar,en"
    page = in_language("uk").get("/").content.decode()
    assert html_tag(page) == '<html lang="sv">'  # not offered: the default
    assert 'value="uk"' not in page and 'value="ar"' in page and 'value="en"' in page
    refused = Client().post("/language/", {"language": "uk", "next": "/"})
    assert "hotline_language" not in refused.cookies
    assert 'dir="rtl"' in html_tag(in_language("ar").get("/").content.decode())


def test_hotline_public_languages_is_read_through_core_conf_and_checked(settings: Any) -> None:
    assert conf.public_languages() == tuple(PUBLIC)
    settings.HOTLINE_PUBLIC_LANGUAGES = " uk , SV,ar"
    assert conf.public_languages() == ("sv", "ar", "uk")  # the switch's order, whatever the setting's
    for bad in ("en,ar", "sv,xx", "", "sv;en"):
        settings.HOTLINE_PUBLIC_LANGUAGES = bad
        with pytest.raises(ImproperlyConfigured, match="HOTLINE_PUBLIC_LANGUAGES"):
            conf.public_languages()
    problems = conf.check_settings()
    assert [p.id for p in problems if "HOTLINE_PUBLIC_LANGUAGES" in p.msg] == ["core.E001"]


def test_dari_somali_and_tigrinya_get_a_name_direction_and_dates_from_settings() -> None:
    assert translation.get_language_info("prs")["name_local"] == "دری"
    assert translation.get_language_info("prs")["bidi"] is True
    assert translation.get_language_info("ti")["name_local"] == "ትግርኛ"
    assert "prs" in django_settings.LANGUAGES_BIDI and "ar" in django_settings.LANGUAGES_BIDI
    received = datetime(2026, 5, 3, 10, 0, tzinfo=UTC)
    expected = {
        "prs": "2026/5/3",
        "so": "03/05/2026",
        "ti": "03/05/2026",
        "sv": "3 maj 2026",
        "uk": "03 травня 2026 р.",
    }
    for code, text in expected.items():
        with translation.override(code):
            assert translation.get_language_bidi() == (code == "prs")
            assert formats.date_format(received, "DATE_FORMAT") == text
    with translation.override("ar"):
        assert "مايو" in formats.date_format(received, "DATE_FORMAT")  # Django's own Arabic month names


@pytest.mark.parametrize(
    ("code", "n", "expected"),
    [
        ("ar", 1, "1 دقيقة"),
        ("ar", 2, "2 دقيقتين"),
        ("ar", 5, "5 دقائق"),
        ("ar", 15, "15 دقيقة"),
        ("uk", 1, "1 хвилину"),
        ("uk", 3, "3 хвилини"),
        ("uk", 5, "5 хвилин"),
        ("uk", 21, "21 хвилину"),
        ("uk", 12, "12 хвилин"),
    ],
)
def test_plural_rules_of_our_catalogues_pick_the_right_form(code: str, n: int, expected: str) -> None:
    """Our catalogues' plural rules (six forms in Arabic, three in Ukrainian) live beside Django's own
    catalogues of the same languages, whose rules differ: each message uses the rule of its catalogue."""
    from django.template.loader import render_to_string

    with translation.override(code):
        html = render_to_string("intake/too_many.html", {"minutes": n, "what": "receipt"})
    assert expected in html


def test_a_report_records_the_language_it_was_made_in() -> None:
    from hotline.cases.models import Report

    for code in ("ar", "ti", "sv"):
        response = in_language(code).post("/report/", form_data(url_1=f"https://{code}.example.test/page"))
        assert response.status_code == 303
    assert sorted(Report.objects.values_list("language", flat=True)) == ["ar", "sv", "ti"]


@pytest.mark.parametrize("code", PUBLIC)
def test_the_receipt_and_the_status_page_work_in_every_public_language(code: str) -> None:
    from django.core.cache import cache

    cache.clear()
    c = in_language(code)
    thanks = c.post("/report/", form_data(description="Seen in a group chat."), follow=True).content.decode()
    receipt = re.search(r'<p class="receipt"[^>]*id="receipt" dir="ltr">(\d{4} \d{4} \d{4} \d{4})</p>', thanks)
    assert receipt, "the receipt code is isolated left to right"
    status = c.post("/report/status/", {"receipt": receipt.group(1)})
    page = status.content.decode()
    assert status.status_code == 200 and 'data-status="received"' in page
    assert f'<bdi dir="ltr">{receipt.group(1)}</bdi>' in page
    with translation.override(code):
        from hotline.intake.public_status import EXPLANATIONS, PublicStatus

        assert str(PublicStatus.RECEIVED.label) in page and str(EXPLANATIONS[PublicStatus.RECEIVED]) in page
    assert re.search(r'<time datetime="\d{4}-\d{2}-\d{2}">', page)


def test_a_receipt_typed_with_arabic_or_persian_digits_is_found() -> None:
    from django.core.cache import cache

    from hotline.intake.receipts import normalise

    cache.clear()
    c = in_language("prs")
    thanks = c.post("/report/", form_data(description="Seen in a game."), follow=True).content.decode()
    code = re.search(r'id="receipt" dir="ltr">([\d ]+)<', thanks).group(1)  # type: ignore[union-attr]
    persian = code.translate({ord(str(i)): d for i, d in enumerate("۰۱۲۳۴۵۶۷۸۹")})
    arabic = code.translate({ord(str(i)): d for i, d in enumerate("٠١٢٣٤٥٦٧٨٩")})
    for typed in (persian, arabic, f"\u2066{code}\u2069", f"\u200f{code}"):
        assert normalise(typed) == code.replace(" ", "")
        assert 'data-status="received"' in c.post("/report/status/", {"receipt": typed}).content.decode()


def test_bidi_islands_and_no_drafts_on_the_report_pages() -> None:
    page = in_language("ar").get("/report/").content.decode()
    for number in (1, 2, 3):
        field = re.search(rf'<input type="text" name="url_{number}"[^>]*>', page).group(0)  # type: ignore[union-attr]
        assert 'dir="ltr"' in field and 'autocomplete="off"' in field
    for name in ("where_seen", "contact"):
        field = re.search(rf'<input type="text" name="{name}"[^>]*>', page).group(0)  # type: ignore[union-attr]
        assert 'dir="auto"' in field and 'autocomplete="off"' in field
    assert re.search(r'<textarea name="description"[^>]*autocomplete="off" dir="auto"', page)
    assert '<form method="post" action="/report/" class="report-form" autocomplete="off" novalidate>' in page
    status = in_language("ar").get("/report/status/").content.decode()
    receipt = re.search(r'<input type="text" name="receipt"[^>]*>', status).group(0)  # type: ignore[union-attr]
    assert 'dir="ltr"' in receipt and 'autocomplete="off"' in receipt and 'inputmode="numeric"' in receipt
    assert '<bdi dir="ltr">1234 5678 9012 3456</bdi>' in status  # the example code in the field's help


PHYSICAL = re.compile(
    r"(?<![-\w])(margin|padding|border)-(left|right)\b|(?<![-\w])(left|right)\s*:|text-align:\s*(left|right)|float:\s*(left|right)"
)


@pytest.mark.parametrize("css", ["core/static/hotline/hotline.css", "intake/static/intake/intake.css",
                                 "campaigns/static/campaigns/campaigns.css"])  # fmt: skip
def test_public_stylesheets_use_logical_properties_only(css: str) -> None:
    text = (Path(languages.__file__).resolve().parent.parent / css).read_text()
    assert not PHYSICAL.findall(text), "use margin-inline-start/end, inset-inline-start, text-align: start/end"


def test_the_manifest_speaks_the_language_and_direction_of_the_page() -> None:
    manifest = in_language("prs").get("/manifest.webmanifest").json()
    assert (manifest["lang"], manifest["dir"]) == ("fa-AF", "rtl")
    assert manifest["description"] == "محتوای آزار جنسی اطفال در انترنت را بدون ذکر نام گزارش دهید."
    assert (Client().get("/manifest.webmanifest").json()["dir"]) == "ltr"


def test_a_form_refused_by_the_csrf_check_says_what_to_do_in_the_visitors_language() -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies["hotline_language"] = "uk"
    response = strict.post("/report/", form_data(url_1="https://csrf.example.test/"))
    assert response.status_code == 403
    page = response.content.decode()
    # The form again, in the visitor's language, with what was typed (core/formguard.py).
    assert 'lang="uk"' in html_tag(page) and "https://csrf.example.test/" in page
    assert "CSRF" not in page  # Django's own page (English, technical) is not shown
