"""Casework pages: queue, case page, claim, assessment, review, supervision. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotline.cases import selectors, services
from hotline.cases.forms import (
    AssessmentForm,
    CloseForm,
    NoteForm,
    PoliceNowForm,
    QueueFilterForm,
    ReviewForm,
    SearchForm,
)
from hotline.cases.models import (
    Assessment,
    AssessmentStatus,
    Case,
    CloseReason,
    NexusHint,
    SituationUrgency,
    SituationVerdict,
)
from hotline.cases.rules import decode_cursor
from hotline.core.authz import ANALYST, SUPERVISOR, staff_required
from hotline.core.errors import DomainError, refusal_page
from hotline.staff.confirm import confirm_page, is_confirmed

CASE_ROLES = (ANALYST, SUPERVISOR)


def _refused_context(request: HttpRequest, error: DomainError, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The refused page links back to the case (reloaded: it may have changed meanwhile)."""
    case_id = kwargs.get("case_id")
    return {"case": Case.objects.filter(pk=case_id).first() if isinstance(case_id, int) else None}


# A refused action (the services' domain errors) answers with its 4xx page, which links back to the case.
case_errors = refusal_page("cases/refused.html", context=_refused_context)


def _user(request: HttpRequest) -> Any:
    return request.user


def _case_url(case: Case | int) -> str:
    return f"/cases/{case if isinstance(case, int) else case.pk}/"


def _queue_context(request: HttpRequest) -> tuple[str, selectors.QueueFilters]:
    """The analyst's queue filters, carried in the query string from the queue to the case page and the
    assessment form (staff-side values only: QueueFilterForm.to_query): the query string ("" when
    unfiltered) and the QueueFilters "save and next case" picks from."""
    form = QueueFilterForm(request.GET or None, analysts=selectors.analysts_for_filter() if request.GET else [])
    return form.to_query(), form.to_filters(viewer_id=_user(request).pk)


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


# --- queue ------------------------------------------------------------------------------------------
@staff_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
def queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    analysts = selectors.analysts_for_filter()
    filter_form = QueueFilterForm(request.GET or None, analysts=analysts)
    context: dict[str, Any] = {
        "filter_form": filter_form,
        "exposure": selectors.exposure_today(analyst=user),
        "now": timezone.now(),
        # Marked at the top whatever the filters: a child at risk now comes before everything else.
        "danger_rows": selectors.case_rows(selectors.immediate_danger_cases()),
    }
    if request.method == "POST":
        search_form = SearchForm(request.POST)
        if not search_form.is_valid():
            context.update(search_form=search_form, page=None)
            return render(request, "cases/queue.html", context, status=400)
        result = selectors.search_cases(query=search_form.cleaned_data["q"])
        if len(result.cases) == 1 and result.kind in {"case_id", "url", "receipt"}:
            return HttpResponseRedirect(_case_url(result.cases[0].pk))
        # The search term is not echoed back: it may be a reported URL or a receipt code.
        context.update(
            search_form=SearchForm(), search=result, search_rows=selectors.case_rows(result.cases), page=None
        )
        return render(request, "cases/queue.html", context, status=400 if result.problem else 200)
    filters = filter_form.to_filters(viewer_id=user.pk)
    cursor = decode_cursor(request.GET.get("after", ""))
    page = selectors.queue_page(filters=filters, cursor=cursor)
    params = request.GET.copy()
    params.pop("after", None)
    context.update(
        search_form=SearchForm(),
        page=page,
        rows=selectors.case_rows(page.cases),
        filter_query=params.urlencode(),
        # The case links carry the filters on to the case page and its assessment ("save and next case").
        case_query=filter_form.to_query(),
    )
    return render(request, "cases/queue.html", context)


# --- the case page ------------------------------------------------------------------------------
@staff_required(*CASE_ROLES)
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_page(request, get_object_or_404(Case, pk=case_id))


def _case_page(request: HttpRequest, case: Case, *, close_form: CloseForm | None = None) -> HttpResponse:
    """The case page; with a refused close form, again with its errors next to their fields (a 400)."""
    services.record_case_view(case=case, viewer=_user(request))
    page = selectors.case_page(case=case)
    queue_query, _filters = _queue_context(request)
    return render(
        request,
        "cases/case_detail.html",
        {
            "page": page,
            "case": case,
            "holder": case.claim_holder(),
            "note_form": NoteForm(),
            "close_form": close_form or CloseForm(initial={"version": case.version}),
            "may_close": services.may_close_without_assessment(case),
            "duplicates": list(case.duplicates.order_by("pk").values_list("pk", flat=True)),
            "exposure": selectors.exposure_today(analyst=_user(request)),
            "YES": NexusHint.YES,
            "police_now": services.police_now_refusal(case) is None,
            "queue_query": queue_query,
        },
        status=400 if close_form is not None else 200,
    )


@staff_required(*CASE_ROLES)
@require_POST
@case_errors
def claim(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(Case, pk=case_id)
    services.claim_case(case=case, analyst=_user(request))
    until = timezone.localtime(case.claimed_until).strftime("%H:%M") if case.claimed_until else ""
    messages.success(request, _("You hold this case until %(until)s.") % {"until": until})
    return HttpResponseRedirect(_case_url(case))


@staff_required(*CASE_ROLES)
@require_POST
@case_errors
def release(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(Case, pk=case_id)
    services.release_case(case=case, actor=_user(request))
    messages.success(request, _("The case is back in the queue."))
    return HttpResponseRedirect(_case_url(case))


@staff_required(*CASE_ROLES)
@require_POST
@case_errors
def copy_url(request: HttpRequest, case_id: int) -> HttpResponse:
    """POST only, audited. With JavaScript the page's script asks for JSON and copies to the clipboard;
    without, a page shows the URL in a text field to copy by hand."""
    case = get_object_or_404(Case, pk=case_id)
    url = services.reveal_case_url(case=case, actor=_user(request))
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"url": url})
    return render(request, "cases/copy_url.html", {"case": case, "url": url})


@staff_required(*CASE_ROLES)
@require_POST
@case_errors
def add_note(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(Case, pk=case_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        raise services.CaseError(_("Write something in the note (at most 10,000 characters)."))
    services.add_note(case=case, author=_user(request), text=form.cleaned_data["text"])
    messages.success(request, _("Note saved."))
    return HttpResponseRedirect(_case_url(case) + "#timeline")


@staff_required(*CASE_ROLES)
@require_POST
@case_errors
def close(request: HttpRequest, case_id: int) -> HttpResponse:
    """Closing asks once more: the first POST is checked and answered with a confirmation page (no JavaScript
    needed); only the confirmed second POST closes the case."""
    case = get_object_or_404(Case, pk=case_id)
    form = CloseForm(request.POST)
    if not form.is_valid():
        if "version" in form.errors:
            raise services.CaseError(_("The form is incomplete: reload the page."))
        # A wrong reason or case number: the case page again, the error next to its field, what was typed kept.
        return _case_page(request, case, close_form=form)
    reason = form.cleaned_data["reason"]
    duplicate_of = form.cleaned_data.get("duplicate_of") if reason == CloseReason.DUPLICATE else None
    if form.cleaned_data["version"] != case.version:
        raise services.StaleCase()
    refusal = services.close_refusal(case=case, reason=reason, duplicate_of=duplicate_of)
    if refusal is not None:
        if reason == CloseReason.DUPLICATE and refusal == services.duplicate_refusal(
            case=case, duplicate_of=duplicate_of
        ):
            form.add_error("duplicate_of", refusal)
            return _case_page(request, case, close_form=form)
        raise services.CaseError(refusal)
    if not is_confirmed(request):
        if duplicate_of is not None:
            question = _("Close case #%(id)s as a duplicate of case #%(other)s?") % {
                "id": case.pk,
                "other": duplicate_of,
            }
        else:
            question = _("Close case #%(id)s as “%(reason)s”?") % {"id": case.pk, "reason": CloseReason(reason).label}
        return confirm_page(
            request,
            title=_("Close case #%(id)s") % {"id": case.pk},
            question=question,
            consequences=[
                _("The case leaves the queue without an assessment; its claim ends."),
                _("It reopens by itself if the same URL is reported again."),
            ],
            button=_("Yes, close the case"),
            cancel_url=_case_url(case),
        )
    services.close_case(
        case=case,
        actor=_user(request),
        reason=reason,
        expected_version=form.cleaned_data["version"],
        duplicate_of=duplicate_of,
    )
    messages.success(request, _("Case closed."))
    return HttpResponseRedirect(_case_url(case))


# --- contact police now ------------------------------------------------------------------------------
@staff_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
@case_errors
def police_now(request: HttpRequest, case_id: int) -> HttpResponse:
    """A child at risk in this country: the short situation form (GET shows it and changes nothing), a
    confirmation page without JavaScript, then the police referral at once (docs/priority.md)."""
    case = get_object_or_404(Case, pk=case_id)
    refusal = services.police_now_refusal(case)
    if refusal is not None:
        raise services.CaseError(refusal)
    status = 200
    if request.method == "POST":
        form = PoliceNowForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if data["version"] != case.version:
                raise services.StaleCase()
            if not is_confirmed(request):
                return confirm_page(
                    request,
                    title=_("Contact police now about case #%(id)s") % {"id": case.pk},
                    question=_("Send a police referral for case #%(id)s now, before any assessment of material?")
                    % {"id": case.pk},
                    consequences=[
                        _("Situation: %(verdict)s. Urgency: %(urgency)s.")
                        % {
                            "verdict": SituationVerdict(data["verdict"]).label,
                            "urgency": SituationUrgency(data["urgency"]).label,
                        },
                        _("The police receive the referral with your notes and the tipsters' descriptions."),
                        _("If a child is in danger right now, also call 112."),
                    ],
                    button=_("Yes, send to the police now"),
                    cancel_url=_case_url(case),
                )
            services.contact_police_now(
                case=case,
                actor=_user(request),
                verdict=data["verdict"],
                urgency=data["urgency"],
                notes=data["notes"],
                expected_version=data["version"],
            )
            messages.success(request, _("The police referral is planned and on its way."))
            return HttpResponseRedirect(_case_url(case) + "#timeline")
        status = 400
    else:
        services.record_case_view(case=case, viewer=_user(request))
        form = PoliceNowForm(initial={"version": case.version, "verdict": "child_at_risk", "urgency": "now"})
    return render(
        request,
        "cases/police_now.html",
        {
            "case": case,
            "form": form,
            "side_reports": selectors.case_reports(case),
            "reporter_classifications": selectors.reporter_classifications(case),
        },
        status=status,
    )


# --- assessment -------------------------------------------------------------------------------------
def _initial_assessment(case: Case) -> dict[str, Any]:
    current = selectors.current_assessment(case)
    if current is None:
        return {"kind": case.kind, "version": case.version}
    return {
        "version": case.version,
        "verdict": current.verdict,
        "kind": current.kind,
        "media_types": current.media_types,
        "image_count": current.image_count,
        "video_count": current.video_count,
        "victim_age_group": current.victim_age_group,
        "victim_gender": current.victim_gender,
        "site_type": current.site_type,
        "commercial": current.commercial,
        "payment_indicators": current.payment_indicators,
        "nexus_server": current.nexus_server,
        "nexus_victim": current.nexus_victim,
        "nexus_offender": current.nexus_offender,
    }


@staff_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
@case_errors
def assess(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(Case, pk=case_id)
    user = _user(request)
    # The queue's filters travel in the query string of this page and of its form's action.
    queue_query, queue_filters = _queue_context(request)
    if request.method == "POST":
        form = AssessmentForm(request.POST)
        if form.is_valid():
            assessment = services.assess_case(
                case=case, analyst=user, data=form.to_input(), expected_version=form.cleaned_data["version"]
            )
            if assessment.status == AssessmentStatus.AWAITING_REVIEW:
                messages.success(request, _("Assessment saved. It waits for a supervisor's confirmation."))
            else:
                messages.success(request, _("Assessment saved."))
            if request.POST.get("then") == "next":
                return _release_and_next(request, case, queue_query=queue_query, filters=queue_filters)
            return HttpResponseRedirect(_case_url(case))
        status = 400
    else:
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in {"same-origin", "none"}:
            # A link from another site shows the case, never the form.
            return HttpResponseRedirect(_case_url(case))
        holder = case.claim_holder()
        if holder is not None and holder.pk != user.pk:
            raise services.CaseClaimed(_("%(who)s is working on this case.") % {"who": holder})
        if not selectors.assessment_in_progress(case=case, analyst=user):
            # A page load changes nothing (tabs and link prefetching would claim cases and block colleagues):
            # claiming and starting the exposure clock wait for the button on this page (a POST).
            return render(
                request,
                "cases/assess_start.html",
                {
                    "case": case,
                    "holder": holder,
                    "exposure": selectors.exposure_today(analyst=user),
                    "queue_query": queue_query,
                },
            )
        services.record_case_view(case=case, viewer=user)
        form = AssessmentForm(initial=_initial_assessment(case))
        status = 200
    side_reports = selectors.case_reports(case)
    return render(
        request,
        "cases/assess.html",
        {
            "case": case,
            "form": form,
            "reporter_classifications": selectors.reporter_classifications(case),
            # Beside the form: what each tipster wrote and where the material is hosted (no scrolling back).
            "side_reports": side_reports,
            "side_hashes": selectors.report_hashes(side_reports),
            "current_assessment": selectors.current_assessment(case),
            "exposure": selectors.exposure_today(analyst=user),
            "queue_query": queue_query,
        },
        status=status,
    )


def _release_and_next(
    request: HttpRequest, case: Case, *, queue_query: str, filters: selectors.QueueFilters
) -> HttpResponse:
    """ "Save and next case": the claim goes back, and the next case opens on its case page (never claimed by
    a GET: the analyst starts its assessment with the button there), among the cases matching the analyst's
    queue filters; the filters go on with it."""
    user = _user(request)
    case.refresh_from_db()
    holder = case.claim_holder()
    if holder is not None and holder.pk == user.pk:
        services.release_case(case=case, actor=user)
    following = selectors.next_case_id(after_case_id=case.pk, viewer_id=user.pk, filters=filters)
    if following is None:
        messages.info(request, _("No other case is waiting in the queue."))
        return HttpResponseRedirect(_with_query("/cases/", queue_query))
    return HttpResponseRedirect(_with_query(_case_url(following), queue_query))


@staff_required(*CASE_ROLES)
@require_POST
@case_errors
def assess_start(request: HttpRequest, case_id: int) -> HttpResponse:
    """The button that begins an assessment: claims the case and starts the exposure clock, then shows the form."""
    case = get_object_or_404(Case, pk=case_id)
    services.begin_assessment(case=case, analyst=_user(request))
    queue_query, _filters = _queue_context(request)
    return HttpResponseRedirect(_with_query(_case_url(case) + "assess/", queue_query))


@staff_required(*CASE_ROLES)
@require_POST
def assess_leave(request: HttpRequest, case_id: int) -> HttpResponse:
    """Leaving the assessment page ends its exposure session (button, or the page's beacon on leaving)."""
    case = get_object_or_404(Case, pk=case_id)
    services.end_exposure(analyst=_user(request), case=case)
    if request.POST.get("beacon"):
        return HttpResponse(status=204)
    return HttpResponseRedirect(_case_url(case))


# --- supervision ------------------------------------------------------------------------------------
@staff_required(SUPERVISOR)
@require_http_methods(["GET", "POST"])
@case_errors
def review(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = get_object_or_404(Assessment.objects.select_related("case", "analyst"), pk=assessment_id)
    case = assessment.case
    status = 200
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "confirm"
            services.review_assessment(
                assessment=assessment,
                reviewer=_user(request),
                approve=approve,
                note=form.cleaned_data.get("note", ""),
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, _("Assessment confirmed.") if approve else _("Assessment sent back."))
            return HttpResponseRedirect("/cases/supervision/")
        status = 400
    else:
        services.record_case_view(case=case, viewer=_user(request))
        form = ReviewForm(initial={"version": case.version})
    return render(
        request,
        "cases/review.html",
        {
            "assessment": assessment,
            "case": case,
            "form": form,
            "reporter_classifications": selectors.reporter_classifications(case),
            "waiting": assessment.status == AssessmentStatus.AWAITING_REVIEW,
        },
        status=status,
    )


@staff_required(SUPERVISOR)
@require_GET
def supervision(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "cases/supervision.html",
        {
            "awaiting": selectors.awaiting_review(),
            "overdue": selectors.overdue_cases(now=now),
            "workload": selectors.workload(now=now),
            "team_exposure": selectors.team_exposure(now=now),
            "now": now,
        },
    )
