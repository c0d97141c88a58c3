"""Staff pages of the payment indicators: entering them on a case (analysts), the coalition liaison's list, review
and signed exports. Thin: parse, call one service or selector, render. The liaison's pages show indicators and
exports only, never a case (tests/test_access.py and intel/tests/test_payments_views.py hold them to it)."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.core.authz import ANALYST, COALITION_LIAISON, SUPERVISOR, staff_required
from hotline.core.errors import DomainError, refusal_page
from hotline.intel import coalition_keys, payment_rules, payment_selectors, payment_services
from hotline.intel.models import PaymentIndicatorKind, ReviewState
from hotline.intel.payment_errors import PaymentIndicatorError
from hotline.intel.payments_forms import CaseIndicatorForm, ReviewForm
from hotline.staff.models import StaffUser

CASE_ROLES = (ANALYST, SUPERVISOR)
# Who reads the indicator list and the exports: the liaison, and supervisors who oversee what leaves the hotline.
READ_ROLES = (COALITION_LIAISON, SUPERVISOR)
LIST_LIMIT = 500  # rows of the indicator list; the filters narrow it


def _user(request: HttpRequest) -> StaffUser:
    assert isinstance(request.user, StaffUser)
    return request.user


def _case_url(case_id: int) -> str:
    return f"/cases/{case_id}/#payments-heading"


def _back_to_case(request: HttpRequest, error: DomainError, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"back": _case_url(kwargs["case_id"])}


def _back_to_list(request: HttpRequest, error: DomainError, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"back": "/intel/payments/"}


def _back_to_exports(request: HttpRequest, error: DomainError, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"back": "/intel/payments/exports/"}


refused_back_to_case = refusal_page("intel/payments/refused.html", context=_back_to_case)
refused_back_to_list = refusal_page("intel/payments/refused.html", context=_back_to_list)
refused_back_to_exports = refusal_page("intel/payments/refused.html", context=_back_to_exports)


# --- on a case (analysts, supervisors) --------------------------------------------------------------------
@staff_required(*CASE_ROLES)
@require_POST
@refused_back_to_case
def case_indicator_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """POST only. A refused value answers 400 with the message and the form filled in again, to correct."""
    form = CaseIndicatorForm(request.POST)
    problem = ""
    if form.is_valid():
        try:
            entered = payment_services.add_case_indicator(
                case_id=case_id,
                kind=form.cleaned_data["kind"],
                value=form.cleaned_data["value"],
                network=form.cleaned_data["network"],
                actor=_user(request),
            )
        except PaymentIndicatorError as error:
            problem = str(error)
        else:
            if not entered.new_on_case:
                messages.info(request, _("This indicator was already recorded on this case; its last-seen time moved."))
            elif entered.indicator.case_count > 1:
                messages.success(
                    request,
                    _("Recorded. The same indicator is on %(n)s cases.") % {"n": entered.indicator.case_count},
                )
            else:
                messages.success(request, _("Recorded."))
            return HttpResponseRedirect(_case_url(case_id))
    else:
        problem = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return render(
        request,
        "intel/payments/case_add_refused.html",
        {"case_id": case_id, "form": form, "message": problem},
        status=400,
    )


@staff_required(*CASE_ROLES)
@require_POST
@refused_back_to_case
def case_indicator_remove(request: HttpRequest, case_id: int, indicator_id: int) -> HttpResponse:
    """Asks once more (a page with the confirm button), then takes the indicator off this case."""
    if request.POST.get("confirm") != "yes":
        indicator = payment_selectors.get_indicator(indicator_id=indicator_id)
        if indicator is None:
            raise Http404
        return render(request, "intel/payments/case_remove_confirm.html", {"case_id": case_id, "indicator": indicator})
    payment_services.remove_case_indicator(case_id=case_id, indicator_id=indicator_id, actor=_user(request))
    messages.success(request, _("The indicator is no longer recorded on this case."))
    return HttpResponseRedirect(_case_url(case_id))


# --- the coalition liaison's pages ---------------------------------------------------------------------
@staff_required(*READ_ROLES)
@require_GET
def indicator_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    kind = kind if kind in PaymentIndicatorKind.values else ""
    state = state if state in ReviewState.values else ""
    indicators = list(payment_selectors.indicator_list(kind=kind, state=state)[: LIST_LIMIT + 1])
    truncated = len(indicators) > LIST_LIMIT
    return render(
        request,
        "intel/payments/indicator_list.html",
        {
            "indicators": indicators[:LIST_LIMIT],
            "truncated": truncated,
            "counts": payment_selectors.review_counts(),
            "kinds": PaymentIndicatorKind.choices,
            "states": ReviewState.choices,
            "kind": kind,
            "state": state,
            "may_review": COALITION_LIAISON in _user(request).role_names,
        },
    )


@staff_required(*READ_ROLES)
@require_GET
def indicator_detail(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = payment_selectors.get_indicator(indicator_id=indicator_id)
    if indicator is None:
        raise Http404
    return render(
        request,
        "intel/payments/indicator_detail.html",
        {
            "indicator": indicator,
            "form": ReviewForm(initial={"decision": indicator.review_state}),
            "may_review": COALITION_LIAISON in _user(request).role_names,
        },
    )


@staff_required(COALITION_LIAISON)
@require_POST
@refused_back_to_list
def indicator_review(request: HttpRequest, indicator_id: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        raise PaymentIndicatorError(_("Choose whether the indicator goes into the coalition export."))
    indicator = payment_services.review_indicator(
        indicator_id=indicator_id, decision=form.cleaned_data["decision"], actor=_user(request)
    )
    messages.success(
        request,
        _("%(indicator)s: %(state)s.")
        % {"indicator": indicator.display, "state": indicator.get_review_state_display()},
    )
    back = "/intel/payments/?state=pending" if request.POST.get("next") == "pending" else "/intel/payments/"
    return HttpResponseRedirect(back)


@staff_required(*READ_ROLES)
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    key = coalition_keys.public_key_or_none()
    exports = list(payment_selectors.exports()[:200])
    return render(
        request,
        "intel/payments/export_list.html",
        {
            "exports": exports,
            "days_since_last": (timezone.now() - exports[0].published_at).days if exports else None,
            "waiting": len(payment_rules.rows_for_export(payment_selectors.export_rows())),
            "key": key,
            "may_publish": COALITION_LIAISON in _user(request).role_names,
        },
    )


@staff_required(COALITION_LIAISON)
@require_POST
@refused_back_to_exports
def export_publish(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        raise PaymentIndicatorError(_("Tick the box to confirm that the indicators were reviewed."))
    export = payment_services.publish_coalition_export(actor=_user(request))
    messages.success(request, _("Export %(number)s is published.") % {"number": export.number})
    return HttpResponseRedirect(f"/intel/payments/exports/{export.pk}/")


def _export_or_404(export_id: int) -> Any:
    export = payment_selectors.get_export(export_id=export_id)
    if export is None:
        raise Http404
    return export


@staff_required(*READ_ROLES)
@require_GET
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    export = _export_or_404(export_id)
    return render(
        request,
        "intel/payments/export_detail.html",
        {
            "export": export,
            "files": [
                {
                    "part": "csv",
                    "name": payment_rules.file_name(export.number, "csv"),
                    "sha256": export.csv_sha256,
                    "signature": _b64(export.csv_signature),
                },
                {
                    "part": "json",
                    "name": payment_rules.file_name(export.number, "json"),
                    "sha256": export.json_sha256,
                    "signature": _b64(export.json_signature),
                },
            ],
            "csv_name": payment_rules.file_name(export.number, "csv"),
            "pem_name": _pem_name(export.key_id),
        },
    )


def _pem_name(key_id: str) -> str:
    # One name for every key: the commands of docs/coalition.md use it; the page shows which key it is by its id.
    return "coalition-public-key.pem"


def _b64(data: Any) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


# part -> (column, extension, content type)
PARTS = {
    "csv": ("csv_content", "csv", "text/csv; charset=utf-8"),
    "json": ("json_content", "json", "application/json"),
    "csv.sig": ("csv_signature", "csv.sig", "application/octet-stream"),
    "json.sig": ("json_signature", "json.sig", "application/octet-stream"),
    "sha256": ("", "sha256", "text/plain; charset=utf-8"),
    "pem": ("public_key_pem", "pub.pem", "application/x-pem-file"),
    "schema": ("", "schema.json", "application/schema+json"),
}


@staff_required(*READ_ROLES)
@require_GET
def export_download(request: HttpRequest, export_id: int, part: str) -> HttpResponse:
    """The files of an export, byte for byte as signed; `sha256` is a checksum file `sha256sum -c` reads."""
    if part not in PARTS:
        raise Http404
    export = _export_or_404(export_id)
    column, extension, content_type = PARTS[part]
    if part == "schema":
        content: bytes = payment_rules.SCHEMA_FILE.read_bytes()
    elif part == "sha256":
        content = (
            f"{export.csv_sha256}  {payment_rules.file_name(export.number, 'csv')}\n"
            f"{export.json_sha256}  {payment_rules.file_name(export.number, 'json')}\n"
        ).encode("ascii")
    else:
        raw = getattr(export, column)
        content = raw.encode("ascii") if isinstance(raw, str) else bytes(raw)
    payment_services.record_export_download(export=export, part=part, actor=_user(request))
    response = HttpResponse(content, content_type=content_type)
    if part == "pem":
        name = _pem_name(export.key_id)
    elif part == "schema":
        name = payment_rules.SCHEMA_FILE.name
    else:
        name = payment_rules.file_name(export.number, extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


__all__ = [
    "case_indicator_add",
    "case_indicator_remove",
    "export_detail",
    "export_download",
    "export_list",
    "export_publish",
    "indicator_detail",
    "indicator_list",
    "indicator_review",
]
