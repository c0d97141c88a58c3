"""Idle session timeout for staff: a session unused for HOTLINE_IDLE_TIMEOUT is ended (and audited).

The time of last use is written to the session at most once a minute (TOUCH_INTERVAL), not on every
request: a page with several charts loads them in parallel, and a session saved by each of those
requests made them race for the same row (on SQLite a locked write surfaced as Django's
SessionInterrupted, a 400 for one image at random). The timeout is therefore exact to within a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_SEEN_KEY = "hotline_last_seen"
TIMED_OUT_KEY = "hotline_timed_out"  # read once by the sign-in page to explain why
TOUCH_INTERVAL_SECONDS = 60.0


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - float(last_seen) > settings.HOTLINE_IDLE_TIMEOUT.total_seconds():
                from hotline.staff.services import record_sign_out

                record_sign_out(user=request.user, reason="idle_timeout")  # type: ignore[arg-type]
                logout(request)
                request.session[TIMED_OUT_KEY] = True
            elif last_seen is None or now - float(last_seen) >= TOUCH_INTERVAL_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
