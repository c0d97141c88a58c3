"""Staff pages of the referrals app: the plan of a case, referral actions, failed and escalated lists,
police package download, partner hotlines. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotline.core.authz import ADMIN, ANALYST, POLICE_LIAISON, SUPERVISOR, staff_required
from hotline.core.errors import DomainError, refusal_page
from hotline.referrals import selectors, services
from hotline.referrals.errors import ReferralError
from hotline.referrals.forms import (
    AcknowledgedForm,
    ConfirmPlanForm,
    NotRemovedForm,
    PartnerForm,
    RemovedForm,
    ReplyForm,
    RetryForm,
)
from hotline.referrals.models import ReferralState
from hotline.referrals.rules import HOST_NOTICE, PARTNER_HOTLINE, POLICE
from hotline.staff.confirm import confirm_page, is_confirmed

CASE_ROLES = (ANALYST, SUPERVISOR)


def _referral_or_404(referral_id: int) -> Any:
    referral = selectors.get_referral(referral_id=referral_id)
    if referral is None:
        raise Http404(_("No such referral."))
    return referral


def _target_label(key: str, partners: dict[int, Any]) -> str:
    if key == POLICE:
        return _("Police")
    if key == HOST_NOTICE:
        return _("Notice to the host")
    if key.startswith(f"{PARTNER_HOTLINE}:"):
        partner = partners.get(int(key.partition(":")[2]))
        return _("Partner hotline: %(name)s") % {"name": partner.name if partner else "?"}
    return key


def _plan_form(state: selectors.CasePlan, data: Any = None) -> ConfirmPlanForm:
    partners = {p.pk: p for p in state.partners}
    proposed = [p.key for p in (state.plan.proposals if state.plan else ()) if p.key not in state.open_keys]
    possible = [POLICE, HOST_NOTICE] + [f"{PARTNER_HOTLINE}:{pk}" for pk in partners]
    addable = [k for k in possible if k not in proposed and k not in state.open_keys]
    return ConfirmPlanForm(
        data,
        target_choices=[(k, _target_label(k, partners)) for k in proposed],
        add_choices=[(k, _target_label(k, partners)) for k in addable],
        initial={
            "assessment_id": state.assessment.pk if state.assessment else 0,
            "targets": proposed,
            "host_notice_recipient": state.hosting.abuse_email,
        },
    )


@staff_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
def plan_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """A case's referral plan: shown (audited) and confirmed."""
    case = selectors.get_case(case_id=case_id)
    if case is None:
        raise Http404(_("No such case."))
    state = selectors.case_plan(case=case)
    status = 200
    if request.method == "POST":
        form = _plan_form(state, request.POST)
        if form.is_valid():
            keys = list(form.cleaned_data["targets"])
            if form.cleaned_data["add_target"]:
                keys.append(form.cleaned_data["add_target"])
            recipient = form.cleaned_data["host_notice_recipient"] or ""
            share = bool(form.cleaned_data.get("share_description"))
            choices = [
                services.TargetChoice(
                    key=k,
                    recipient_email=recipient if k == HOST_NOTICE else "",
                    share_description=share and k.startswith(f"{PARTNER_HOTLINE}:"),
                )
                for k in keys
            ]
            try:
                created = services.confirm_referral_plan(
                    case_id=case.pk,
                    actor=request.user,  # type: ignore[arg-type]
                    assessment_id=form.cleaned_data["assessment_id"],
                    choices=choices,
                    adjust_reason=form.cleaned_data["reason"],
                )
            except ReferralError as exc:
                form.add_error(None, str(exc))
                status = exc.status if exc.status != 404 else 400
            else:
                messages.success(request, _("%(n)s referral(s) confirmed.") % {"n": len(created)})
                return HttpResponseRedirect(f"/cases/{case.pk}/referrals/")
        else:
            status = 400
        state = selectors.case_plan(case=case)
    else:
        form = _plan_form(state)
        services.record_plan_view(case_id=case.pk, viewer=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "referrals/plan.html",
        {"case": case, "state": state, "form": form, "removed_form": RemovedForm()},
        status=status,
    )


def _back_to_case(request: HttpRequest, error: DomainError, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"back": f"/cases/{kwargs['case_id']}/referrals/"}


def _back_to_referral(request: HttpRequest, error: DomainError, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"back": f"/referrals/{kwargs['referral_id']}/"}


# A refused action answers with its 4xx page and a link back to where it was asked for.
refused_back_to_case = refusal_page("referrals/refused.html", context=_back_to_case)
refused_back_to_referral = refusal_page("referrals/refused.html", context=_back_to_referral)


@staff_required(*CASE_ROLES)
@require_POST
@refused_back_to_case
def case_removed(request: HttpRequest, case_id: int) -> HttpResponse:
    form = RemovedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how the removal was checked."))
        return HttpResponseRedirect(f"/cases/{case_id}/referrals/")
    if not is_confirmed(request):  # destructive: closes every open referral of the case; ask once more
        return confirm_page(
            request,
            title=_("Mark case #%(id)s as removed") % {"id": case_id},
            question=_("Is the material of case #%(id)s gone?") % {"id": case_id},
            consequences=[
                _("Every open referral of this case is closed and the time to removal is recorded."),
                _("The case moves to monitoring, then closes."),
            ],
            button=_("Yes, mark as removed"),
            cancel_url=f"/cases/{case_id}/referrals/",
        )
    services.mark_content_removed(case_id=case_id, actor=request.user, method=form.cleaned_data["method"])  # type: ignore[arg-type]
    messages.success(request, _("Marked as removed. The case is now monitored, then closed."))
    return HttpResponseRedirect(f"/cases/{case_id}/referrals/")


@staff_required(*CASE_ROLES)
@require_GET
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = _referral_or_404(referral_id)
    services.record_plan_view(case_id=referral.case_id, viewer=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "attempts": list(referral.delivery_attempts.all()),
            "ack_form": AcknowledgedForm(),
            "reply_form": ReplyForm(),
            "not_removed_form": NotRemovedForm(),
            "retry_form": RetryForm(initial={"recipient_email": ""}),
            "States": ReferralState,
        },
    )


def _action(
    form_class: type | None, call: Callable[..., Any], done: Any, confirm: tuple[Any, Any] | None = None
) -> Callable[..., HttpResponse]:
    """A POST action on one referral: parse its form, call one service, go back to the referral. A destructive
    one (`confirm`: its question and button) asks once more on a confirmation page first."""

    @staff_required(*CASE_ROLES)
    @require_POST
    @refused_back_to_referral
    def view(request: HttpRequest, referral_id: int) -> HttpResponse:
        back = f"/referrals/{referral_id}/"
        fields: dict[str, Any] = {}
        if form_class is not None:
            form = form_class(request.POST)
            if not form.is_valid():
                raise ReferralError("; ".join(str(e) for errs in form.errors.values() for e in errs))
            fields = form.cleaned_data
        if confirm is not None and not is_confirmed(request):
            question, button = confirm
            return confirm_page(request, title=question, question=question, button=button, cancel_url=back)
        call(referral_id=referral_id, actor=request.user, **fields)
        messages.success(request, done)
        # Only one fixed return address is accepted (never an open redirect).
        return HttpResponseRedirect("/referrals/failed/" if request.POST.get("next") == "/referrals/failed/" else back)

    return view


mark_delivered = _action(None, services.mark_delivered, gettext_lazy("Marked as delivered."))
mark_acknowledged = _action(AcknowledgedForm, services.mark_acknowledged, gettext_lazy("Marked as acknowledged."))
record_reply = _action(ReplyForm, services.record_reply, gettext_lazy("The reply is recorded."))
release = _action(None, services.release_after_clearance, gettext_lazy("The notice will be sent now."))
retry = _action(RetryForm, services.retry_delivery, gettext_lazy("The delivery will be tried again now."))
not_removed = _action(
    NotRemovedForm,
    services.mark_not_removed,
    gettext_lazy("The referral is closed as not removed."),
    confirm=(gettext_lazy("Close this referral as not removed?"), gettext_lazy("Yes, close as not removed")),
)


@staff_required(*CASE_ROLES, POLICE_LIAISON)
@require_POST
@refused_back_to_referral
def download_package(request: HttpRequest, referral_id: int) -> HttpResponse:
    content, sha256, filename = services.open_package(referral_id=referral_id, actor=request.user)  # type: ignore[arg-type]
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Package-SHA256"] = sha256
    return response


@staff_required(POLICE_LIAISON, SUPERVISOR)
@require_GET
def police_packages(request: HttpRequest) -> HttpResponse:
    """The police liaison's page: police packages waiting to be collected (each download is audited)."""
    return render(request, "referrals/police.html", {"downloads": selectors.awaiting_download()[:500]})


@staff_required(*CASE_ROLES)
@require_GET
def referral_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    return render(
        request,
        "referrals/list.html",
        {
            "referrals": selectors.referral_list(state=state)[:200],
            "state": state,
            "states": ReferralState.choices,
            "downloads": selectors.awaiting_download(),
        },
    )


@staff_required(SUPERVISOR)
@require_GET
def failed_list(request: HttpRequest) -> HttpResponse:
    return render(request, "referrals/failed.html", {"referrals": selectors.failed_referrals()})


@staff_required(SUPERVISOR)
@require_GET
def escalated_list(request: HttpRequest) -> HttpResponse:
    return render(request, "referrals/escalated.html", {"referrals": selectors.escalated_referrals()})


@staff_required(SUPERVISOR, ADMIN)
@require_http_methods(["GET", "POST"])
def partners(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = PartnerForm(request.POST)
        if form.is_valid():
            try:
                services.create_partner(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except ReferralError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, _("Partner hotline added."))
                return HttpResponseRedirect("/referrals/partners/")
        else:
            status = 400
    else:
        form = PartnerForm(initial={"active": True, "language": "en"})
    return render(
        request, "referrals/partners.html", {"partners": selectors.all_partners(), "form": form}, status=status
    )


@staff_required(SUPERVISOR, ADMIN)
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = selectors.all_partners().filter(pk=partner_id).first()
    if partner is None:
        raise Http404(_("No such partner hotline."))
    status = 200
    if request.method == "POST":
        form = PartnerForm(request.POST)
        if form.is_valid():
            try:
                services.update_partner(partner_id=partner.pk, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except ReferralError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, _("Partner hotline saved."))
                return HttpResponseRedirect("/referrals/partners/")
        else:
            status = 400
    else:
        form = PartnerForm(
            initial={
                "name": partner.name,
                "countries": partner.countries,
                "referral_email": partner.referral_email,
                "language": partner.language,
                "active": partner.active,
            }
        )
    return render(request, "referrals/partner_edit.html", {"partner": partner, "form": form}, status=status)
