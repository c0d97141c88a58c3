"""URLs of the intel app (paths carry their own prefix: /intel/…; docs/intel.md)."""

from django.urls import path  # noqa: F401

app_name = "intel"
urlpatterns: list = []
