"""Staff pages of the intel app: hash and known-URL lists, their imports (with the bad rows by line), matches,
and the confirmation of a match from the case page. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotline.core.authz import ANALYST, SUPERVISOR, staff_required
from hotline.core.errors import DomainError, refusal_page
from hotline.intel import selectors, services
from hotline.intel.forms import ConfirmMatchForm, EnabledForm, HashUploadForm, ListForm, UrlListForm, UrlUploadForm
from hotline.intel.models import HashList, KnownUrlList, ListImport

LIST_ROLES = (ANALYST, SUPERVISOR)
# Lists decide what triage raises and pre-fills: changing them is a supervisor's call.
EDIT_ROLES = (SUPERVISOR,)


def _hash_list(list_id: int) -> HashList:
    found = HashList.objects.filter(pk=list_id).first()
    if found is None:
        raise Http404(_("No such list."))
    return found


def _url_list(list_id: int) -> KnownUrlList:
    found = KnownUrlList.objects.filter(pk=list_id).first()
    if found is None:
        raise Http404(_("No such list."))
    return found


def _can_edit(request: HttpRequest) -> bool:
    return SUPERVISOR in getattr(request.user, "role_names", set())


@staff_required(*LIST_ROLES)
@require_GET
def lists_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "intel/lists.html",
        {
            "hash_lists": [(h, selectors.list_label(h)) for h in selectors.hash_lists()],
            "url_lists": selectors.url_lists(),
            "can_edit": _can_edit(request),
        },
    )


@staff_required(*EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def hash_list_create(request: HttpRequest) -> HttpResponse:
    form = ListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_hash_list(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error("name", str(error.message))
        else:
            return HttpResponseRedirect(f"/intel/hash-lists/{created.pk}/")
    status = 400 if form.errors else 200
    return render(request, "intel/list_form.html", {"form": form, "title": _("New hash list")}, status=status)


@staff_required(*EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def url_list_create(request: HttpRequest) -> HttpResponse:
    form = UrlListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_url_list(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error("name", str(error.message))
        else:
            return HttpResponseRedirect(f"/intel/url-lists/{created.pk}/")
    status = 400 if form.errors else 200
    return render(request, "intel/list_form.html", {"form": form, "title": _("New known-URL list")}, status=status)


@staff_required(*LIST_ROLES)
@require_GET
def hash_list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    hash_list = _hash_list(list_id)
    return render(
        request,
        "intel/hash_list.html",
        {
            "hash_list": hash_list,
            "label": selectors.list_label(hash_list),
            "imports": selectors.imports_of(hash_list=hash_list)[:20],
            "entries": selectors.hash_list_entries(hash_list),
            "form": HashUploadForm(),
            "can_edit": _can_edit(request),
        },
    )


@staff_required(*LIST_ROLES)
@require_GET
def url_list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    url_list = _url_list(list_id)
    return render(
        request,
        "intel/url_list.html",
        {
            "url_list": url_list,
            "imports": selectors.imports_of(url_list=url_list)[:20],
            "form": UrlUploadForm(),
            "can_edit": _can_edit(request),
        },
    )


def _upload_refused(request: HttpRequest, template: str, context: dict[str, Any], form: Any) -> HttpResponse:
    return render(request, template, {**context, "form": form, "can_edit": True}, status=400)


@staff_required(*EDIT_ROLES)
@require_POST
def hash_list_upload(request: HttpRequest, list_id: int) -> HttpResponse:
    hash_list = _hash_list(list_id)
    form = HashUploadForm(request.POST, request.FILES)
    context = {"hash_list": hash_list, "label": selectors.list_label(hash_list), "imports": [], "entries": []}
    if not form.is_valid():
        return _upload_refused(request, "intel/hash_list.html", context, form)
    try:
        job = services.queue_upload(
            upload=form.cleaned_data["file"],
            actor=request.user,
            hash_list=hash_list,
            file_format=form.cleaned_data["file_format"],
            hash_type=form.cleaned_data["hash_type"],
        )
    except DomainError as error:
        form.add_error("file", str(error.message))
        return _upload_refused(request, "intel/hash_list.html", context, form)
    return HttpResponseRedirect(f"/intel/imports/{job.pk}/")


@staff_required(*EDIT_ROLES)
@require_POST
def url_list_upload(request: HttpRequest, list_id: int) -> HttpResponse:
    url_list = _url_list(list_id)
    form = UrlUploadForm(request.POST, request.FILES)
    context = {"url_list": url_list, "imports": []}
    if not form.is_valid():
        return _upload_refused(request, "intel/url_list.html", context, form)
    try:
        job = services.queue_upload(upload=form.cleaned_data["file"], actor=request.user, url_list=url_list)
    except DomainError as error:
        form.add_error("file", str(error.message))
        return _upload_refused(request, "intel/url_list.html", context, form)
    return HttpResponseRedirect(f"/intel/imports/{job.pk}/")


@staff_required(*LIST_ROLES)
@require_GET
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    """An import's progress (the page reloads itself while it runs: no JavaScript needed) and its bad rows."""
    job = ListImport.objects.select_related("hash_list", "url_list").filter(pk=import_id).first()
    if job is None:
        raise Http404(_("No such import."))
    context = {"job": job, "refresh": not job.is_finished, "errors": selectors.import_errors(job)}
    return render(request, "intel/import.html", context)


@staff_required(*EDIT_ROLES)
@require_POST
@refusal_page()
def hash_list_enabled(request: HttpRequest, list_id: int) -> HttpResponse:
    form = EnabledForm(request.POST)
    form.is_valid()
    services.set_hash_list_enabled(
        hash_list=_hash_list(list_id), enabled=form.cleaned_data.get("enabled", False), actor=request.user
    )
    return HttpResponseRedirect(f"/intel/hash-lists/{list_id}/")


@staff_required(*EDIT_ROLES)
@require_POST
@refusal_page()
def url_list_enabled(request: HttpRequest, list_id: int) -> HttpResponse:
    form = EnabledForm(request.POST)
    form.is_valid()
    services.set_url_list_enabled(
        url_list=_url_list(list_id), enabled=form.cleaned_data.get("enabled", False), actor=request.user
    )
    return HttpResponseRedirect(f"/intel/url-lists/{list_id}/")


def _download(body: Any, content_type: str, filename: str) -> HttpResponse:
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # type: ignore[return-value]  # streamed: never held whole in memory


@staff_required(*LIST_ROLES)
@require_GET
def hash_list_export_csv(request: HttpRequest, list_id: int) -> HttpResponse:
    hash_list = _hash_list(list_id)
    return _download(
        selectors.export_hash_list_csv(hash_list),
        "text/csv; charset=utf-8",
        selectors.export_filename(hash_list, "csv"),
    )


@staff_required(*LIST_ROLES)
@require_GET
def hash_list_export_json(request: HttpRequest, list_id: int) -> HttpResponse:
    hash_list = _hash_list(list_id)
    return _download(
        selectors.export_hash_list_json(hash_list, now=timezone.now()),
        "application/json",
        selectors.export_filename(hash_list, "json"),
    )


@staff_required(*LIST_ROLES)
@require_GET
def matches_page(request: HttpRequest) -> HttpResponse:
    return render(request, "intel/matches.html", {"matches": selectors.recent_matches()})


@staff_required(ANALYST, SUPERVISOR)
@require_POST
@refusal_page()
def confirm_match(request: HttpRequest, match_id: int) -> HttpResponse:
    """Confirm a list match from the case page: an assessment without opening the material."""
    form = ConfirmMatchForm(request.POST)
    if not form.is_valid():
        raise services.matching.IntelError(_("Choose the verdict the match confirms."))
    match = services.confirm_match(match_id=match_id, analyst=request.user, verdict=form.cleaned_data["verdict"])
    return HttpResponseRedirect(f"/cases/{match.case_id}/")
