"""The goals and results pages: staff pages to set a year's goals and indicators and to publish it (asked once
more), and the public page of a published year with its charts and PDF. Thin: forms, services, selectors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.core.authz import ADMIN, STATISTICIAN, SUPERVISOR, public, staff_required, user_has_any_role
from hotline.insights import definitions, results_charts, results_pdf
from hotline.insights.models import Goal, Indicator, IndicatorKind, PublishedResult
from hotline.insights.results_forms import (
    QUARTERS,
    ComputedIndicatorForm,
    GoalForm,
    ManualIndicatorForm,
    NewGoalForm,
)
from hotline.insights.selectors import results as results_selectors
from hotline.insights.services import results as results_services
from hotline.staff.confirm import confirm_page, is_confirmed

VIEW_ROLES = (STATISTICIAN, SUPERVISOR, ADMIN)


def staff_year_path(goal_year: int) -> str:
    return f"/insights/results/{goal_year}/"


def public_year_path(goal_year: int) -> str:
    return f"/results/{goal_year}/"


# --- staff ---------------------------------------------------------------------------------------------------
def _can_edit(request: HttpRequest) -> bool:
    return user_has_any_role(request.user, [SUPERVISOR])


@staff_required(*VIEW_ROLES)
@require_GET
def years_page(request: HttpRequest) -> HttpResponse:
    return _years(request, NewGoalForm())


def _years(request: HttpRequest, form: NewGoalForm, *, status: int = 200, refusal: str = "") -> HttpResponse:
    return render(
        request,
        "insights/results/years.html",
        {"years": results_selectors.years(), "form": form, "can_edit": _can_edit(request), "refusal": refusal},
        status=status,
    )


@staff_required(SUPERVISOR)
@require_POST
def new_goal(request: HttpRequest) -> HttpResponse:
    form = NewGoalForm(request.POST)
    if not form.is_valid():
        return _years(request, form, status=400)
    try:
        goal = results_services.create_goal(
            actor=request.user, goal_year=form.cleaned_data["year"], text=form.goal_text()
        )
    except results_services.ResultsError as refused:
        return _years(request, form, status=400, refusal=str(refused.message))
    return redirect(staff_year_path(goal.year))


def _goal_forms(goal: Goal, bound: dict[str, Any]) -> dict[str, Any]:
    fields = ("title_sv", "title_en", "narrative_sv", "narrative_en", "order")
    return {
        "edit": bound.get(f"g{goal.pk}")
        or GoalForm(prefix=f"g{goal.pk}", initial={name: getattr(goal, name) for name in fields}),
        "computed": bound.get(f"c{goal.pk}") or ComputedIndicatorForm(prefix=f"c{goal.pk}"),
        "manual": bound.get(f"m{goal.pk}") or ManualIndicatorForm(prefix=f"m{goal.pk}"),
    }


def _indicator_words(indicator: Indicator) -> dict[str, str]:
    """How an indicator is measured, in words for the staff page."""
    if indicator.kind == IndicatorKind.COMPUTED:
        spec = results_selectors.computed_figures().get(indicator.figure)
        period = dict(QUARTERS)[str(indicator.quarter or "")]
        how = _("Computed: %(figure)s, %(period)s") % {
            "figure": spec.label if spec else _("a figure no longer offered"),
            "period": str(period).lower(),
        }
        if indicator.year_earlier:
            how += " " + _("(against the same period a year earlier)")
        definition = definitions.definition_url(spec.anchor) if spec else ""
        return {"how": how, "definition": definition, "value": _("Frozen when the year is published")}
    value = results_selectors.manual_text(indicator.value, indicator.unit)
    if indicator.baseline is not None:
        value = _("from %(baseline)s to %(value)s") % {
            "baseline": results_selectors.manual_text(indicator.baseline, indicator.unit),
            "value": value,
        }
    source = indicator.source_en if translation.get_language() == "en" else indicator.source_sv
    return {"how": _("Entered by hand: %(source)s") % {"source": source}, "definition": "", "value": value}


def _year(
    request: HttpRequest, goal_year: int, *, bound: dict[str, Any] | None = None, status: int = 200, refusal: str = ""
) -> HttpResponse:
    bound = bound or {}
    goals = [
        {
            "goal": goal,
            "forms": _goal_forms(goal, bound),
            "indicators": [{"indicator": i, **_indicator_words(i)} for i in goal.indicators.all()],
        }
        for goal in results_selectors.goals(goal_year)
    ]
    return render(
        request,
        "insights/results/year.html",
        {
            "year": goal_year,
            "goals": goals,
            "new_goal": bound.get("new") or GoalForm(prefix="new"),
            "current": results_selectors.current_result(goal_year),
            "earlier": results_selectors.earlier_results(goal_year),
            "can_edit": _can_edit(request),
            "public_path": public_year_path(goal_year),
            "refusal": refusal,
        },
        status=status,
    )


@staff_required(*VIEW_ROLES)
@require_GET
def year_page(request: HttpRequest, year: int) -> HttpResponse:
    return _year(request, year)


@staff_required(SUPERVISOR)
@require_POST
def add_goal(request: HttpRequest, year: int) -> HttpResponse:
    form = GoalForm(request.POST, prefix="new")
    if not form.is_valid():
        return _year(request, year, bound={"new": form}, status=400)
    try:
        results_services.create_goal(actor=request.user, goal_year=year, text=form.goal_text())
    except results_services.ResultsError as refused:
        return _year(request, year, bound={"new": form}, status=400, refusal=str(refused.message))
    return redirect(staff_year_path(year))


@staff_required(SUPERVISOR)
@require_POST
def edit_goal(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(Goal, pk=pk)
    form = GoalForm(request.POST, prefix=f"g{goal.pk}")
    if not form.is_valid():
        return _year(request, goal.year, bound={f"g{goal.pk}": form}, status=400)
    results_services.edit_goal(actor=request.user, goal=goal, text=form.goal_text())
    return redirect(staff_year_path(goal.year))


@staff_required(SUPERVISOR)
@require_POST
def add_computed(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(Goal, pk=pk)
    form = ComputedIndicatorForm(request.POST, prefix=f"c{goal.pk}")
    if not form.is_valid():
        return _year(request, goal.year, bound={f"c{goal.pk}": form}, status=400)
    data = form.cleaned_data
    try:
        results_services.add_computed_indicator(
            actor=request.user, goal=goal, label_sv=data["label_sv"], label_en=data["label_en"],
            figure=data["figure"], quarter=data["quarter"], year_earlier=data["year_earlier"],
            order=data.get("order") or 0,
        )  # fmt: skip
    except results_services.ResultsError as refused:
        return _year(request, goal.year, bound={f"c{goal.pk}": form}, status=400, refusal=str(refused.message))
    return redirect(staff_year_path(goal.year))


@staff_required(SUPERVISOR)
@require_POST
def add_manual(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(Goal, pk=pk)
    form = ManualIndicatorForm(request.POST, prefix=f"m{goal.pk}")
    if not form.is_valid():
        return _year(request, goal.year, bound={f"m{goal.pk}": form}, status=400)
    data = form.cleaned_data
    try:
        results_services.add_manual_indicator(
            actor=request.user, goal=goal, label_sv=data["label_sv"], label_en=data["label_en"],
            value=data["value"], unit=data["unit"] or "", baseline=data["baseline"], target=data["target"],
            source_sv=data["source_sv"], source_en=data["source_en"], source_date=data["source_date"],
            order=data.get("order") or 0,
        )  # fmt: skip
    except results_services.ResultsError as refused:
        return _year(request, goal.year, bound={f"m{goal.pk}": form}, status=400, refusal=str(refused.message))
    return redirect(staff_year_path(goal.year))


@staff_required(SUPERVISOR)
@require_POST
def remove_indicator(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = get_object_or_404(Indicator.objects.select_related("goal"), pk=pk)
    goal_year = indicator.goal.year
    if not is_confirmed(request):
        label = indicator.label_en if translation.get_language() == "en" else indicator.label_sv
        return confirm_page(
            request,
            title=_("Remove the indicator?"),
            question=_("Remove the indicator “%(label)s”?") % {"label": label},
            button=_("Remove the indicator"),
            cancel_url=staff_year_path(goal_year),
            consequences=[_("A page already published keeps it until the year is published again.")],
        )
    results_services.remove_indicator(actor=request.user, indicator=indicator)
    return redirect(staff_year_path(goal_year))


@staff_required(SUPERVISOR)
@require_POST
def publish(request: HttpRequest, year: int) -> HttpResponse:
    if not is_confirmed(request):
        consequences = [
            _("Every computed figure is frozen as it is now; later changes to the data do not change the page."),
            _("Anyone can read the page at %(path)s, in Swedish and English, and as a PDF.")
            % {"path": public_year_path(year)},
        ]
        if results_selectors.current_result(year) is not None:
            consequences.append(_("It replaces the page published before, which is kept."))
        return confirm_page(
            request,
            title=_("Publish the results of %(year)s?") % {"year": year},
            question=_("Publish the goals and results of %(year)s?") % {"year": year},
            button=_("Publish"),
            cancel_url=staff_year_path(year),
            consequences=consequences,
        )
    try:
        results_services.publish(actor=request.user, goal_year=year)
    except results_services.ResultsError as refused:
        return _year(request, year, status=400, refusal=str(refused.message))
    return redirect(staff_year_path(year))


def _publication(pk: int) -> tuple[PublishedResult, results_selectors.ShownPage]:
    result = get_object_or_404(PublishedResult, pk=pk)
    return result, results_selectors.shown_page(result, translation.get_language() or "sv")


@staff_required(*VIEW_ROLES)
@require_GET
def published_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Any publication, current or earlier, exactly as it was published (from its own snapshot)."""
    result, page = _publication(pk)
    return render(
        request,
        "insights/results/published.html",
        {
            "page": page,
            "current": result.current,
            "chart_base": f"/insights/results/published/{pk}/charts/",
            "chart_width": results_charts.WIDTH,
            "chart_height": results_charts.HEIGHT,
        },
    )


@staff_required(*VIEW_ROLES)
@require_GET
def published_chart(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    indicator = results_selectors.indicator_of(_publication(pk)[1], number)
    if indicator is None:
        raise Http404("No such chart.")
    return _svg(indicator)


# --- public --------------------------------------------------------------------------------------------------
def _published(year: int) -> results_selectors.ShownPage:
    result = results_selectors.current_result(year)
    if result is None:
        raise Http404("No results published for this year.")
    return results_selectors.shown_page(result, translation.get_language() or "sv")


@public
@require_GET
def public_year(request: HttpRequest, year: int) -> HttpResponse:
    page = _published(year)
    return render(
        request,
        "insights/results/public_year.html",
        {
            "page": page,
            "chart_width": results_charts.WIDTH,
            "chart_height": results_charts.HEIGHT,
            "chart_base": f"/results/{year}/charts/",
            "pdf_path": f"/results/{year}.pdf",
            "definitions_path": definitions.PUBLIC_DEFINITIONS_PATH,
        },
    )


@public
@require_GET
def public_chart(request: HttpRequest, year: int, number: int) -> HttpResponse:
    indicator = results_selectors.indicator_of(_published(year), number)
    if indicator is None:
        raise Http404("No such chart.")
    return _svg(indicator)


def _svg(indicator: results_selectors.ShownIndicator) -> HttpResponse:
    svg = results_charts.render(indicator)
    response = HttpResponse(svg.text, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = svg.policy  # the page's policy is not the image's (CSPMiddleware)
    return response


@public
@require_GET
def public_pdf(request: HttpRequest, year: int) -> HttpResponse:
    page = _published(year)
    language = translation.get_language() or "sv"
    organisation = settings.HOTLINE_ORGANISATION
    body = results_pdf.render(page, language=language, organisation=organisation)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="results-{year}-{language}.pdf"'
    return response
