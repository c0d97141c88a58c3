"""Staff pages: sign-in with two factors, enrolment, users, audit log, partner API keys."""

from django.urls import path

from hotline.staff import views

app_name = "staff"
urlpatterns = [
    path("staff/", views.home, name="home"),
    path("staff/login/", views.login, name="login"),
    path("staff/login/verify/", views.login_verify, name="login_verify"),
    path("staff/logout/", views.logout, name="logout"),
    path("staff/enrol/<str:token>/", views.enrol, name="enrol"),
    path("staff/users/", views.users, name="users"),
    path("staff/users/new/", views.user_create, name="user_create"),
    path("staff/users/<int:user_id>/", views.user_detail, name="user_detail"),
    path("staff/users/<int:user_id>/roles/", views.user_roles, name="user_roles"),
    path("staff/users/<int:user_id>/active/", views.user_active, name="user_active"),
    path("staff/users/<int:user_id>/enrolment-link/", views.user_enrolment_link, name="user_enrolment_link"),
    path("staff/users/<int:user_id>/unlock/", views.user_unlock, name="user_unlock"),
    path("staff/audit/", views.audit_log, name="audit"),
    path("staff/audit/verify/", views.audit_verify, name="audit_verify"),
    path("staff/partner-keys/", views.partner_keys, name="partner_keys"),
    path("staff/partner-keys/<int:key_id>/revoke/", views.revoke_partner_key, name="revoke_partner_key"),
]
