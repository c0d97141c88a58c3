"""Reports, cases, assessments, the case state machine and the analyst queue."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "hotline.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from hotline.cases import conf
        from hotline.core import conf as core_conf

        core_conf.register_accessors("cases.E001", conf.ACCESSORS)
