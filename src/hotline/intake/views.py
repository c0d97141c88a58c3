"""Public report pages (form, thank-you with receipt, status, bookmark, share target, manifest) and staff pages.

A reported URL only ever arrives in a POST body (form, share target) or a URL fragment (bookmarklet);
the receipt is only ever in a POST body and the one-time page that shows it (intake/thanks.py).
No view logs request data.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hotline.cases.models import Channel, Report
from hotline.core import languages
from hotline.core.authz import ANALYST, SUPERVISOR, public, staff_required
from hotline.core.formguard import guarded_form
from hotline.intake import conf, ratelimit, selectors, services, thanks
from hotline.intake.forms import (
    MessageForm,
    ReceiptForm,
    ReportForm,
    public_channel,
    quick_report_input,
)
from hotline.intake.public_status import EXPLANATIONS, PublicStatus
from hotline.intake.receipts import format_receipt
from hotline.intake.rules import CheckedReport, check_report
from hotline.intake.staff_forms import StaffReportForm

OWN_IMAGES = "own_images"  # the thank-you page's kind for /report/own-images/ (a young person's own pictures)
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def _too_many(request: HttpRequest, decision: ratelimit.Decision, what: str) -> HttpResponse:
    minutes = max(1, (decision.retry_after + 59) // 60)
    hours = (minutes + 59) // 60 if minutes > 90 else 0  # a daily limit's wait reads better in hours
    context = {"minutes": minutes, "hours": hours, "what": what}
    response = render(request, "intake/too_many.html", context, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


def _report_too_many(request: HttpRequest, decision: ratelimit.Decision) -> HttpResponse:
    """Over the hourly limit: the form again with what was typed, the wait said above it (429)."""
    minutes = max(1, (decision.retry_after + 59) // 60)
    form = ReportForm(initial=request.POST.dict(), url_fields=ReportForm(request.POST).url_count)
    context = {"form": form, "too_many": {"minutes": minutes, "hours": (minutes + 59) // 60 if minutes > 90 else 0}}
    response = render(request, "intake/report_form.html", context, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


def _report_page(request: HttpRequest, form: ReportForm, *, focus: str = "", status: int = 200) -> HttpResponse:
    return render(request, "intake/report_form.html", {"form": form, "focus": focus}, status=status)


def _report_refused(request: HttpRequest) -> HttpResponse:
    """A report POST the form guard refused: the form again with what was typed (core/formguard.py)."""
    form = ReportForm(initial=request.POST.dict(), url_fields=ReportForm(request.POST).url_count)
    return _report_page(request, form, status=403)


@public
@guarded_form(_report_refused)
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """GET: the empty form. POST: store the report and redirect (303) to its one-time thank-you address.

    A report is checked on one of two paths and stored on one: the plain, common POST by quick_report_input
    (a measured fast path: the form's dozen fields cost more than the rest of the request), anything else
    by the full ReportForm with its messages; both end in rules.check_report, then the same store and the
    same redirect."""
    if request.method == "GET":
        return _report_page(request, ReportForm())
    if request.POST.get("action") == "add_url":
        current = ReportForm(request.POST).url_count
        form = ReportForm(initial=request.POST.dict(), url_fields=current + 1)
        return _report_page(request, form, focus=f"id_url_{form.url_count}")
    if request.POST.get("action") == "choose":  # without JavaScript: the questions that fit the chosen kind
        form = ReportForm(initial=request.POST.dict(), url_fields=ReportForm(request.POST).url_count)
        return _report_page(request, form, focus="id_description")
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    checked: CheckedReport | None = None
    channel = public_channel(request.POST.get("channel"))
    quick = quick_report_input(request.POST)
    if quick is not None:
        quick.language = language
        checked, _problems = check_report(quick)
    if checked is None:
        form = ReportForm(request.POST)
        if not form.is_valid():
            return _report_page(request, form, status=400)
        data = form.cleaned_data["report"]
        data.language = language
        checked, problems = check_report(data)
        if checked is None:  # the form checks the same rules; kept for safety
            for message in problems.values():
                form.add_error(None, message)
            return _report_page(request, form, status=400)
        channel = form.report_channel()
    try:
        submitted = services.submit_public_report(
            client=ratelimit.client_address(request),
            checked=checked,
            channel=channel,
        )
    except services.TooManyRequests as exc:
        return _report_too_many(request, exc.decision)
    return _thanks_redirect(submitted.receipt, submitted.report.kind)


def _own_images_page(
    request: HttpRequest, *, problems: dict[str, str] | None = None, message: str = "", status: int = 200
) -> HttpResponse:
    context = {"problems": problems or {}, "message": message, "max_files": conf.own_images_max_files()}
    return render(request, "intake/own_images.html", context, status=status)


def _own_images_refused(request: HttpRequest) -> HttpResponse:
    return _own_images_page(request, message=request.POST.get("message", ""), status=403)


@public
@guarded_form(_own_images_refused)
@require_http_methods(["GET", "POST"])
def own_images(request: HttpRequest) -> HttpResponse:
    """GET: the page that hashes a person's own pictures or videos on their device (intake/own-images/page.js).
    POST: the hashes (JSON in `hashes`) and an optional message -> the same thank-you page with a receipt as any
    report. Files are never accepted: a POST carrying any is refused whole (the page never sends one)."""
    if request.method == "GET":
        return _own_images_page(request)
    message = request.POST.get("message", "")
    if request.FILES:
        problem = _("Files are never sent to us from this page. Choose them again, and only their codes are sent.")
        return _own_images_page(request, problems={"hashes": problem}, message=message, status=400)
    try:
        submitted = services.submit_own_images_report(
            client=ratelimit.client_address(request),
            hashes=request.POST.get("hashes", ""),
            message=message,
            language=getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
        )
    except services.TooManyRequests as exc:
        return _too_many(request, exc.decision, "submit")
    except services.ReportRejected as exc:
        return _own_images_page(request, problems=exc.problems, message=message, status=400)
    return _thanks_redirect(submitted.receipt, OWN_IMAGES)


def _thanks_redirect(receipt: str, kind: str) -> HttpResponse:
    """303 to the report's one-time thank-you address (intake/thanks.py): a refresh asks for that page again and
    never sends the report twice; the receipt is in no URL."""
    return HttpResponseRedirect(f"/report/thanks/{thanks.seal(receipt=receipt, kind=kind)}/", status=303)


@public
@require_safe
def report_thanks(request: HttpRequest, token: str) -> HttpResponse:
    """The thank-you page with the receipt, shown once within HOTLINE_THANKS_VALID_MINUTES; afterwards (a
    refresh, the back button, a shared computer's history) a page that says the report arrived, without it."""
    found = thanks.unseal(token)
    if found is None:
        return render(request, "intake/report_thanks_gone.html", {"known": False}, status=404)
    if not thanks.first_showing(token):
        return render(request, "intake/report_thanks_gone.html", {"known": True, "kind": found.kind}, status=410)
    context = {"receipt": format_receipt(found.receipt), "kind": found.kind}
    return render(request, "intake/report_thanks.html", context)


@public
@csrf_exempt  # the phone's share sheet posts here without a token; nothing is written, only a form shown
@require_http_methods(["GET", "POST"])
def share_target(request: HttpRequest) -> HttpResponse:
    """Web Share Target (POST): title/text/url from the phone's share menu -> the form, URL filled in."""
    if request.method == "GET":
        return HttpResponseRedirect("/report/")  # never read a query string here
    shared = (request.POST.get("url") or "").strip()
    if not shared:
        # Many apps put the link in `text` (sometimes with a title around it).
        found = _URL_IN_TEXT.search(f"{request.POST.get('text', '')} {request.POST.get('title', '')}")
        shared = found.group(0) if found else ""
    form = ReportForm(initial={"url_1": shared[:8192], "channel": Channel.SHARE})
    return _report_page(request, form, focus="id_kind_0" if shared else "id_url_1")


def _status_refused(request: HttpRequest) -> HttpResponse:
    """The status form again, with the receipt and any message that was typed."""
    context: dict[str, Any] = {"form": ReceiptForm(initial={"receipt": request.POST.get("receipt", "")})}
    if "message" in request.POST:
        context["kept_message_form"] = MessageForm(initial={"message": request.POST.get("message", "")})
    return render(request, "intake/status.html", context, status=403)


@public
@guarded_form(_status_refused)
@require_http_methods(["GET", "POST"])
def report_status(request: HttpRequest) -> HttpResponse:
    """Receipt in a POST body -> public status and a form to add a message. Wrong codes are rate-limited."""
    if request.method == "GET":
        return render(request, "intake/status.html", {"form": ReceiptForm()})
    subject = ratelimit.client_address(request)
    limiter = ratelimit.receipt_failures()
    blocked = limiter.peek(subject)
    if not blocked.allowed:
        return _too_many(request, blocked, "receipt")
    adding = "message" in request.POST
    form: ReceiptForm | MessageForm = MessageForm(request.POST) if adding else ReceiptForm(request.POST)
    if not form.is_valid() and "receipt" in form.errors:
        return render(request, "intake/status.html", {"form": ReceiptForm(request.POST)}, status=400)
    code = request.POST.get("receipt", "")
    found = selectors.report_by_receipt(code)
    if found is None:
        limiter.hit(subject)
        receipt_form = ReceiptForm(request.POST)
        receipt_form.is_valid()
        receipt_form.add_error("receipt", _("We found no report with this receipt code. Check the 16 digits."))
        return render(request, "intake/status.html", {"form": receipt_form}, status=404)
    context: dict[str, Any] = {"receipt": format_receipt(code)}
    message_form = MessageForm(initial={"receipt": format_receipt(code)})
    if adding:
        if form.is_valid():
            try:
                services.add_reporter_message(report=found, text=form.cleaned_data["message"], client=subject)
                context["message_added"] = True
            except services.TooManyRequests as exc:
                return _too_many(request, exc.decision, "message")
            except services.ReportRejected as exc:
                form.add_error("message", exc.problems.get("message", ""))
                message_form = form  # type: ignore[assignment]
        else:
            message_form = form  # type: ignore[assignment]
    status = selectors.status_of(found)
    context.update(
        status=status,
        explanation=EXPLANATIONS[status.status],
        steps=[
            {"label": step.label, "explanation": EXPLANATIONS[step], "current": step == status.status}
            for step in PublicStatus
        ],
        thread=selectors.thread_of(found),
        message_form=message_form,
    )
    return render(request, "intake/status_result.html", context)


@public
def bookmark(request: HttpRequest) -> HttpResponse:
    report_url = request.build_absolute_uri("/report/")
    bookmarklet = (
        "javascript:(function(){window.open("
        + json.dumps(report_url + "#url=")
        + "+encodeURIComponent(location.href),'_blank','noopener,noreferrer');})();"
    )
    return render(request, "intake/bookmark.html", {"bookmarklet": bookmarklet, "report_url": report_url})


@public
def manifest(request: HttpRequest) -> HttpResponse:
    """Web app manifest with a share_target, so 'Share -> Hotline' opens the form with the URL filled in."""
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    body = {
        "name": _("%(organisation)s – report") % {"organisation": settings.HOTLINE_ORGANISATION},
        "short_name": settings.HOTLINE_ORGANISATION[:12],
        "description": _("Report child sexual abuse material online, anonymously."),
        "lang": languages.html_lang(language),
        "dir": "rtl" if languages.is_rtl(language) else "ltr",
        "start_url": "/report/",
        "scope": "/",
        "id": "/report/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0d2a4a",
        "icons": [
            {"src": static("intake/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("intake/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        ],
        "share_target": {
            "action": "/share/",
            "method": "POST",
            "enctype": "application/x-www-form-urlencoded",
            "params": {"title": "title", "text": "text", "url": "url"},
        },
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/manifest+json")


# --- staff -----------------------------------------------------------------------------------
@staff_required(ANALYST, SUPERVISOR)
@require_http_methods(["GET", "POST"])
def staff_new_report(request: HttpRequest) -> HttpResponse:
    """A report received by phone or email, entered by an analyst (channel `staff`); shows its receipt once."""
    if request.method == "POST" and request.POST.get("action") == "add_url":
        current = StaffReportForm(request.POST).url_count
        form = StaffReportForm(initial=request.POST.dict(), url_fields=current + 1)
        return render(request, "intake/staff_report_form.html", {"form": form, "focus": f"id_url_{form.url_count}"})
    form = StaffReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["report"]
        try:
            submitted = services.submit_report(
                channel=Channel.STAFF,
                kind=data.kind,
                urls=data.urls,
                where_seen=data.where_seen,
                description=data.description,
                contact=data.contact,
                reporter_classification=data.reporter_classification,
                nexus_victim=data.nexus_victim,
                nexus_offender=data.nexus_offender,
                nexus_place=data.nexus_place,
                language=form.cleaned_data["language"],
                source_name=form.cleaned_data["received_via"],
                entered_by=request.user,  # type: ignore[arg-type]
            )
        except services.ReportRejected as exc:
            for message in exc.problems.values():
                form.add_error(None, message)
        else:
            return render(
                request,
                "intake/staff_report_done.html",
                {"report": submitted.report, "receipt": format_receipt(submitted.receipt)},
            )
    return render(
        request, "intake/staff_report_form.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@staff_required(ANALYST, SUPERVISOR)
@require_POST
def staff_reply(request: HttpRequest, report_id: int) -> HttpResponse:
    """The case page's reply to a reporter (intake/staff_reply_panel.html): stored, then back to the case."""
    report = get_object_or_404(Report, pk=report_id)
    back = request.POST.get("case_url", "")
    if not back.startswith("/cases/") or not back[7:].rstrip("/").isdigit():
        back = "/cases/"
    try:
        services.reply_to_reporter(report=report, text=request.POST.get("reply", ""), staff=request.user)  # type: ignore[arg-type]
    except services.ReportRejected as exc:
        messages.error(request, exc.problems["reply"])
    else:
        messages.success(request, _("The reply was saved. The reporter sees it on the status page with the receipt."))
    return HttpResponseRedirect(back)


@public
def api_docs(request: HttpRequest) -> HttpResponse:
    """The partner API described from its OpenAPI document, as plain HTML (no scripts, strict CSP)."""
    from hotline.intake.api import SLUGS, TITLES, api

    schema = api.get_openapi_schema()
    operations = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "body": json.dumps(body, indent=2) if body else "",
                    "responses": sorted(op.get("responses", {}).items()),
                }
            )
    components = json.dumps(schema.get("components", {}).get("schemas", {}), indent=2)
    with translation.override("en"):  # the reference is in English (lang="en"); answers follow Accept-Language
        problems = [{"slug": SLUGS[code], "status": code, "title": str(TITLES[code])} for code in sorted(SLUGS)]
    problems += [
        {"slug": "revoked", "status": 403, "title": "API key revoked"},
        {"slug": "idempotency-key-reused", "status": 422, "title": "Idempotency-Key reused for another request"},
    ]
    return render(
        request,
        "intake/api_docs.html",
        {"schema": schema, "operations": operations, "components": components, "problems": problems},
    )
