"""Campaigners' pages: create, edit, open, close petitions; newsletter issues. Nobody else gets in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from hotline.campaigns import services
from hotline.campaigns.models import IssueState, NewsletterIssue, Petition, PetitionState
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW = {
    "title_sv": "Ny namninsamling",
    "title_en": "New petition",
    "text_sv": "Text på svenska.",
    "text_en": "Text in English.",
    "recipient_sv": "Regeringen",
    "recipient_en": "The government",
    "slug": "",
    "goal": "500",
    "deadline": "",
}


def test_campaigner_creates_opens_edits_and_closes(staff_client: Any, client: Any) -> None:
    campaigner = staff_client("campaigner")
    assert campaigner.get("/campaigns/").status_code == 200
    assert campaigner.get("/campaigns/petitions/new/").status_code == 200
    response = campaigner.post("/campaigns/petitions/new/", NEW)
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert (petition.slug, petition.state, petition.created_by) == ("ny-namninsamling", "draft", campaigner.user)
    assert client.get("/petitions/ny-namninsamling/").status_code == 404  # drafts are not public

    campaigner.post(f"/campaigns/petitions/{petition.pk}/open/")
    petition.refresh_from_db()
    assert petition.state == PetitionState.OPEN and petition.opened_at
    assert client.get("/petitions/ny-namninsamling/").status_code == 200

    # Open: the signed text is locked, the goal is not.
    edit = campaigner.post(f"/campaigns/petitions/{petition.pk}/edit/", {**NEW, "title_sv": "Ändrad", "goal": "900"})
    assert edit.status_code == 302
    petition.refresh_from_db()
    assert (petition.title_sv, petition.goal) == ("Ny namninsamling", 900)
    with pytest.raises(services.NotAllowed):
        services.update_petition(petition=petition, actor=campaigner.user, text_sv="Ny text")

    detail = campaigner.get(f"/campaigns/petitions/{petition.pk}/")
    assert detail.status_code == 200 and "900" in detail.content.decode()
    campaigner.post(f"/campaigns/petitions/{petition.pk}/close/", {"confirmed": "yes"})
    petition.refresh_from_db()
    assert petition.state == PetitionState.CLOSED
    actions = list(AuditEntry.objects.filter(object_type="petition").order_by("seq").values_list("action", flat=True))
    assert actions == ["petition.created", "petition.opened", "petition.updated", "petition.closed"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title_sv": ""}, "måste fyllas i"),
        ({"goal": "0"}, "minst 1"),
        ({"slug": "confirm"}, "reserverad"),
        ({"deadline": "2001-01-01T10:00"}, "framtiden"),
    ],
)
def test_bad_petition_input(staff_client: Any, changes: dict[str, str], message: str) -> None:
    response = staff_client("campaigner").post("/campaigns/petitions/new/", {**NEW, **changes})
    assert response.status_code == 400 and message in response.content.decode()
    assert Petition.objects.count() == 0


def test_slugs_are_unique(staff_client: Any) -> None:
    campaigner = staff_client("campaigner")
    campaigner.post("/campaigns/petitions/new/", NEW)
    again = campaigner.post("/campaigns/petitions/new/", NEW)
    assert again.status_code == 400 and "redan" in again.content.decode()


def test_cannot_open_past_its_deadline(make_staff: Any) -> None:
    actor = make_staff("campaigner")
    petition = services.create_petition(
        actor=actor, title_sv="T", text_sv="T", recipient_sv="R", goal=5, deadline=timezone.now() + timedelta(hours=1)
    )
    Petition.objects.filter(pk=petition.pk).update(deadline=timezone.now() - timedelta(hours=1))
    with pytest.raises(services.NotAllowed):
        services.open_petition(petition=petition, actor=actor)


@pytest.mark.parametrize("role", ["analyst", "supervisor", "admin", "statistician", "coalition_liaison"])
def test_other_roles_never_see_campaigns(staff_client: Any, role: str, petition: Petition) -> None:
    other = staff_client(role)
    for path in ("/campaigns/", f"/campaigns/petitions/{petition.pk}/", "/campaigns/newsletter/subscribers.csv"):
        assert other.get(path).status_code == 403, path
    assert other.post(f"/campaigns/petitions/{petition.pk}/close/").status_code == 403
    petition.refresh_from_db()
    assert petition.state == PetitionState.OPEN


def test_newsletter_issue_create_preview_send(staff_client: Any) -> None:
    campaigner = staff_client("campaigner")
    services.add_confirmed_subscriber(email="s@example.test", language="sv", actor=campaigner.user)
    assert campaigner.get("/campaigns/newsletter/").status_code == 200
    bad = campaigner.post(
        "/campaigns/newsletter/issues/new/", {"subject_sv": "Ämne", "body_sv": "x", "subject_en": "Only"}
    )
    assert bad.status_code == 400
    response = campaigner.post(
        "/campaigns/newsletter/issues/new/", {"subject_sv": "Ämne", "body_sv": "**Fet** text <script>x</script>"}
    )
    issue = NewsletterIssue.objects.get()
    detail = campaigner.get(response["Location"])
    html = detail.content.decode()
    assert "<strong>Fet</strong>" in html and "<script>x" not in html
    campaigner.post(f"/campaigns/newsletter/issues/{issue.pk}/send/")  # no confirmation box: nothing
    issue.refresh_from_db()
    assert issue.state == IssueState.DRAFT
    campaigner.post(f"/campaigns/newsletter/issues/{issue.pk}/send/", {"confirm": "send", "confirmed": "yes"})
    issue.refresh_from_db()
    assert issue.state == IssueState.SENDING and issue.recipients == 1
    assert campaigner.get(f"/campaigns/newsletter/issues/{issue.pk}/").status_code == 200
    edit = campaigner.post(f"/campaigns/newsletter/issues/{issue.pk}/edit/", {"subject_sv": "Nytt", "body_sv": "y"})
    assert edit.status_code == 400  # sent issues are frozen


def test_pages_render_in_english(staff_client: Any, petition: Petition) -> None:
    campaigner = staff_client("campaigner")
    campaigner.cookies["hotline_language"] = "en"
    assert "Hand-over exports" in campaigner.get(f"/campaigns/petitions/{petition.pk}/").content.decode()
    assert "Signatures over time" in campaigner.get(f"/campaigns/petitions/{petition.pk}/signatures/").content.decode()
