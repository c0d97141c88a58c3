"""/report/own-images/ in Chromium: a person picks generated pictures (gradients, noise, shapes; never photos)
and a made-up video; the page hashes them in the browser and sends only the hashes. Every request the page
makes is recorded to prove that no file's bytes leave the browser, and the stored cases.ReportHash rows are
compared with hashlib and pdqhash on the same files. axe-core checks the page and the thank-you page."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache

from hotline.cases.models import Channel, Report, ReportHash
from hotline.intake.receipts import receipt_index
from tests.e2e.test_pdq_port import JPEG_DISTANCE_BOUND, gradient, hamming, noise, pdq_reference, shapes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "picked"
    folder.mkdir()
    made = {
        "gradient.png": lambda p: gradient(640, 480).save(p),
        "noise.png": lambda p: noise(300, 200, seed=21).save(p),
        "shapes.jpg": lambda p: shapes(480, 360).save(p, "JPEG", quality=90),
        "clip.mp4": lambda p: p.write_bytes(np.random.default_rng(22).integers(0, 256, 200_000, np.uint8).tobytes()),
    }
    paths = {}
    for name, make in made.items():
        make(folder / name)
        paths[name] = folder / name
    return paths


def record_requests(page: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda request: seen.append(
            {
                "url": request.url,
                "method": request.method,
                "body": request.post_data_buffer or b"",
                "type": request.headers.get("content-type", ""),
            }
        ),
    )
    page.on("console", lambda message: seen.append({"console": message.text}) if message.type == "error" else None)
    return seen


def axe_violations(page: Any) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in results.response["violations"]]


def test_only_hashes_leave_the_browser_and_they_are_the_files_hashes(
    page: Any, live_server: Any, files: dict[str, Path]
) -> None:
    seen = record_requests(page)
    page.set_viewport_size({"width": 375, "height": 740})  # a phone
    page.goto(f"{live_server.url}/report/own-images/")
    assert page.locator("h1").inner_text() == "Bilder eller filmer på dig"
    assert page.locator("#own-images").is_visible()  # the script showed the picker
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    picker = page.get_by_label("Välj bilder eller filmer")
    picker.set_input_files([str(p) for p in files.values()])
    page.wait_for_function(
        "() => document.getElementById('own-files-status').textContent.startsWith('Koderna är klara')",
        timeout=60_000,
    )
    assert page.locator("#own-file-list li").count() == 4
    assert axe_violations(page) == []
    page.get_by_label("Meddelande (frivilligt)").fill("De delades i en gruppchatt.")
    before_send = len(seen)
    with page.expect_navigation():
        page.get_by_role("button", name="Skicka koderna").click()
    receipt = page.locator("#receipt").inner_text()
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
    assert axe_violations(page) == []

    # What left the browser: before the button, nothing but GETs of the page and its files; then one
    # urlencoded POST, smaller than any picked file, that holds none of their bytes.
    requests = [r for r in seen if "url" in r]
    assert not [r for r in seen if "console" in r], seen
    assert all(r["method"] == "GET" and not r["body"] for r in requests[:before_send]), requests[:before_send]
    posts = [r for r in requests if r["method"] != "GET" or r["body"]]
    assert len(posts) == 1, posts
    post = posts[0]
    assert post["url"] == f"{live_server.url}/report/own-images/"
    assert post["type"] == "application/x-www-form-urlencoded"
    assert len(post["body"]) < 2_000 < min(p.stat().st_size for p in files.values())
    assert b"multipart" not in post["body"] and b"filename" not in post["body"]
    for path in files.values():
        data = path.read_bytes()
        for offset in range(0, len(data) - 32, max(1, len(data) // 50)):
            assert data[offset : offset + 32] not in post["body"]
        assert path.name.encode() not in post["body"]  # not even the file's name
    assert all(r["url"].startswith(live_server.url) for r in requests)

    # What was stored: the report with its receipt, and the hashes Python computes for the same files.
    report = Report.objects.get()
    assert report.channel == Channel.OWN_IMAGES and report.receipt_index == receipt_index(receipt)
    assert report.description == "De delades i en gruppchatt."
    stored = {(h.kind, h.value): h.quality for h in ReportHash.objects.filter(report=report)}
    expected: dict[tuple[str, str], int | None] = {}
    for path in files.values():
        data = path.read_bytes()
        expected[("sha256", hashlib.sha256(data).hexdigest())] = None
        expected[("md5", hashlib.md5(data, usedforsecurity=False).hexdigest())] = None
        if path.suffix == ".png":
            value, quality = pdq_reference(path)
            expected[("pdq", value)] = quality
    jpeg_pdq = [(value, quality) for (kind, value), quality in stored.items() if kind == "pdq" and
                (kind, value) not in expected]  # fmt: skip
    assert {k: v for k, v in stored.items() if k in expected} == expected
    assert len(jpeg_pdq) == 1 and len(stored) == len(expected) + 1  # the video has no PDQ
    reference, _quality = pdq_reference(files["shapes.jpg"])
    assert hamming(jpeg_pdq[0][0], reference) <= JPEG_DISTANCE_BOUND  # JPEG decoders round differently

    # The receipt works on the status page like any other.
    page.goto(f"{live_server.url}/report/status/")
    page.locator("input[name=receipt]").fill(receipt)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    assert page.locator("[data-status]").first.get_attribute("data-status") == "received"


def test_sending_without_picking_files_says_so_and_sends_nothing(page: Any, live_server: Any) -> None:
    seen = record_requests(page)
    page.goto(f"{live_server.url}/report/own-images/")
    page.get_by_role("button", name="Skicka koderna").click()
    status = page.locator("#own-files-status")
    assert status.inner_text() == "Välj minst en bild eller film först."
    assert page.locator("#own-files").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "own-files"
    assert not [r for r in seen if "url" in r and r["method"] != "GET"]
    assert not Report.objects.exists()


def test_too_many_files_are_refused_on_the_device(
    page: Any, live_server: Any, files: dict[str, Path], settings: Any
) -> None:
    settings.HOTLINE_OWN_IMAGES_MAX_FILES = 2
    seen = record_requests(page)
    page.goto(f"{live_server.url}/report/own-images/")
    page.locator("#own-files").set_input_files([str(p) for p in files.values()])
    too_many = "Du kan välja högst 2 filer åt gången. Skicka resten i ett nytt tips."
    assert page.locator("#own-files-status").inner_text() == too_many
    page.get_by_role("button", name="Skicka koderna").click()
    assert page.locator("#own-files-status").inner_text() == too_many
    assert page.locator("#own-hashes").input_value() == ""
    assert not [r for r in seen if "url" in r and r["method"] != "GET"]
    assert not Report.objects.exists()


@pytest.fixture
def nojs_page(new_browser_context: Any) -> Any:
    """A fresh browser context with JavaScript disabled (like Tor Browser's 'safest' level)."""
    return new_browser_context(java_script_enabled=False).new_page()


def test_without_javascript_the_page_explains_and_offers_the_report_form(nojs_page: Any, live_server: Any) -> None:
    page = nojs_page
    page.goto(f"{live_server.url}/report/own-images/")
    assert not page.locator("#own-images").is_visible()
    assert "kräver JavaScript" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="Till tipsformuläret").click()
    assert page.url == f"{live_server.url}/report/"
