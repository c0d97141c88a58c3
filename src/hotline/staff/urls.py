"""Staff pages: sign-in with two factors, enrolment, users, audit log."""

from django.urls import path

from hotline.staff import views

app_name = "staff"
urlpatterns = [
    path("staff/", views.home, name="home"),
    path("staff/login/", views.login, name="login"),
    path("staff/logout/", views.logout, name="logout"),
]
