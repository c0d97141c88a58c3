"""Reports, cases, assessments, the case state machine and the analyst queue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from hotline.core.registry import Output


class CasesConfig(AppConfig):
    name = "hotline.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from hotline.cases import conf
        from hotline.core import conf as core_conf
        from hotline.core import registry
        from hotline.core.authz import CASE_ROLES, SUPERVISOR
        from hotline.staff import audit_words

        core_conf.register_accessors("cases.E001", conf.ACCESSORS)
        audit_words.register(sentences={"case.police_now": _("Contacted the police at once about a child at risk")})
        _register_retention()
        registry.register_demo_step(name="cases", order=30, load=_load_demo)
        registry.register_privacy_facts(name="cases", facts=_privacy_facts)
        registry.register_metrics(name="cases", collect=_metrics)
        registry.register_staff_links(
            registry.StaffLink("cases:queue", _("Case queue"), CASE_ROLES, order=10),
            registry.StaffLink("cases:supervision", _("Supervision"), frozenset({SUPERVISOR}), order=40),
        )


def _register_retention() -> None:
    from hotline.cases.services import case_retention, retention
    from hotline.core.retention import register_policy

    for policy in (
        case_retention.CASES_NOT_ILLEGAL,
        case_retention.CASES_ILLEGAL_REMOVED,
        case_retention.CASES_ILLEGAL_NOT_REMOVED,
        retention.REPORT_TEXTS,
        retention.REPORTER_CONTACT,
        retention.REPORTED_URLS,
        retention.CASE_NOTES,
    ):
        register_policy(policy)


def _load_demo(stdout: Output) -> None:
    from hotline.cases import demo

    demo.load(stdout)


def _metrics() -> Any:
    from hotline.cases import metrics

    return metrics.collect()


def _privacy_facts() -> Mapping[str, Any]:
    from hotline.cases import conf

    return {"report_text_days": conf.report_text_retention_days()}
