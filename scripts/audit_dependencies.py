"""`make security`: pip-audit over the pinned packages (requirements/lock.txt), failing on any known
vulnerability.

pip-audit asks a vulnerability feed about each pin: PyPI's JSON API by default, or an OSV server.
When neither answers here (no network, or a proxy that lets only package downloads through) the
audit cannot tell anything, and pip-audit would report every pin as "skipped" and still succeed.
So a probe asks about one pin first: if no feed answers, this prints ONE line saying so and which
feed failed how, and exits 0 (a documented skip, not a pass); otherwise pip-audit runs with
--strict, so a pin it cannot audit also fails the check.

Usage: scripts/audit_dependencies.py [--lock FILE] [--osv-url URL] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPI_URL = "https://pypi.org/pypi/{name}/{version}/json"
OSV_URL = "https://api.osv.dev/v1/query"
TIMEOUT = 15


def pins(lock: Path) -> list[tuple[str, str]]:
    found = []
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line.strip())
        if match:
            found.append((match.group(1), match.group(2)))
    return found


def probe(request: urllib.request.Request) -> str | None:
    """None when the feed answered about the pin; else what went wrong, in a few words."""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            json.load(response)
        return None
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{type(reason).__name__}: {reason}"[:120]


def reachable_feed(name: str, version: str, osv_url: str | None) -> tuple[list[str] | None, list[str]]:
    """The pip-audit options of the first feed that answers about `name==version`, and what failed."""
    failures = []
    feeds: list[tuple[str, urllib.request.Request, list[str]]] = []
    if osv_url is None:
        feeds.append(("PyPI", urllib.request.Request(PYPI_URL.format(name=name, version=version)), []))
    query = json.dumps({"package": {"name": name, "ecosystem": "PyPI"}, "version": version}).encode()
    url = osv_url or OSV_URL
    osv = urllib.request.Request(url, data=query, headers={"Content-Type": "application/json"})
    feeds.append(("OSV", osv, ["--vulnerability-service", "osv", "--osv-url", url]))
    for label, request, options in feeds:
        failure = probe(request)
        if failure is None:
            return options, failures
        failures.append(f"{label} {request.full_url}: {failure}")
    return None, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements" / "lock.txt")
    parser.add_argument("--osv-url", help="ask this OSV server only (default: PyPI, then api.osv.dev)")
    parser.add_argument("--cache-dir", type=Path, help="pip-audit's HTTP cache")
    args = parser.parse_args(argv)

    pinned = pins(args.lock)
    if not pinned:
        print(f"pip-audit: no pinned packages in {args.lock}", file=sys.stderr)
        return 1
    name, version = next(((n, v) for n, v in pinned if n.lower() == "django"), pinned[0])
    options, failures = reachable_feed(name, version, args.osv_url)
    if options is None:
        print(
            f"pip-audit skipped: no vulnerability feed can be reached from here ({'; '.join(failures)}); "
            f"run `make security` where one is.",
            file=sys.stderr,
        )
        return 0
    command = [
        sys.executable, "-m", "pip_audit",
        "--requirement", str(args.lock),
        "--no-deps", "--disable-pip",  # the lock file pins every package: nothing to resolve or install
        "--strict",  # a pin the feed cannot answer about fails the audit instead of being skipped
        "--progress-spinner", "off",
        *options,
    ]  # fmt: skip
    if args.cache_dir:
        command += ["--cache-dir", str(args.cache_dir)]
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
