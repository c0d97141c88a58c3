"""Root URLs. Each app declares its own paths (and prefixes) in its urls.py."""

from django.urls import include, path

# Intake first: its public pages and the partner API are the hottest paths, and each app's paths are
# distinct (tests/test_access.py walks them all), so the order only decides how soon a path is found.
urlpatterns = [
    path("", include("hotline.intake.urls")),
    path("", include("hotline.core.urls")),
    path("", include("hotline.staff.urls")),
    path("", include("hotline.cases.urls")),
    path("", include("hotline.referrals.urls")),
    path("", include("hotline.campaigns.urls")),
    path("", include("hotline.intel.urls")),
    path("", include("hotline.network.urls")),
    path("", include("hotline.insights.urls")),
]

handler400 = "hotline.core.views.bad_request"
handler403 = "hotline.core.views.permission_denied"
handler404 = "hotline.core.views.page_not_found"
handler500 = "hotline.core.views.server_error"
