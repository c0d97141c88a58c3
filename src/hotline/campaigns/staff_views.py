"""Campaigners' pages under /campaigns/: petitions, burst view and invalidation, hand-over exports,
the newsletter. Only the CAMPAIGNER role reaches them (campaigners never see cases)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotline.campaigns import conf, export_files, mail, rules, selectors, services
from hotline.campaigns.errors import CampaignError, InvalidInput
from hotline.campaigns.forms import ExportForm, InvalidateForm, IssueForm, PetitionForm
from hotline.campaigns.models import (
    ExportState,
    IssueState,
    NewsletterIssue,
    Petition,
    PetitionExport,
    PetitionState,
    SignatureState,
)
from hotline.core import csv as safe_csv
from hotline.core.authz import CAMPAIGNER, staff_required
from hotline.staff.confirm import confirm_page, is_confirmed


def _apply_errors(form: Any, exc: InvalidInput) -> None:
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


def _back(petition: Petition) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/campaigns/petitions/{petition.pk}/")


@staff_required(CAMPAIGNER)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "campaigns/staff/dashboard.html",
        {
            "petitions": selectors.petitions_for_staff(),
            "newsletter": selectors.newsletter_figures(),
            "issues": selectors.issues()[:5],
        },
    )


@staff_required(CAMPAIGNER)
@require_http_methods(["GET", "POST"])
def petition_create(request: HttpRequest) -> HttpResponse:
    form = PetitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            petition = services.create_petition(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except InvalidInput as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The petition is saved as a draft."))
            return _back(petition)
    return render(
        request,
        "campaigns/staff/petition_form.html",
        {"form": form, "petition": None},
        status=400 if form.errors else 200,
    )


@staff_required(CAMPAIGNER)
@require_http_methods(["GET", "POST"])
def petition_edit(request: HttpRequest, petition_id: int) -> HttpResponse:
    petition = get_object_or_404(Petition, pk=petition_id)
    locked = petition.state != PetitionState.DRAFT
    form = PetitionForm(request.POST or None, instance=petition, locked=locked)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data if not form.fields[name].disabled}
        try:
            services.update_petition(petition=petition, actor=request.user, **fields)  # type: ignore[arg-type]
        except InvalidInput as exc:
            _apply_errors(form, exc)
        except CampaignError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Changes saved."))
            return _back(petition)
    petition.refresh_from_db()
    return render(
        request,
        "campaigns/staff/petition_form.html",
        {"form": form, "petition": petition, "locked": locked},
        status=400 if form.errors else 200,
    )


@staff_required(CAMPAIGNER)
@require_GET
def petition_detail(request: HttpRequest, petition_id: int) -> HttpResponse:
    petition = get_object_or_404(Petition, pk=petition_id)
    retention_ends = rules.add_months(petition.closed_at, conf.retention_months()) if petition.closed_at else None
    return render(
        request,
        "campaigns/staff/petition_detail.html",
        {
            "petition": petition,
            "figures": selectors.petition_figures(petition),
            "places": selectors.counts_by_place(petition)[:20],
            "exports": selectors.exports_of(petition),
            "export_form": ExportForm(initial={"language": translation.get_language()}),
            "retention_ends": retention_ends,
        },
    )


@staff_required(CAMPAIGNER)
@require_POST
def petition_open(request: HttpRequest, petition_id: int) -> HttpResponse:
    petition = get_object_or_404(Petition, pk=petition_id)
    try:
        services.open_petition(petition=petition, actor=request.user)  # type: ignore[arg-type]
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The petition is open for signatures."))
    return _back(petition)


@staff_required(CAMPAIGNER)
@require_POST
def petition_close(request: HttpRequest, petition_id: int) -> HttpResponse:
    petition = get_object_or_404(Petition, pk=petition_id)
    if not is_confirmed(request):
        return confirm_page(
            request,
            title=_("Close the petition"),
            question=_("Close “%(title)s” now?") % {"title": petition.title_sv},
            consequences=[_("Nobody can sign it any more; the signatures collected so far remain.")],
            button=_("Yes, close the petition"),
            cancel_url=f"/campaigns/petitions/{petition.pk}/",
        )
    try:
        services.close_petition(petition=petition, actor=request.user)  # type: ignore[arg-type]
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The petition is closed."))
    return _back(petition)


@staff_required(CAMPAIGNER)
@require_POST
def petition_erase(request: HttpRequest, petition_id: int) -> HttpResponse:
    """Erase signers' data now (after the hand-over), before the retention time ends."""
    petition = get_object_or_404(Petition, pk=petition_id)
    if request.POST.get("confirm") != "erase":
        messages.error(request, _("Tick the box to confirm that the signers' names and emails should be erased."))
        return _back(petition)
    if not is_confirmed(request):
        return confirm_page(
            request,
            title=_("Erase signers' names and emails"),
            question=_("Erase the signers' names and emails of “%(title)s” now?") % {"title": petition.title_sv},
            consequences=[
                _("This cannot be undone: no export with names can be made afterwards."),
                _("The counts per municipality remain."),
            ],
            button=_("Yes, erase them"),
            cancel_url=f"/campaigns/petitions/{petition.pk}/",
        )
    try:
        services.erase_petition_personal_data(petition=petition, actor=request.user)  # type: ignore[arg-type]
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Signers' names and emails are erased; the counts per municipality remain."))
    return _back(petition)


# --- bursts and invalidation ------------------------------------------------------------------
BURST_DAYS = (1, 7, 30, 365)


@staff_required(CAMPAIGNER)
@require_GET
def petition_signatures(request: HttpRequest, petition_id: int) -> HttpResponse:
    """Signatures per email domain and per time window, with bursts flagged, to spot bot sign-ups."""
    petition = get_object_or_404(Petition, pk=petition_id)
    window = request.GET.get("window", "hour")
    if window not in selectors.WINDOWS:
        window = "hour"
    try:
        days = int(request.GET.get("days", "7"))
    except ValueError:
        days = 7
    days = days if days in BURST_DAYS else 7
    domain = request.GET.get("domain", "").strip().lower()[:253]
    since = timezone.now() - timedelta(days=days)
    domains, total = selectors.signatures_by_domain(petition, since=since)
    return render(
        request,
        "campaigns/staff/signatures.html",
        {
            "petition": petition,
            "domains": domains,
            "total": total,
            "windows": selectors.signatures_per_window(petition, window=window, since=since, domain=domain),
            "window": window,
            "window_choices": [("minute", _("per minute")), ("hour", _("per hour")), ("day", _("per day"))],
            "days": days,
            "day_choices": BURST_DAYS,
            "domain": domain,
            "invalidations": selectors.invalidations(petition),
        },
    )


@staff_required(CAMPAIGNER)
@require_POST
def petition_invalidate(request: HttpRequest, petition_id: int) -> HttpResponse:
    """Two steps: the first POST shows what would be invalidated, the second (confirm=yes) does it."""
    petition = get_object_or_404(Petition, pk=petition_id)
    form = InvalidateForm(request.POST)
    if not form.is_valid():
        return render(request, "campaigns/staff/invalidate.html", {"petition": petition, "form": form}, status=400)
    data = form.cleaned_data
    if request.POST.get("confirm") != "yes":
        preview = selectors.signatures_to_invalidate(
            petition, domain=data["domain"] or "", window_start=data["window_start"], window_end=data["window_end"]
        )
        return render(
            request,
            "campaigns/staff/invalidate.html",
            {
                "petition": petition,
                "form": form,
                "preview": True,
                "would_total": preview.count(),
                "would_confirmed": preview.filter(state=SignatureState.CONFIRMED).count(),
            },
        )
    try:
        invalidation = services.invalidate_signatures(
            petition=petition,
            actor=request.user,  # type: ignore[arg-type]
            domain=data["domain"] or "",
            window_start=data["window_start"],
            window_end=data["window_end"],
            reason=data["reason"] or "",
        )
    except InvalidInput as exc:
        _apply_errors(form, exc)
        return render(request, "campaigns/staff/invalidate.html", {"petition": petition, "form": form}, status=400)
    messages.success(
        request,
        _("%(n)d signatures invalidated (%(c)d of them had been confirmed).")
        % {"n": invalidation.signatures_invalidated, "c": invalidation.confirmed_invalidated},
    )
    return HttpResponseRedirect(f"/campaigns/petitions/{petition.pk}/signatures/")


# --- exports ------------------------------------------------------------------------------------
@staff_required(CAMPAIGNER)
@require_POST
def export_request(request: HttpRequest, petition_id: int) -> HttpResponse:
    petition = get_object_or_404(Petition, pk=petition_id)
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose PDF or CSV."))
        return _back(petition)
    try:
        export = services.request_export(
            petition=petition,
            kind=form.cleaned_data["kind"],
            actor=request.user,  # type: ignore[arg-type]
            language=form.cleaned_data.get("language") or translation.get_language() or "sv",
        )
    except CampaignError as exc:
        messages.error(request, exc.message)
        return _back(petition)
    return HttpResponseRedirect(f"/campaigns/exports/{export.pk}/")


@staff_required(CAMPAIGNER)
@require_GET
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    export = get_object_or_404(PetitionExport.objects.select_related("petition"), pk=export_id)
    return render(request, "campaigns/staff/export_detail.html", {"export": export})


@staff_required(CAMPAIGNER)
@require_GET
def export_status(request: HttpRequest, export_id: int) -> JsonResponse:
    export = get_object_or_404(PetitionExport, pk=export_id)
    return JsonResponse({"state": export.state, "progress": export.progress, "rows": export.rows})


@staff_required(CAMPAIGNER)
@require_GET
def export_download(request: HttpRequest, export_id: int) -> HttpResponse:
    export = get_object_or_404(PetitionExport.objects.select_related("petition"), pk=export_id)
    path = export_files.path_of(export)
    if export.state != ExportState.DONE or not path.exists():
        raise Http404
    services.record_export_download(export=export, actor=request.user)  # type: ignore[arg-type]
    stamp = (export.finished_at or timezone.now()).strftime("%Y-%m-%d")
    filename = f"{export.petition.slug}-{stamp}.{export.kind}"
    content_type = "application/pdf" if export.kind == "pdf" else "text/csv; charset=utf-8"
    response = FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
    return response  # type: ignore[return-value]


@staff_required(CAMPAIGNER)
@require_POST
def export_delete(request: HttpRequest, export_id: int) -> HttpResponse:
    export = get_object_or_404(PetitionExport, pk=export_id)
    if not is_confirmed(request):
        return confirm_page(
            request,
            title=_("Delete the export file"),
            question=_("Delete this export file now?"),
            consequences=[_("The file cannot be downloaded again; a new export can be requested.")],
            button=_("Yes, delete the file"),
            cancel_url=f"/campaigns/exports/{export.pk}/",
        )
    services.delete_export(export=export, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The export file is deleted."))
    return HttpResponseRedirect(f"/campaigns/petitions/{export.petition_id}/")


# --- newsletter -----------------------------------------------------------------------------------
@staff_required(CAMPAIGNER)
@require_GET
def newsletter(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "campaigns/staff/newsletter.html",
        {"figures": selectors.newsletter_figures(), "issues": selectors.issues()},
    )


@staff_required(CAMPAIGNER)
@require_GET
def subscribers_csv(request: HttpRequest) -> HttpResponse:
    """Confirmed subscribers for an external mailing tool (guarded against formula injection)."""
    subscribers = list(selectors.confirmed_subscribers().only("email", "language", "confirmed_at"))
    services.record_subscriber_export(actor=request.user, rows=len(subscribers))  # type: ignore[arg-type]

    def rows() -> Any:
        yield safe_csv.BOM + safe_csv.format_row(["email", "language", "confirmed_at"])
        for s in subscribers:
            confirmed = s.confirmed_at.isoformat(timespec="seconds") if s.confirmed_at else ""
            yield safe_csv.format_row([s.email, s.language, confirmed])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="subscribers-{timezone.localdate():%Y-%m-%d}.csv"'
    return response  # type: ignore[return-value]


@staff_required(CAMPAIGNER)
@require_http_methods(["GET", "POST"])
def issue_create(request: HttpRequest) -> HttpResponse:
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issue = services.create_issue(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except InvalidInput as exc:
            _apply_errors(form, exc)
        else:
            return HttpResponseRedirect(f"/campaigns/newsletter/issues/{issue.pk}/")
    return render(
        request, "campaigns/staff/issue_form.html", {"form": form, "issue": None}, status=400 if form.errors else 200
    )


@staff_required(CAMPAIGNER)
@require_http_methods(["GET", "POST"])
def issue_edit(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = get_object_or_404(NewsletterIssue, pk=issue_id)
    form = IssueForm(request.POST or None, instance=issue)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_issue(issue=issue, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except InvalidInput as exc:
            _apply_errors(form, exc)
        except CampaignError as exc:
            form.add_error(None, exc.message)
        else:
            return HttpResponseRedirect(f"/campaigns/newsletter/issues/{issue.pk}/")
    return render(
        request, "campaigns/staff/issue_form.html", {"form": form, "issue": issue}, status=400 if form.errors else 200
    )


@staff_required(CAMPAIGNER)
@require_GET
def issue_detail(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = get_object_or_404(NewsletterIssue, pk=issue_id)
    counts, percent = selectors.issue_progress(issue)
    return render(
        request,
        "campaigns/staff/issue_detail.html",
        {
            "issue": issue,
            "preview_sv": mail.render_markdown(issue.body_sv),
            "preview_en": mail.render_markdown(issue.body_en) if issue.body_en else "",
            "counts": counts,
            "percent": percent,
            "figures": selectors.newsletter_figures(),
            "is_draft": issue.state == IssueState.DRAFT,
            "editable": selectors.issue_editable(issue),
            "stalled": selectors.issue_stalled(issue),
            "last_activity": selectors.issue_last_activity(issue),
        },
    )


@staff_required(CAMPAIGNER)
@require_POST
def issue_send(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = get_object_or_404(NewsletterIssue, pk=issue_id)
    if request.POST.get("confirm") != "send":
        messages.error(request, _("Tick the box to confirm sending to every confirmed subscriber."))
    elif not is_confirmed(request):
        return confirm_page(
            request,
            title=_("Send the newsletter"),
            question=_("Send “%(subject)s” to every confirmed subscriber now?") % {"subject": issue.subject_sv},
            consequences=[_("A sent email cannot be called back.")],
            button=_("Yes, send it"),
            cancel_url=f"/campaigns/newsletter/issues/{issue.pk}/",
        )
    else:
        try:
            services.send_issue(issue=issue, actor=request.user)  # type: ignore[arg-type]
        except CampaignError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Sending has started; progress is shown below."))
    return HttpResponseRedirect(f"/campaigns/newsletter/issues/{issue.pk}/")


@staff_required(CAMPAIGNER)
@require_POST
def issue_resume(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = get_object_or_404(NewsletterIssue, pk=issue_id)
    try:
        services.resume_issue(issue=issue, actor=request.user)  # type: ignore[arg-type]
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Sending goes on; progress is shown below."))
    return HttpResponseRedirect(f"/campaigns/newsletter/issues/{issue.pk}/")
