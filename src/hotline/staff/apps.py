"""Staff users, roles, two-factor login and the audit log."""

from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "hotline.staff"
    label = "staff"
    verbose_name = "Staff"
