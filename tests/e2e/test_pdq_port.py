"""The browser's hashing of a person's own files (intake/static/intake/own-images/) against the Python
reference: PDQ from the `pdqhash` package, SHA-256 and MD5 from hashlib, on images generated here
(gradients, shapes, noise, patterns; never photos), picked through a real <input type=file> in Chromium.
The page is served from loopback under the site's own Content-Security-Policy, and every request it makes
is recorded to show that no file's bytes leave the browser."""

from __future__ import annotations

import base64
import hashlib
import http.server
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pdqhash
import pytest
from PIL import Image, ImageDraw, ImageOps, PngImagePlugin

OWN_IMAGES = Path(__file__).resolve().parents[2] / "src/hotline/intake/static/intake/own-images"

# PDQ hashes of re-encoded copies of one image usually differ by a few bits; 31 is the usual match
# threshold. JPEG decoders may round differently, so JPEG hashes are held to a bound, PNG to equality.
JPEG_DISTANCE_BOUND = 16
FIVE_MB = 5 * 1024 * 1024


# --- the reference ------------------------------------------------------------------------
def pdq_reference(path: Path) -> tuple[str, int]:
    """What a partner's Python tooling computes: Pillow decodes, EXIF orientation applied, alpha dropped."""
    with Image.open(path) as image:
        rgb = np.array(ImageOps.exif_transpose(image).convert("RGB"))
    return pdq_of_array(rgb)


def pdq_ignoring_orientation(path: Path) -> tuple[str, int]:
    with Image.open(path) as image:
        return pdq_of_array(np.array(image.convert("RGB")))


def pdq_of_array(rgb: np.ndarray) -> tuple[str, int]:
    bits, quality = pdqhash.compute(rgb)
    # As ThreatExchange's pdq_hasher formats it: the bit vector read as one binary number.
    return f"{int(''.join(str(int(b)) for b in bits), 2):064x}", int(quality)


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


# --- generated images ---------------------------------------------------------------------
def _grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:height, 0:width]
    return x.astype(np.float64), y.astype(np.float64)


def gradient(width: int, height: int) -> Image.Image:
    x, y = _grid(width, height)
    rgb = np.stack([255 * x / max(width - 1, 1), 255 * y / max(height - 1, 1), 255 * (x + y) / (width + height)], 2)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def radial(width: int, height: int) -> Image.Image:
    x, y = _grid(width, height)
    r = np.hypot(x - width * 0.4, y - height * 0.6)
    grey = (255 * (1 - r / r.max())).astype(np.uint8)
    return Image.fromarray(np.stack([grey, 255 - grey, grey // 2], 2), "RGB")


def stripes(width: int, height: int) -> Image.Image:
    x, y = _grid(width, height)
    wave = 127.5 + 127.5 * np.sin(x / 9.0 + y / 23.0)
    return Image.fromarray(np.stack([wave, wave[::-1], np.full_like(wave, 90)], 2).astype(np.uint8), "RGB")


def rings(width: int, height: int) -> Image.Image:
    x, y = _grid(width, height)
    r = np.hypot(x - width / 2, y - height / 2)
    grey = ((np.floor(r / 12) % 2) * 200 + 30).astype(np.uint8)
    return Image.fromarray(grey, "L").convert("RGB")


def checkerboard(width: int, height: int, cell: int) -> Image.Image:
    x, y = _grid(width, height)
    on = ((x // cell + y // cell) % 2).astype(bool)
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[on] = (240, 200, 30)
    rgb[~on] = (20, 40, 160)
    return Image.fromarray(rgb, "RGB")


def shapes(width: int, height: int, mode: str = "RGB") -> Image.Image:
    image = Image.new("RGB", (width, height), (230, 225, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width * 0.1, height * 0.1, width * 0.45, height * 0.5), fill=(200, 30, 40))
    draw.ellipse(
        (width * 0.5, height * 0.2, width * 0.9, height * 0.8), fill=(30, 120, 200), outline=(0, 0, 0), width=4
    )
    draw.polygon(
        [(width * 0.2, height * 0.9), (width * 0.4, height * 0.55), (width * 0.6, height * 0.95)], fill=(40, 160, 60)
    )
    draw.line((0, height - 1, width - 1, 0), fill=(250, 250, 250), width=3)
    return image.convert(mode) if mode != "RGB" else image


def noise(width: int, height: int, seed: int, mode: str = "RGB") -> Image.Image:
    rng = np.random.default_rng(seed)
    if mode == "L":
        return Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8), "L")
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")


def translucent(width: int, height: int) -> Image.Image:
    """RGBA with every alpha from 0 to 255 and distinct colours under fully transparent pixels."""
    base = np.array(shapes(width, height))
    x, _ = _grid(width, height)
    alpha = (255 * x / (width - 1)).astype(np.uint8)
    alpha[: height // 4] = 0  # transparent band whose colours still differ (they count in PDQ)
    alpha[-height // 4 :] = 255
    return Image.fromarray(np.dstack([base, alpha]), "RGBA")


def grey_alpha(width: int, height: int) -> Image.Image:
    grey = np.array(radial(width, height).convert("L"))
    alpha = np.tile(np.linspace(0, 255, width).astype(np.uint8), (height, 1))
    return Image.fromarray(np.dstack([grey, alpha]), "LA")


def big_noise_png(target_bytes: int) -> Image.Image:
    """Noise does not compress: 3 bytes a pixel, a little over `target_bytes` as a PNG."""
    side = int((target_bytes / 3) ** 0.5) + 8
    return noise(side, side, seed=5)


@dataclass
class Sample:
    name: str
    path: Path
    kind: str  # "png", "jpeg", "other"
    sha256: str
    md5: str
    pdq: tuple[str, int] | None = None
    opaque: bool = True
    notes: dict[str, Any] = field(default_factory=dict)


def _png_with_gamma(image: Image.Image, path: Path) -> None:
    """A gAMA chunk of 1.0 (linear): a colour-managed decoder would brighten the image; ours must not."""
    info = PngImagePlugin.PngInfo()
    info.add(b"gAMA", (100000).to_bytes(4, "big"))
    image.save(path, pnginfo=info)


def _with_orientation(image: Image.Image, path: Path, orientation: int, **save: Any) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save(path, exif=exif, **save)


def make_samples(folder: Path) -> list[Sample]:
    png: dict[str, Any] = {
        "gradient-640x480": gradient(640, 480),
        "gradient-wide-1024x256": gradient(1024, 256),
        "gradient-tall-97x801": gradient(97, 801),
        "radial-300x300": radial(300, 300),
        "stripes-800x600": stripes(800, 600),
        "rings-400x400": rings(400, 400),
        "checkerboard-256x256": checkerboard(256, 256, 16),
        "checkerboard-fine-1000x333": checkerboard(1000, 333, 3),
        "shapes-512x384": shapes(512, 384),
        "shapes-palette-320x240": shapes(320, 240, "P"),
        "shapes-grey-250x410": shapes(250, 410, "L"),
        "noise-333x222": noise(333, 222, seed=1),
        "noise-grey-200x150": noise(200, 150, seed=2, mode="L"),
        "noise-64x64": noise(64, 64, seed=3),  # the reference's no-blur path
        "noise-65x63": noise(65, 63, seed=4),
        "noise-5x5": noise(5, 5, seed=6),  # the smallest hashable size
        "noise-4x9": noise(4, 9, seed=7),  # too small: the zero hash, quality 0
        "flat-grey-120x90": Image.new("RGB", (120, 90), (128, 128, 128)),  # no gradients: quality 0
        "translucent-256x192": translucent(256, 192),
        "grey-alpha-150x100": grey_alpha(150, 100),
        "big-noise-5mb": big_noise_png(FIVE_MB),
    }
    jpeg: dict[str, tuple[Image.Image, dict[str, Any]]] = {
        "gradient-640x480": (gradient(640, 480), {"quality": 90}),
        "radial-300x300": (radial(300, 300), {"quality": 85}),
        "stripes-800x600": (stripes(800, 600), {"quality": 92, "subsampling": 0}),  # 4:4:4
        "rings-400x400": (rings(400, 400), {"quality": 75}),
        "shapes-512x384": (shapes(512, 384), {"quality": 90, "progressive": True}),
        "shapes-grey-250x410": (shapes(250, 410, "L"), {"quality": 90}),
        "checkerboard-256x256": (checkerboard(256, 256, 16), {"quality": 80}),
        "noise-333x222": (noise(333, 222, seed=1), {"quality": 95}),
        "gradient-wide-1024x256": (gradient(1024, 256), {"quality": 70}),
    }
    samples: list[Sample] = []

    def add(name: str, path: Path, kind: str, *, opaque: bool = True, **notes: Any) -> None:
        data = path.read_bytes()
        samples.append(
            Sample(
                name=name,
                path=path,
                kind=kind,
                sha256=hashlib.sha256(data).hexdigest(),
                md5=hashlib.md5(data).hexdigest(),
                pdq=pdq_reference(path) if kind != "other" else None,
                opaque=opaque,
                notes=notes,
            )
        )

    for name, image in png.items():
        path = folder / f"{name}.png"
        image.save(path)
        add(name, path, "png", opaque=image.mode not in ("RGBA", "LA"))
    path = folder / "shapes-no-extension"  # the browser gives no type: the decoder decides
    shapes(360, 270).save(path, "PNG")
    add(path.name, path, "png")
    path = folder / "gradient-gamma-1.0-300x200.png"
    _png_with_gamma(gradient(300, 200), path)
    add(path.stem, path, "png")
    # EXIF orientation 6 (rotate 90 clockwise to display) on a PNG (eXIf chunk) and on a JPEG.
    path = folder / "shapes-exif-rotated-300x200.png"
    _with_orientation(shapes(300, 200), path, 6)
    add(path.stem, path, "png", unrotated=pdq_ignoring_orientation(path))
    for name, (image, options) in jpeg.items():
        path = folder / f"{name}.jpg"
        image.save(path, "JPEG", **options)
        add(name, path, "jpeg")
    path = folder / "shapes-exif-rotated-480x320.jpg"
    _with_orientation(shapes(480, 320), path, 6, quality=90)
    add(path.stem, path, "jpeg", unrotated=pdq_ignoring_orientation(path))
    # About 5 MB of JPEG, for the timing figures.
    path = folder / "big-noise-jpeg.jpg"
    noise(2100, 2100, seed=8).save(path, "JPEG", quality=95)
    add(path.stem, path, "jpeg")

    # Files that are not (decodable) images: hashed by bytes only.
    rng = np.random.default_rng(9)
    others = {
        "clip.mp4": rng.integers(0, 256, 300_000, dtype=np.uint8).tobytes(),
        "empty.bin": b"",
        "broken.png": b"\x89PNG\r\n\x1a\n" + rng.integers(0, 256, 2000, dtype=np.uint8).tobytes(),
        "odd-size.bin": rng.integers(0, 256, 4 * 1024 * 1024 + 7, dtype=np.uint8).tobytes(),  # > one MD5 chunk
    }
    for filename, data in others.items():
        path = folder / filename
        path.write_bytes(data)
        add(filename, path, "other")
    return samples


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    return make_samples(tmp_path_factory.mktemp("own-images"))


# --- the test page --------------------------------------------------------------------------
TEST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Hashing on the device</title>
<script type="module" src="/test-page.js"></script></head>
<body><label for="files">Files</label> <input type="file" id="files" multiple>
<output id="status">loading</output></body></html>
"""

TEST_SCRIPT = """import { hashFiles, missingFeatures } from "/own-images/hashing.js";
import { pdqCoefficientsFromLuma, lumaFromPixels, pdqFromPixels, hammingDistance } from "/own-images/pdq.js";

window.pdqTest = {
  pdqCoefficientsFromLuma, lumaFromPixels, pdqFromPixels, hammingDistance, missingFeatures, hashFiles,
};
const input = document.getElementById("files");
input.addEventListener("change", async () => {
  const progress = [];
  const names = Array.from(input.files, (file) => file.name);
  const results = await hashFiles(input.files, {
    onProgress: (event) => progress.push(event),
    pixelReader: input.dataset.pixelReader || "auto",
  });
  window.hashRun = { names, results, progress };
  document.getElementById("status").textContent = "done";
});
document.getElementById("status").textContent = "ready";
"""


def site_csp() -> str:
    """The Content-Security-Policy the site sends, so the modules are proven to run under it."""
    from django.conf import settings

    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items() if values)


@dataclass
class LoopbackSite:
    url: str
    requests: list[dict[str, Any]]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LoopbackSite]:
    """The test page and the real own-images modules over HTTP on 127.0.0.1; it logs every request."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(TEST_PAGE)
    (root / "test-page.js").write_text(TEST_SCRIPT)
    csp = site_csp()
    received: list[dict[str, Any]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            clean = path.split("?", 1)[0]
            if clean.startswith("/own-images/"):
                return str(OWN_IMAGES / clean.removeprefix("/own-images/"))
            return super().translate_path(path)

        def _log(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            received.append({"method": self.command, "path": self.path, "body": len(body)})

        def do_GET(self) -> None:
            self._log()
            super().do_GET()

        def do_POST(self) -> None:
            self._log()
            self.send_error(405)

        do_PUT = do_POST

        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy", csp)
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Handler(*a, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LoopbackSite(url=f"http://127.0.0.1:{server.server_address[1]}", requests=received)
    finally:
        server.shutdown()
        server.server_close()


def open_test_page(page: Any, site: LoopbackSite) -> list[dict[str, Any]]:
    """Open the page and start recording every request the browser makes from it (and CSP violations)."""
    seen: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda request: seen.append(
            {"url": request.url, "method": request.method, "body": request.post_data_buffer, "at": time.monotonic()}
        ),
    )
    page.on(
        "console",
        lambda message: seen.append({"console": message.text}) if "Content Security" in message.text else None,
    )
    page.goto(f"{site.url}/")
    page.wait_for_function("() => document.getElementById('status').textContent === 'ready'")
    return seen


def pick_and_hash(page: Any, paths: list[Path], *, pixel_reader: str = "auto") -> dict[str, Any]:
    page.evaluate(
        "(reader) => { window.hashRun = null; document.getElementById('files').dataset.pixelReader = reader; }",
        pixel_reader,
    )
    page.set_input_files("#files", [str(p) for p in paths])
    page.wait_for_function("() => window.hashRun !== null", timeout=120_000)
    return page.evaluate("window.hashRun")


# --- tests ------------------------------------------------------------------------------------
@pytest.mark.browser
def test_browser_hashes_agree_with_pdqhash_and_hashlib(page: Any, site: LoopbackSite, samples: list[Sample]) -> None:
    seen = open_test_page(page, site)
    assert page.evaluate("window.pdqTest.missingFeatures()") == []
    loaded = len(seen)
    run = pick_and_hash(page, [s.path for s in samples])
    assert run["names"] == [s.path.name for s in samples]
    by_name = {s.path.name: (s, r) for s, r in zip(samples, run["results"], strict=True)}

    # Bytes: SHA-256 and MD5 of every file, images or not.
    for sample, result in by_name.values():
        assert result["error"] is None, sample.name
        assert (result["sha256"], result["md5"]) == (sample.sha256, sample.md5), sample.name
        assert result["size"] == sample.path.stat().st_size

    # PNG: the same PDQ hash and quality as pdqhash, bit for bit, through the exact (WebGL) path.
    pngs = [(s, r) for s, r in by_name.values() if s.kind == "png"]
    for sample, result in pngs:
        assert result["pixelSource"] == "webgl", sample.name
        assert result["pdq"] is not None, sample.name
        assert (result["pdq"]["hash"], result["pdq"]["quality"]) == sample.pdq, sample.name
    assert by_name["shapes-no-extension"][1]["type"] == ""
    assert by_name["noise-4x9.png"][1]["pdq"] == {"hash": "0" * 64, "quality": 0}
    assert by_name["flat-grey-120x90.png"][1]["pdq"]["quality"] == 0
    assert by_name["noise-333x222.png"][1]["pdq"]["quality"] == 100
    rotated_png, rotated_png_result = by_name["shapes-exif-rotated-300x200.png"]
    assert (rotated_png_result["width"], rotated_png_result["height"]) == (200, 300)  # displayed upright
    assert hamming(rotated_png_result["pdq"]["hash"], rotated_png.notes["unrotated"][0]) > 64

    # JPEG: decoders round differently, so the distance is bounded and reported.
    jpegs = [(s, r) for s, r in by_name.values() if s.kind == "jpeg"]
    distances = {}
    for sample, result in jpegs:
        assert sample.pdq is not None and result["pdq"] is not None, sample.name
        distances[sample.name] = (
            hamming(result["pdq"]["hash"], sample.pdq[0]),
            result["pdq"]["quality"] - sample.pdq[1],
        )
        assert distances[sample.name][0] <= JPEG_DISTANCE_BOUND, (sample.name, distances[sample.name])
    rotated_jpeg, rotated_jpeg_result = by_name["shapes-exif-rotated-480x320.jpg"]
    assert (rotated_jpeg_result["width"], rotated_jpeg_result["height"]) == (320, 480)
    assert hamming(rotated_jpeg_result["pdq"]["hash"], rotated_jpeg.notes["unrotated"][0]) > 64

    # Not images: bytes hashed, no PDQ.
    assert by_name["clip.mp4"][1]["pdq"] is None and by_name["clip.mp4"][1]["pdqSkipped"] == "not-an-image"
    assert by_name["broken.png"][1]["pdq"] is None and by_name["broken.png"][1]["pdqSkipped"] == "not-decodable"
    assert by_name["empty.bin"][1]["md5"] == "d41d8cd98f00b204e9800998ecf8427e"

    # Progress: every file reaches "done", in order, and the fraction only grows to 1.
    done = [event["index"] for event in run["progress"] if event["stage"] == "done"]
    assert done == list(range(len(samples)))
    fractions = [event["fraction"] for event in run["progress"]]
    assert fractions == sorted(fractions) and fractions[-1] == 1

    # Nothing left the page: no request since the scripts loaded, none with a body, all to our origin
    # for the page and its modules; the server saw the same, and nothing was stored.
    assert seen[loaded:] == [], seen[loaded:]
    requests = [r for r in seen if "url" in r]
    assert all(r["method"] == "GET" and not r["body"] for r in requests), requests
    paths = {r["url"].removeprefix(site.url) for r in requests}
    assert paths == {"/", "/test-page.js", "/own-images/hashing.js", "/own-images/pdq.js", "/own-images/md5.js"}
    assert not any("console" in r for r in seen), seen  # no CSP violation
    assert {r["path"] for r in site.requests} == paths and all(r["body"] == 0 for r in site.requests)
    stored = page.evaluate(
        """async () => ({
        local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
        databases: (await indexedDB.databases()).length, caches: (await caches.keys()).length })"""
    )
    assert stored == {"local": 0, "session": 0, "cookie": "", "databases": 0, "caches": 0}

    # Figures for the report.
    png_count = len(pngs)
    print(f"\nPDQ agreement with pdqhash: {png_count}/{png_count} PNG identical (hash and quality)")
    print(f"JPEG ({len(jpegs)} images), Hamming distance / quality difference from pdqhash+Pillow:")
    for name, (distance, quality) in distances.items():
        print(f"  {name:36} {distance:3d} bits  quality {quality:+d}")


@pytest.mark.browser
def test_canvas_fallback_is_exact_for_opaque_images(page: Any, site: LoopbackSite, samples: list[Sample]) -> None:
    """Without WebGL (or for images over its texture size) pixels come from a 2-D canvas: exact for opaque
    images; a translucent image gets no PDQ there, since a canvas loses the colour under transparency."""
    open_test_page(page, site)
    images = [s for s in samples if s.kind in ("png", "jpeg") and not s.name.startswith("big-")]
    run = pick_and_hash(page, [s.path for s in images], pixel_reader="canvas")
    for sample, result in zip(images, run["results"], strict=True):
        assert result["pixelSource"] == "canvas"
        assert sample.pdq is not None
        assert (result["sha256"], result["md5"]) == (sample.sha256, sample.md5)
        if not sample.opaque:
            assert result["pdq"] is None and result["pdqSkipped"] == "needs-webgl", sample.name
        elif sample.kind == "png":
            assert (result["pdq"]["hash"], result["pdq"]["quality"]) == sample.pdq, sample.name
        else:
            assert hamming(result["pdq"]["hash"], sample.pdq[0]) <= JPEG_DISTANCE_BOUND, sample.name
    assert sum(not s.opaque for s in images) == 2


@pytest.mark.browser
def test_pdq_coefficients_equal_pdqhash_floats(page: Any, site: LoopbackSite) -> None:
    """Below the decoder: the port's 256 DCT coefficients are pdqhash's float32 values, bit for bit,
    on raw pixel arrays of many sizes (each blur window size, the 64 x 64 shortcut, odd aspect ratios)."""
    open_test_page(page, site)
    rng = np.random.default_rng(11)
    sizes = [(64, 64), (5, 5), (6, 300), (300, 6), (127, 129), (128, 128), (129, 127), (200, 1000), (1500, 1100)]
    for height, width in sizes:
        for pixels in (rng.integers(0, 256, (height, width, 3), dtype=np.uint8), np.array(stripes(width, height))):
            expected_floats, expected_quality = pdqhash.compute_float(pixels)
            expected_hash = pdq_of_array(pixels)
            got = page.evaluate(
                """([b64, width, height]) => {
                  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                  const t = window.pdqTest;
                  const luma = t.lumaFromPixels(bytes, width, height, 3);
                  const { coefficients, quality } = t.pdqCoefficientsFromLuma(luma, width, height);
                  return { floats: Array.from(coefficients), quality, ...t.pdqFromPixels(bytes, width, height, 3) };
                }""",
                [base64.b64encode(pixels.tobytes()).decode(), width, height],
            )
            # pdqhash returns the 16 x 16 buffer flattened and reversed.
            assert np.array_equal(np.array(got["floats"], dtype=np.float32), expected_floats[::-1].astype(np.float32))
            assert got["quality"] == expected_quality
            assert (got["hash"], got["quality"]) == expected_hash
    assert page.evaluate("window.pdqTest.hammingDistance('f'.repeat(64), '0'.repeat(63) + '7')") == 253


@pytest.mark.browser
def test_time_to_hash_a_5_mb_image(page: Any, site: LoopbackSite, samples: list[Sample], tmp_path: Path) -> None:
    """Figures, not a benchmark gate: each ~5 MB image hashed three times in a fresh page (the first
    time includes compiling the code); the median of each stage is printed."""
    open_test_page(page, site)
    big = [s for s in samples if s.name.startswith("big-")]
    copies = []
    for round_ in range(3):
        for sample in big:
            copy = tmp_path / f"{round_}-{sample.path.name}"
            copy.write_bytes(sample.path.read_bytes())
            copies.append((sample, copy))
    run = pick_and_hash(page, [copy for _, copy in copies])
    print()
    for sample in big:
        results = [r for (s, _), r in zip(copies, run["results"], strict=True) if s is sample]
        assert all(r["sha256"] == sample.sha256 and r["pdq"]["hash"] == sample.pdq[0] for r in results)
        stages = {
            stage: sorted(r["timings"][stage] for r in results) for stage in ("read", "sha256", "md5", "decode", "pdq")
        }
        total = sorted(sum(r["timings"].values()) for r in results)
        width, height = results[0]["width"], results[0]["height"]
        print(
            f"{sample.path.name} ({sample.path.stat().st_size / 1e6:.1f} MB, {width}x{height}), median of 3 "
            f"(first run): read {stages['read'][1]:.0f} ms, SHA-256 {stages['sha256'][1]:.0f} ms, "
            f"MD5 {stages['md5'][1]:.0f} ms, decode {stages['decode'][1]:.0f} ms, PDQ {stages['pdq'][1]:.0f} ms; "
            f"total {total[1]:.0f} ms ({sum(results[0]['timings'].values()):.0f} ms)"
        )


@pytest.mark.browser
def test_a_file_that_cannot_be_read_does_not_stop_the_others(page: Any, site: LoopbackSite) -> None:
    """A file can vanish or become unreadable after it was picked: it is marked, and the rest are hashed."""
    open_test_page(page, site)
    results = page.evaluate(
        """async () => {
          const gone = { size: 3, type: "image/png", arrayBuffer: () => Promise.reject(new DOMException("gone")) };
          return window.pdqTest.hashFiles([gone, new Blob(["abc"], { type: "text/plain" })]);
        }"""
    )
    assert [r["error"] for r in results] == ["unreadable", None]
    assert results[0]["sha256"] is None and results[0]["md5"] is None and results[0]["pdq"] is None
    assert (
        results[1]["sha256"] == hashlib.sha256(b"abc").hexdigest()
        and results[1]["md5"] == hashlib.md5(b"abc").hexdigest()
    )
    assert results[1]["pdqSkipped"] == "not-an-image"


def test_vendored_md5_is_the_published_file() -> None:
    """md5.js is spark-md5 as published; its notes give the version and the checksum to compare."""
    notes = (OWN_IMAGES / "md5.VENDORED.txt").read_text()
    recorded = re.search(r"sha256 of md5\.js: ([0-9a-f]{64})", notes)
    assert recorded and "spark-md5 3.0.2" in notes
    assert hashlib.sha256((OWN_IMAGES / "md5.js").read_bytes()).hexdigest() == recorded.group(1)
    assert (OWN_IMAGES / "md5.LICENSE").read_text().strip()


def test_hashing_modules_have_no_network_or_storage_code() -> None:
    """A second line behind the recorded requests: no API that sends or stores appears in the modules."""
    forbidden = re.compile(
        r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon|localStorage|sessionStorage|indexedDB|"
        r"caches|cookie|serviceWorker|postMessage|RTCPeerConnection)\b|\bimport\s*\("
    )
    for name in ("hashing.js", "pdq.js", "md5.js"):
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", (OWN_IMAGES / name).read_text(), flags=re.S)
        assert not forbidden.findall(code), (name, forbidden.findall(code))


def test_generated_images_are_what_the_tests_claim(samples: list[Sample]) -> None:
    """The test data itself: the big files are about 5 MB and the translucent ones really have alpha."""
    sizes = {s.name: s.path.stat().st_size for s in samples}
    assert FIVE_MB <= sizes["big-noise-5mb"] < 1.2 * FIVE_MB
    assert 0.8 * FIVE_MB <= sizes["big-noise-jpeg"] < 1.3 * FIVE_MB
    with Image.open(next(s.path for s in samples if s.name == "translucent-256x192")) as image:
        alpha = np.array(image)[:, :, 3]
    assert alpha.min() == 0 and alpha.max() == 255 and len(np.unique(alpha)) > 200
    assert len({s.pdq for s in samples if s.pdq and s.pdq[1] > 0}) > 20  # distinct images, not one repeated
