"""URL canonicalisation micro-benchmark (issue 12): µs per URL of cases.canonical.canonicalize_url.

    make bench-canonical                                   # the code of this checkout
    .venv/bin/python bench/canonical.py --compare OLD.py   # and another version of the module, e.g.
        git show 14da342:src/hotline/cases/canonical.py > /tmp/canonical_before.py

Two URL mixes: the casework benchmark's (bench/casework.py: gallery URLs, a third respelled with
upper case, default ports, tracking parameters and fragments) and a harder one (international names,
IPv4 spellings, escapes, dot segments). CPU time of this process, median of 7 rounds (less noisy than
wall-clock time on a shared machine, not free of it).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

import django  # noqa: E402

django.setup()

from hotline.cases import canonical  # noqa: E402

ROUNDS = 7


def respell(url: str, rng: random.Random) -> str:
    """As bench/casework.py: the same URL as another reporter might paste it."""
    parts = urlsplit(url)
    host = parts.netloc.upper() if rng.random() < 0.3 else parts.netloc
    if rng.random() < 0.3:
        host += ":443" if parts.scheme == "https" else ":80"
    query = parts.query
    if rng.random() < 0.5:
        query = f"{query}&utm_source=share&utm_medium=app" if query else "utm_source=share"
    fragment = "top" if rng.random() < 0.3 else ""
    return urlunsplit((parts.scheme.upper() if rng.random() < 0.2 else parts.scheme, host, parts.path, query, fragment))


def casework_mix(n: int, rng: random.Random) -> list[str]:
    pool: list[str] = []
    out = []
    for k in range(n):
        if pool and rng.random() < 0.35:
            out.append(respell(rng.choice(pool), rng))
        else:
            url = f"https://site{k % 701}.bench-host{k % 37}.example/gallery/{k}/view?id={k}&page=1"
            pool.append(url)
            out.append(url)
    return out


HARD = [
    "http://BÜCHER.example/a/./b/../c?q=ä b&utm_source=x#top",
    "HTTP://user:pw@Example.TEST:80//a///b/%7euser/%c3%a4?x=1&&fbclid=y",
    "http://0xC0.0xA8.1.1/path",
    "http://[2001:0db8:0000:0000:0000:0000:0000:0001]:8080/",
    "example.test/no-scheme?id=7",
    "https://ｅｘａｍｐｌｅ.test/%2e%2E/x/{y}|<z>",
    "http://faß.example/straße?q=it's",
    "https://www.example.co.uk/shop/item?id=12&gclid=abc&ref=home",
]


def hard_mix(n: int) -> list[str]:
    return [HARD[i % len(HARD)] + ("" if i < len(HARD) else f"&n={i}") for i in range(n)]


def per_url_us(module: ModuleType, urls: list[str]) -> float:
    fn = module.canonicalize_url
    refused = module.UnacceptableUrl
    rounds = []
    for _ in range(ROUNDS):
        start = time.process_time()
        for url in urls:
            try:  # noqa: SIM105 - contextlib.suppress would add its own cost to each URL
                fn(url)
            except refused:
                pass
        rounds.append((time.process_time() - start) / len(urls) * 1e6)
    return statistics.median(rounds)


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("canonical_compared", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["canonical_compared"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--compare", help="path of another version of cases/canonical.py")
    parser.add_argument("--urls", type=int, default=20_000)
    args = parser.parse_args()
    mixes = {"casework mix": casework_mix(args.urls, random.Random(12)), "hard mix": hard_mix(args.urls)}
    modules = {"this checkout": canonical}
    if args.compare:
        modules["compared"] = load(args.compare)
    print(f"{'':16}" + "".join(f"{name:>18}" for name in mixes))
    for label, module in modules.items():
        print(f"{label:16}" + "".join(f"{per_url_us(module, urls):15.2f} µs" for urls in mixes.values()))


if __name__ == "__main__":
    main()
