"""URLs of the intake app: the public report pages, the staff report form and the partner API (docs/api.md);
each path carries its own prefix."""

from django.urls import URLPattern, path, re_path

from hotline.core.authz import PARTNER_KEY, PUBLIC, declare, declare_patterns
from hotline.intake import views
from hotline.intake.api import api, path_not_found, with_problem_answers

app_name = "intake"

_api_patterns, _api_app, _api_namespace = api.urls
for _pattern in _api_patterns:
    if isinstance(_pattern, URLPattern) and _pattern.name != "openapi-json":
        _pattern.callback = with_problem_answers(_pattern.callback)
declare_patterns(_api_patterns, PARTNER_KEY)
for _pattern in _api_patterns:
    if isinstance(_pattern, URLPattern) and _pattern.name == "openapi-json":
        declare(_pattern.callback, PUBLIC)  # the contract itself is public

urlpatterns = [
    path("report/", views.report, name="report"),
    path("report/status/", views.report_status, name="status"),
    path("report/thanks/<str:token>/", views.report_thanks, name="thanks"),
    path("report/own-images/", views.own_images, name="own_images"),
    path("report/bookmark/", views.bookmark, name="bookmark"),
    path("report/staff/new/", views.staff_new_report, name="staff_new_report"),
    path("report/staff/reply/<int:report_id>/", views.staff_reply, name="staff_reply"),
    path("share/", views.share_target, name="share"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("api/docs", views.api_docs, name="api_docs"),
    path("api/", (_api_patterns, _api_app, _api_namespace)),
    re_path(r"^api/(?P<rest>.*)$", declare(path_not_found, PUBLIC), name="api_not_found"),
]
