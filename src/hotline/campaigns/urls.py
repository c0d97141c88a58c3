"""URLs of the campaigns app: public /petitions/ and /newsletter/, campaigners' /campaigns/."""

from django.urls import path

from hotline.campaigns import staff_views, views

app_name = "campaigns"
urlpatterns = [
    # public: petitions
    path("petitions/", views.petition_list, name="petition_list"),
    path("petitions/confirm/<str:token>/", views.petition_confirm, name="petition_confirm"),
    path("petitions/<slug:slug>/", views.petition_detail, name="petition_detail"),
    path("petitions/<slug:slug>/thanks/", views.petition_thanks, name="petition_thanks"),
    path("petitions/<slug:slug>/confirmed/", views.petition_confirmed, name="petition_confirmed"),
    path("petitions/<slug:slug>/count.json", views.petition_count, name="petition_count"),
    # public: newsletter
    path("newsletter/", views.newsletter_subscribe, name="newsletter_subscribe"),
    path("newsletter/thanks/", views.newsletter_thanks, name="newsletter_thanks"),
    path("newsletter/confirm/<str:token>/", views.newsletter_confirm, name="newsletter_confirm"),
    path("newsletter/preferences/<str:token>/", views.newsletter_preferences, name="newsletter_preferences"),
    path("newsletter/unsubscribe/<str:token>/", views.newsletter_unsubscribe, name="newsletter_unsubscribe"),
    # staff (campaigners)
    path("campaigns/", staff_views.dashboard, name="dashboard"),
    path("campaigns/petitions/new/", staff_views.petition_create, name="petition_create"),
    path("campaigns/petitions/<int:petition_id>/", staff_views.petition_detail, name="staff_petition"),
    path("campaigns/petitions/<int:petition_id>/edit/", staff_views.petition_edit, name="petition_edit"),
    path("campaigns/petitions/<int:petition_id>/open/", staff_views.petition_open, name="petition_open"),
    path("campaigns/petitions/<int:petition_id>/close/", staff_views.petition_close, name="petition_close"),
    path("campaigns/petitions/<int:petition_id>/erase/", staff_views.petition_erase, name="petition_erase"),
    path("campaigns/petitions/<int:petition_id>/signatures/", staff_views.petition_signatures, name="signatures"),
    path("campaigns/petitions/<int:petition_id>/invalidate/", staff_views.petition_invalidate, name="invalidate"),
    path("campaigns/petitions/<int:petition_id>/exports/", staff_views.export_request, name="export_request"),
    path("campaigns/exports/<int:export_id>/", staff_views.export_detail, name="export_detail"),
    path("campaigns/exports/<int:export_id>/status.json", staff_views.export_status, name="export_status"),
    path("campaigns/exports/<int:export_id>/download/", staff_views.export_download, name="export_download"),
    path("campaigns/exports/<int:export_id>/delete/", staff_views.export_delete, name="export_delete"),
    path("campaigns/newsletter/", staff_views.newsletter, name="newsletter"),
    path("campaigns/newsletter/subscribers.csv", staff_views.subscribers_csv, name="subscribers_csv"),
    path("campaigns/newsletter/issues/new/", staff_views.issue_create, name="issue_create"),
    path("campaigns/newsletter/issues/<int:issue_id>/", staff_views.issue_detail, name="issue_detail"),
    path("campaigns/newsletter/issues/<int:issue_id>/edit/", staff_views.issue_edit, name="issue_edit"),
    path("campaigns/newsletter/issues/<int:issue_id>/send/", staff_views.issue_send, name="issue_send"),
    path("campaigns/newsletter/issues/<int:issue_id>/resume/", staff_views.issue_resume, name="issue_resume"),
]
