"""Staff sign-in (password, then TOTP) and the staff home page. (Placeholder until the staff UI lands.)"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from hotline.core.authz import ANY_STAFF, login_flow, staff_required


@staff_required(ANY_STAFF)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/home.html")


@login_flow
def login(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/login.html")


@login_flow
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return HttpResponseRedirect("/staff/login/")


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "staff/locked.html", status=429)
