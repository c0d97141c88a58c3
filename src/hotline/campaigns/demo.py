"""Demo data for campaigns: a made-up petition with confirmed demo signatures, a closed one, a draft,
and a few newsletter subscribers. Reserved names only (example.test). Safe to run again."""

from __future__ import annotations

from typing import Any

from hotline.campaigns import services
from hotline.campaigns.models import Petition, PetitionState

ACTOR = "demo"

MAIN = {
    "slug": "barnets-rattigheter-pa-juristutbildningen",
    "title_sv": "Gör undervisning om barnets rättigheter obligatorisk på juristutbildningen",
    "title_en": "Make teaching on children's rights mandatory in law schools",
    "text_sv": (
        "Barnkonventionen är svensk lag sedan 2020. Ändå kan man i dag bli jurist utan att ha läst "
        "om barnets rättigheter, om barnsexhandel eller om hur barn som utsatts för brott ska bemötas "
        "i rättsprocessen.\n\n"
        "Vi uppmanar regeringen att göra undervisning om barnets rättigheter och om barnsexhandel till en "
        "obligatorisk del av juristprogrammen, så att alla som arbetar i rättsväsendet har den kunskap "
        "som barn har rätt att förvänta sig."
    ),
    "text_en": (
        "The UN Convention on the Rights of the Child has been Swedish law since 2020. Even so, one can "
        "become a lawyer today without having studied children's rights, child sex trafficking, or how "
        "children who are victims of crime should be met in court.\n\n"
        "We call on the government to make teaching on children's rights and child sex trafficking a "
        "mandatory part of law degrees, so that everyone working in the justice system has the knowledge "
        "children have a right to expect."
    ),
    "recipient_sv": "Utbildningsministern",
    "recipient_en": "The Minister for Education",
    "goal": 5000,
}

CLOSED = {
    "slug": "kunskap-om-natets-risker-i-skolan",
    "title_sv": "Kunskap om nätets risker för barn i varje skola",
    "title_en": "Knowledge about online risks for children in every school",
    "text_sv": "Vi uppmanar skolhuvudmännen att ge alla elever åldersanpassad undervisning om trygghet på nätet.",
    "text_en": "We call on school authorities to give every pupil age-appropriate teaching about staying safe online.",
    "recipient_sv": "Sveriges Kommuner och Regioner",
    "recipient_en": "The Swedish Association of Local Authorities and Regions",
    "goal": 1000,
}

DRAFT = {
    "slug": "utkast-stoppa-barnsexhandeln",
    "title_sv": "Utkast: stärk arbetet mot barnsexhandel",
    "title_en": "Draft: strengthen the work against child sex trafficking",
    "text_sv": "Ett utkast som ännu inte är publicerat.",
    "recipient_sv": "Justitieministern",
    "goal": 2000,
}

MUNICIPALITIES = ["0180", "1480", "1280", "0380", "0580", "1880", "2480", "0680", "1281", "2281", "1490", "0980"]


def _petition(fields: dict[str, Any]) -> Petition:
    existing = Petition.objects.filter(slug=fields["slug"]).first()
    return existing or services.create_petition(actor=ACTOR, **fields)


def _sign(petition: Petition, count: int, prefix: str) -> None:
    for n in range(1, count + 1):
        services.add_verified_signature(
            petition=petition,
            name=f"Demo Person {n}",
            email=f"{prefix}{n}@example.test",
            municipality="abroad" if n % 10 == 0 else MUNICIPALITIES[n % len(MUNICIPALITIES)],
            country="NO" if n % 10 == 0 else "",
            actor=ACTOR,
        )


def load(stdout: Any) -> None:
    main = _petition(MAIN)
    if main.state == PetitionState.DRAFT:
        main = services.open_petition(petition=main, actor=ACTOR)
    _sign(main, 40, "demo-signer-")

    closed = _petition(CLOSED)
    if closed.state == PetitionState.DRAFT:
        closed = services.open_petition(petition=closed, actor=ACTOR)
    if closed.state == PetitionState.OPEN:
        _sign(closed, 12, "demo-closed-signer-")
        services.close_petition(petition=closed, actor=ACTOR, reason="demo")

    _petition(DRAFT)

    for n, language in enumerate(["sv", "sv", "en", "sv"], 1):
        services.add_confirmed_subscriber(email=f"demo-subscriber-{n}@example.test", language=language, actor=ACTOR)
    main.refresh_from_db()
    stdout.write(
        f"Campaigns: petition /petitions/{main.slug}/ with {main.signature_count} confirmed demo signatures, "
        "a closed and a draft petition, 4 newsletter subscribers."
    )
