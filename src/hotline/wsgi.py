"""WSGI entry point (served by granian)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

import atexit
from multiprocessing import util as multiprocessing_util

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()

from hotline.core.metrics import flush_at_exit  # noqa: E402  (needs the app registry set up above)

# A web worker that stops (restart, scale-down) stores the counts of its last seconds for /metrics. Granian's
# workers are multiprocessing children, which end without running atexit: their finalizers run instead.
atexit.register(flush_at_exit)
multiprocessing_util.Finalize(None, flush_at_exit, exitpriority=10)
