"""Destructive staff actions ask once more: the first POST answers with a confirmation page that carries the same
fields again (so it works without JavaScript), and only the second POST, with `confirmed=yes`, acts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRM_FIELD = "confirmed"


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRM_FIELD) == "yes"


def confirm_page(
    request: HttpRequest,
    *,
    title: Any,
    question: Any,
    button: Any,
    cancel_url: str,
    consequences: list[Any] | None = None,
) -> HttpResponse:
    """The page that asks "are you sure?": the question, what will happen, a destructive button that posts the
    same fields to the same address, and a way back that changes nothing."""
    fields = [
        (name, value)
        for name in request.POST
        if name not in {"csrfmiddlewaretoken", CONFIRM_FIELD}
        for value in request.POST.getlist(name)
    ]
    return render(
        request,
        "staff/confirm.html",
        {
            "title": title,
            "question": question,
            "consequences": consequences or [],
            "button": button,
            "action": request.path,
            "fields": fields,
            "cancel_url": cancel_url,
        },
    )
