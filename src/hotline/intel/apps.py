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
    from hotline.staff import audit_words

    core_conf.register_accessors("intel.E001", conf.ACCESSORS)
    audit_words.register(
        sentences={
            "intel.hash_list.created": _("Created a hash list"),
            "intel.hash_list.enabled": _("Switched a hash list on"),
            "intel.hash_list.disabled": _("Switched a hash list off"),
            "intel.hash_list.imported": _("Imported a file into a hash list"),
            "intel.hash_list.import_refused": _("Refused a hash list file with bad rows (nothing imported)"),
            "intel.hash_list.self_reported": _("Added a tipster's own hashes to the self-reported list"),
            "intel.url_list.created": _("Created a known-URL list"),
            "intel.url_list.enabled": _("Switched a known-URL list on or off"),
            "intel.url_list.imported": _("Imported a file into a known-URL list"),
            "intel.url_list.import_refused": _("Refused a known-URL list file with bad rows (nothing imported)"),
            "intel.url_list_version.published": _("Published a new version of the live-URL list for providers"),
            "intel.url_list_version.read": _("A provider read the live-URL list"),
            "intel.import_queued": _("Uploaded a list file for import"),
            "intel.lists_matched": _("Matched new cases against the hash and URL lists"),
            "intel.match_confirmed": _("Confirmed a list match without opening the material"),
            "intel.pdq_index.built": _("Rebuilt the near-match index of PDQ hashes"),
        },
        parts={"intel": _("Hash and URL lists")},
        objects={
            "hash_list": _("hash list"),
            "url_list": _("known-URL list"),
            "list_import": _("list import"),
            "url_list_version": _("version of the live-URL list"),
        },
    )
    hooks.reports_triaged.connect(matching.on_reports_triaged, dispatch_uid="intel.match_triaged_cases")
    hooks.case_page_panels.connect(panels.list_match_panel, dispatch_uid="intel.list_match_panel")
    hooks.timeline_labels.connect(panels.timeline_labels, dispatch_uid="intel.timeline_labels")
    registry.register_demo_step(name="intel.lists", order=55, load=_load_demo)
    registry.register_staff_links(
        registry.StaffLink("intel:lists", _("Hash and URL lists"), frozenset({ANALYST, SUPERVISOR}), order=55),
    )


def _load_demo(stdout: object) -> None:
    from hotline.intel import demo

    demo.load(stdout)
