"""Reports, cases, assessments, the case state machine and the analyst queue."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "hotline.cases"
    label = "cases"
    verbose_name = "Cases"
