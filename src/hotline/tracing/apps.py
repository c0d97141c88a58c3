"""Hosting localisation: DNS, IP to country/ASN, RDAP abuse contacts, CDN flags, re-checks."""

from __future__ import annotations

import os
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hotline.core.registry import Output


class TracingConfig(AppConfig):
    name = "hotline.tracing"
    label = "tracing"
    verbose_name = "Tracing"

    def ready(self) -> None:
        from hotline.cases import hooks
        from hotline.core import conf as core_conf
        from hotline.core import registry
        from hotline.tracing import conf

        # A malformed value of any tracing setting (HOTLINE_DNS_SERVERS, timeouts, ...) is tracing.E001.
        core_conf.register_accessors("tracing.E001", conf.ACCESSORS)
        checks.register(check_tracing_settings)
        registry.register_demo_step(name="tracing", order=40, load=_load_demo)
        hooks.hosts_found.connect(_trace_found_hosts, dispatch_uid="tracing.trace_found_hosts")
        hooks.case_page_panels.connect(_hosting_panel, dispatch_uid="tracing.hosting_panel")


def _trace_found_hosts(sender: Any, hosts: list[str], **kwargs: Any) -> None:
    from hotline.tracing import services

    services.trace_found_hosts(hosts=hosts)


def _hosting_panel(sender: Any, case: Any, **kwargs: Any) -> Any:
    """The host's hosting history on the case page, right after its URL."""
    from hotline.cases.hooks import CasePanel
    from hotline.tracing.selectors import hosting_history

    if not case.host:
        return None
    return CasePanel(
        key="hosting",
        title=_("Hosting"),
        template="tracing/_hosting_history.html",
        context={"hosting_history": hosting_history(host=case.host)},
        order=150,
    )


def _load_demo(stdout: Output) -> None:
    from hotline.tracing import demo

    demo.load(stdout)


def check_tracing_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Misconfigured tracing shows at start-up, not as a failed trace days later. Values that do not
    parse are reported by the settings check (tracing.E001); this one looks at the files they name."""
    from hotline.tracing import conf
    from hotline.tracing.cdn import load_catalogue

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
