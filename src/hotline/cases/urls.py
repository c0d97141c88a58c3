"""URLs of the cases app: the staff pages of casework (queue, case page, assessment, supervision); each path
carries its own prefix."""

from django.urls import path

from hotline.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.queue, name="queue"),
    path("cases/supervision/", views.supervision, name="supervision"),
    path("cases/assessments/<int:assessment_id>/review/", views.review, name="review"),
    path("cases/<int:case_id>/", views.case_detail, name="detail"),
    path("cases/<int:case_id>/claim/", views.claim, name="claim"),
    path("cases/<int:case_id>/release/", views.release, name="release"),
    path("cases/<int:case_id>/copy-url/", views.copy_url, name="copy_url"),
    path("cases/<int:case_id>/notes/", views.add_note, name="add_note"),
    path("cases/<int:case_id>/close/", views.close, name="close"),
    path("cases/<int:case_id>/police-now/", views.police_now, name="police_now"),
    path("cases/<int:case_id>/assess/", views.assess, name="assess"),
    path("cases/<int:case_id>/assess/start/", views.assess_start, name="assess_start"),
    path("cases/<int:case_id>/assess/leave/", views.assess_leave, name="assess_leave"),
]
