"""WSGI entry point (served by granian)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

import atexit

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()

from hotline.core.metrics import flush_at_exit  # noqa: E402  (needs the app registry set up above)

# A web worker that stops (restart, scale-down) stores the counts of its last seconds for /metrics.
atexit.register(flush_at_exit)
