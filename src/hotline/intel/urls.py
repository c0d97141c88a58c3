"""URLs of the intel app (paths carry their own prefix: /intel/…; docs/intel.md)."""

from django.urls import path

from hotline.intel import feed_views, payments_urls, views

app_name = "intel"
urlpatterns: list = [
    path("intel/", views.lists_page, name="lists"),
    path("intel/hash-lists/new/", views.hash_list_create, name="hash_list_create"),
    path("intel/hash-lists/<int:list_id>/", views.hash_list_detail, name="hash_list"),
    path("intel/hash-lists/<int:list_id>/upload/", views.hash_list_upload, name="hash_list_upload"),
    path("intel/hash-lists/<int:list_id>/enabled/", views.hash_list_enabled, name="hash_list_enabled"),
    path("intel/hash-lists/<int:list_id>/export.csv", views.hash_list_export_csv, name="hash_list_csv"),
    path("intel/hash-lists/<int:list_id>/export.json", views.hash_list_export_json, name="hash_list_json"),
    path("intel/url-lists/new/", views.url_list_create, name="url_list_create"),
    path("intel/url-lists/<int:list_id>/", views.url_list_detail, name="url_list"),
    path("intel/url-lists/<int:list_id>/upload/", views.url_list_upload, name="url_list_upload"),
    path("intel/url-lists/<int:list_id>/enabled/", views.url_list_enabled, name="url_list_enabled"),
    path("intel/imports/<int:import_id>/", views.import_detail, name="import"),
    path("intel/matches/", views.matches_page, name="matches"),
    path("intel/matches/<int:match_id>/confirm/", views.confirm_match, name="confirm_match"),
    path("intel/feed/v1/live-urls.json", feed_views.url_list_json, name="feed_json"),
    path("intel/feed/v1/live-urls.csv", feed_views.url_list_csv, name="feed_csv"),
    *payments_urls.urlpatterns,  # payment indicators and the coalition export (docs/coalition.md)
]
