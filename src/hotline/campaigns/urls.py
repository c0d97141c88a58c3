"""URLs of the campaigns app (paths carry their own prefix; see DESIGN.md 'public pages' and 'staff pages')."""

from django.urls import path  # noqa: F401

app_name = "campaigns"
urlpatterns: list = []
