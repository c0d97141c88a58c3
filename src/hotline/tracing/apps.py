"""Hosting localisation: DNS, IP to country/ASN, RDAP abuse contacts, CDN flags, re-checks."""

from __future__ import annotations

import os
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


class TracingConfig(AppConfig):
    name = "hotline.tracing"
    label = "tracing"
    verbose_name = "Tracing"

    def ready(self) -> None:
        from hotline.core import conf as core_conf
        from hotline.tracing import conf

        # A malformed value of any tracing setting (HOTLINE_DNS_SERVERS, timeouts, ...) is tracing.E001.
        core_conf.register_accessors("tracing.E001", conf.ACCESSORS)
        checks.register(check_tracing_settings)


def check_tracing_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Misconfigured tracing shows at start-up, not as a failed trace days later. Values that do not
    parse are reported by the settings check (tracing.E001); this one looks at the files they name."""
    from hotline.tracing import conf
    from hotline.tracing.rules import load_catalogue

    problems: list[checks.CheckMessage] = []
    try:
        geoip_paths = conf.geoip_paths()
    except ImproperlyConfigured:
        geoip_paths = ()
    for path in geoip_paths:
        if not os.path.isfile(path):
            problems.append(
                checks.Warning(
                    "HOTLINE_GEOIP_MMDB names a file that does not exist; traces use iptocc only.", id="tracing.W001"
                )
            )
    try:
        load_catalogue(conf.cdn_data_path())
    except ImproperlyConfigured:
        pass
    except (OSError, ValueError, KeyError, TypeError):
        problems.append(checks.Error("HOTLINE_CDN_DATA is not a readable CDN list (JSON).", id="tracing.E002"))
    return problems
