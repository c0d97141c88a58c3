"""URLs of the referrals app (paths carry their own prefix: /cases/<id>/referrals/, /referrals/; docs/referrals.md)."""

from django.urls import path

from hotline.referrals import views

app_name = "referrals"
urlpatterns = [
    path("cases/<int:case_id>/referrals/", views.plan_page, name="case_plan"),
    path("cases/<int:case_id>/referrals/removed/", views.case_removed, name="case_removed"),
    path("referrals/", views.referral_list, name="list"),
    path("referrals/failed/", views.failed_list, name="failed"),
    path("referrals/police/", views.police_packages, name="police"),
    path("referrals/escalated/", views.escalated_list, name="escalated"),
    path("referrals/partners/", views.partners, name="partners"),
    path("referrals/partners/<int:partner_id>/", views.partner_edit, name="partner_edit"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="detail"),
    path("referrals/<int:referral_id>/delivered/", views.mark_delivered, name="delivered"),
    path("referrals/<int:referral_id>/acknowledged/", views.mark_acknowledged, name="acknowledged"),
    path("referrals/<int:referral_id>/reply/", views.record_reply, name="reply"),
    path("referrals/<int:referral_id>/release/", views.release, name="release"),
    path("referrals/<int:referral_id>/retry/", views.retry, name="retry"),
    path("referrals/<int:referral_id>/not-removed/", views.not_removed, name="not_removed"),
    path("referrals/<int:referral_id>/package/", views.download_package, name="package"),
]
