"""What the payment-indicator part of the intel app registers at start-up (called from IntelConfig.ready()):
its settings, the production check of its key file, staff links, the case page panel and timeline labels."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.utils.translation import gettext_lazy as _

TIMELINE_ACTIONS = {
    "added": _("entered"),
    "seen_again": _("entered again"),
    "removed": _("taken off this case"),
}

# The audit log in words (staff.audit_words): every action this part writes.
AUDIT_SENTENCES = {
    "payment_indicator.added": _("Entered a payment indicator on a case"),
    "payment_indicator.seen_again": _("Entered a payment indicator again on a case"),
    "payment_indicator.removed_from_case": _("Took a payment indicator off a case"),
    "payment_indicator.reviewed": _("Reviewed a payment indicator for the coalition export"),
    "payment_indicator.retention_deleted": _("Deleted payment indicators whose retention period ran out"),
    "payment_indicator.demo_loaded": _("Loaded demo payment indicators"),
    "coalition_export.published": _("Published a coalition export"),
    "coalition_export.downloaded": _("Downloaded a coalition export file"),
    "coalition_export.retention_deleted": _("Deleted coalition exports whose retention period ran out"),
}
AUDIT_PARTS = {
    "payment_indicator": _("Payment indicators"),
    "payment_indicators": _("Payment indicators"),
    "coalition_export": _("Coalition exports"),
    "coalition_exports": _("Coalition exports"),
}
AUDIT_OBJECTS = {
    "payment_indicator": _("payment indicator"),
    "paymentindicator": _("payment indicator"),
    "coalition_export": _("coalition export"),
    "coalitionexport": _("coalition export"),
}


def ready() -> None:
    from hotline.cases import hooks
    from hotline.core import conf as core_conf
    from hotline.core import registry
    from hotline.core.authz import COALITION_LIAISON, SUPERVISOR
    from hotline.intel import payments_conf
    from hotline.staff import audit_words

    core_conf.register_accessors("intel.E101", payments_conf.ACCESSORS)
    audit_words.register(sentences=AUDIT_SENTENCES, parts=AUDIT_PARTS, objects=AUDIT_OBJECTS)
    _register_retention()
    registry.register_demo_step(name="intel.payments", order=60, load=_load_demo)
    checks.register(check_coalition_key)
    liaison = frozenset({COALITION_LIAISON, SUPERVISOR})
    registry.register_staff_links(
        registry.StaffLink("intel:payments", _("Payment indicators"), liaison, order=80),
        registry.StaffLink("intel:coalition_exports", _("Coalition exports"), liaison, order=81),
    )
    hooks.case_page_panels.connect(case_panel, dispatch_uid="intel.payment_indicators_panel")
    hooks.timeline_labels.connect(timeline_labels, dispatch_uid="intel.payment_indicators_timeline")


def _load_demo(stdout: Any) -> None:
    from hotline.intel import payments_demo

    payments_demo.load(stdout)


def _register_retention() -> None:
    from hotline.core.retention import register_policy
    from hotline.intel import payment_retention

    for policy in payment_retention.POLICIES:
        register_policy(policy)


def case_panel(sender: Any, case: Any, **kwargs: Any) -> Any:
    """The case's payment indicators, and the form to enter one (commercial cases), after the assessment."""
    from hotline.cases.hooks import CasePanel
    from hotline.cases.selectors import current_assessment
    from hotline.intel import payment_selectors
    from hotline.intel.payments_forms import CaseIndicatorForm

    assessment = current_assessment(case)
    return CasePanel(
        key="payments",
        title=_("Payment indicators"),
        template="intel/payments/_case_panel.html",
        context={
            "payment_indicators": payment_selectors.case_indicators(case=case),
            "payment_commercial": bool(assessment and assessment.commercial),
            "payment_form": CaseIndicatorForm(),
        },
        order=450,
    )


def timeline_labels(sender: Any, **kwargs: Any) -> Any:
    from hotline.cases.hooks import TimelineLabels
    from hotline.intel.payment_services import CASE_EVENT_KIND

    return TimelineLabels(kind=CASE_EVENT_KIND, label=_("Payment indicator:"), actions=TIMELINE_ACTIONS)


def check_coalition_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """In production a coalition key file that group or others may read stops start-up: whoever reads it can
    sign exports in the hotline's name. A missing file does not (an instance that shares no indicators needs
    none); publishing refuses then, and production never creates the key by itself: a key made on the fly
    there would be one nobody backed up, so an administrator runs `manage.py coalition_key` on purpose."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from hotline.intel import coalition_keys, payments_conf

    if not settings.PRODUCTION:
        return []
    try:
        path = payments_conf.coalition_key_file()
    except ImproperlyConfigured:
        return []  # the settings check reports the malformed setting itself
    if not path.exists() and not path.is_symlink():
        return []
    problem = coalition_keys.exposure(path)
    if problem is None:
        return []
    return [checks.Error(f"HOTLINE_COALITION_KEY_FILE: {problem}", id="intel.E102")]
