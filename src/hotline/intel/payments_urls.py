"""URLs of the payment indicators: on a case (/cases/<id>/payment-indicators/…) and the liaison's /intel/payments/."""

from django.urls import path

from hotline.intel import payments_views as views

urlpatterns = [
    path("cases/<int:case_id>/payment-indicators/", views.case_indicator_add, name="payment_add"),
    path(
        "cases/<int:case_id>/payment-indicators/<int:indicator_id>/remove/",
        views.case_indicator_remove,
        name="payment_remove",
    ),
    path("intel/payments/", views.indicator_list, name="payments"),
    path("intel/payments/<int:indicator_id>/", views.indicator_detail, name="payment_detail"),
    path("intel/payments/<int:indicator_id>/review/", views.indicator_review, name="payment_review"),
    path("intel/payments/exports/", views.export_list, name="coalition_exports"),
    path("intel/payments/exports/publish/", views.export_publish, name="coalition_publish"),
    path("intel/payments/exports/<int:export_id>/", views.export_detail, name="coalition_export"),
    path(
        "intel/payments/exports/<int:export_id>/download/<str:part>/",
        views.export_download,
        name="coalition_download",
    ),
]
