"""Intelligence: hash lists with exact and PDQ near-match, known-URL lists, payment indicators (docs/intel.md)."""

from __future__ import annotations

from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "hotline.intel"
    label = "intel"
    verbose_name = "Intelligence"

    def ready(self) -> None:
        # Each part of the app registers its hooks, staff links and demo steps from its own module.
        from hotline.intel import payments_setup

        payments_setup.ready()
        _ready_hash_lists()


def _ready_hash_lists() -> None:
    from django.utils.translation import gettext_lazy as _

    from hotline.cases import hooks
    from hotline.core import conf as core_conf
    from hotline.core import registry
    from hotline.core.authz import ANALYST, SUPERVISOR
    from hotline.intel import conf, panels
    from hotline.intel.services import matching

    core_conf.register_accessors("intel.E001", conf.ACCESSORS)
    hooks.reports_triaged.connect(matching.on_reports_triaged, dispatch_uid="intel.match_triaged_cases")
    hooks.case_page_panels.connect(panels.list_match_panel, dispatch_uid="intel.list_match_panel")
    hooks.timeline_labels.connect(panels.timeline_labels, dispatch_uid="intel.timeline_labels")
    registry.register_staff_links(
        registry.StaffLink("intel:lists", _("Hash and URL lists"), frozenset({ANALYST, SUPERVISOR}), order=55),
    )
