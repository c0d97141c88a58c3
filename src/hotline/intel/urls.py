"""URLs of the intel app (paths carry their own prefix: /intel/…; docs/intel.md)."""

from django.urls import path  # noqa: F401

from hotline.intel import payments_urls

app_name = "intel"
urlpatterns: list = [
    *payments_urls.urlpatterns,  # payment indicators and the coalition export (docs/coalition.md)
]
