"""Container health check: exit 0 when the web server on this machine answers /healthz with 200.

It asks as the reverse proxy would (the first host of HOTLINE_ALLOWED_HOSTS, X-Forwarded-Proto:
https), so production's host check and HTTPS redirect answer as they do for real requests.
Standard library only: the image has no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = int(os.environ.get("PORT") or "8000")
    hosts = [h.strip().lstrip(".") for h in os.environ.get("HOTLINE_ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = next((h for h in hosts if h != "*"), "localhost")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            status = response.status
    except (urllib.error.URLError, OSError) as exc:  # HTTPError (4xx, 5xx) included
        print(f"unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if status != 200:  # e.g. a redirect followed elsewhere
        print(f"unhealthy: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
