"""A read-only JSON API for statisticians (docs/api.md, "Statistics API"): the key figures of a period with its
comparison periods, and each table. Signed-in staff with a statistics role (the staff session, second factor
verified; GET only). Every refusal is an RFC 9457 problem in words."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hotline.core.authz import ADMIN, STATISTICIAN, SUPERVISOR, declare, user_has_any_role
from hotline.insights import definitions
from hotline.insights.period_form import PeriodForm
from hotline.insights.selectors import tables
from hotline.insights.selectors.figures import Period, figures
from hotline.intake.api import problem

ROLES = (STATISTICIAN, SUPERVISOR, ADMIN)


def _json(body: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def statistics_api(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not user.is_verified():  # type: ignore[union-attr,attr-defined]
            # Like every staff address: sign in first (the staff session is the API's credential).
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not user_has_any_role(user, ROLES):
            return problem(403, _("The statistics API is for statisticians, supervisors and administrators."))
        return view(request, *args, **kwargs)

    return declare(require_GET(wrapper), *ROLES)


def _period(request: HttpRequest) -> Period | HttpResponse:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return problem(400, _("The period is not valid: %(reasons)s") % {"reasons": form.error_text()})
    return form.period


def _period_json(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "unit": period.unit}


def _figures_json(period: Period) -> dict[str, Any]:
    table = tables.key_figures(figures(period))
    return {"period": _period_json(period), "figures": {row[0]: row[2] for row in table.rows}}


@statistics_api
def figures_view(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    if isinstance(period, HttpResponse):
        return period
    return _json(
        {
            "definitions_version": definitions.DEFINITIONS_VERSION,
            **_figures_json(period),
            "previous": _figures_json(period.previous()),
            "year_earlier": _figures_json(period.year_earlier()),
        }
    )


@statistics_api
def table_view(request: HttpRequest, name: str) -> HttpResponse:
    if name not in tables.BUILDERS:
        return problem(
            404,
            _("There is no table %(name)s. Tables: %(names)s.")
            % {"name": name, "names": ", ".join(tables.TABLE_NAMES)},
        )
    period = _period(request)
    if isinstance(period, HttpResponse):
        return period
    table = tables.table(name, period)
    return _json(
        {
            "definitions_version": definitions.DEFINITIONS_VERSION,
            "period": _period_json(period),
            "name": table.name,
            "title": table.title,
            "definition": f"/insights/definitions/#{table.anchor}",
            "columns": [{"key": k, "heading": h} for k, h in zip(table.keys, table.headings, strict=True)],
            "rows": table.as_dicts(),
        }
    )
