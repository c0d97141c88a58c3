"""The demo goals and results (`manage.py demo_data`, after the statistics history): the seed's page for the
second demo year, with two figures computed from the history (three times the tips in the first quarter, 79 % of
national-link cases from partner hotlines) and four entered by hand, published by the demo supervisor."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hotline.insights import demo
from hotline.insights.models import Goal
from hotline.insights.services import results
from hotline.staff.models import StaffUser

SUPERVISOR = "supervisor@hotline.example"


def load(stdout: Any) -> None:
    supervisor = StaffUser.objects.filter(email=SUPERVISOR).first()
    if supervisor is None:
        stdout.write("Goals and results skipped: the demo staff accounts are missing.")
        return
    goal_year = demo.history_years()[1]
    if Goal.objects.filter(year=goal_year).exists():
        stdout.write("Goals and results: already there.")
        return
    reach = results.create_goal(
        actor=supervisor,
        goal_year=goal_year,
        text=results.GoalText(
            title_sv="Fler tips når oss",
            title_en="More tips reach us",
            narrative_sv="Vi ville att fler skulle veta var man anmäler och att tipsen från våra partner skulle"
            " nå oss direkt.\n\nBåda delarna syns i siffrorna.",
            narrative_en="We wanted more people to know where to report, and the tips from our partner hotlines"
            " to reach us directly.\n\nBoth show in the figures.",
            order=1,
        ),
    )
    results.add_computed_indicator(
        actor=supervisor, goal=reach, label_sv="Tips under första kvartalet jämfört med ett år tidigare",
        label_en="Tips in the first quarter against a year earlier", figure="reports", quarter=1,
        year_earlier=True, order=1,
    )  # fmt: skip
    results.add_computed_indicator(
        actor=supervisor, goal=reach, label_sv="Andel bekräftade fall med svensk koppling från partnerlinjer",
        label_en="Share of confirmed cases with a national link from partner hotlines",
        figure="nexus_partner_share", order=2,
    )  # fmt: skip
    aware = results.create_goal(
        actor=supervisor,
        goal_year=goal_year,
        text=results.GoalText(
            title_sv="Fler känner till tipslinjen",
            title_en="More people know the hotline",
            narrative_sv="Kampanjer, ett seminarium och en namninsamling under året.",
            narrative_en="Campaigns, a seminar and a petition during the year.",
            order=2,
        ),
    )
    results.add_manual_indicator(
        actor=supervisor, goal=aware, label_sv="Känner till tipslinjen", label_en="Know the hotline",
        value=Decimal(8), baseline=Decimal(4), unit="%", source_sv="Undersökning bland allmänheten (demo)",
        source_en="Survey of the public (demo)", source_date=date(goal_year, 11, 20), order=1,
    )  # fmt: skip
    results.add_manual_indicator(
        actor=supervisor, goal=aware, label_sv="Deltagare på seminariet", label_en="Seminar attendees",
        value=Decimal(80), source_sv="Seminarium (demo)", source_en="Seminar (demo)",
        source_date=date(goal_year, 4, 22), order=2,
    )  # fmt: skip
    results.add_manual_indicator(
        actor=supervisor, goal=aware, label_sv="Följde seminariet på nätet", label_en="Followed the seminar online",
        value=Decimal(400), source_sv="Seminarium (demo)", source_en="Seminar (demo)",
        source_date=date(goal_year, 4, 22), order=3,
    )  # fmt: skip
    results.add_manual_indicator(
        actor=supervisor, goal=aware, label_sv="Namnunderskrifter överlämnade till ministern",
        label_en="Signatures handed to the minister", value=Decimal(5005),
        source_sv="Överlämning av namninsamlingen (demo)", source_en="Hand-over of the petition (demo)",
        source_date=date(goal_year, 10, 2), order=4,
    )  # fmt: skip
    published = results.publish(actor=supervisor, goal_year=goal_year)
    stdout.write(f"Goals and results: {goal_year} published (data version {published.data_version}).")
