"""Campaigners' destructive actions ask once more on the shared confirmation page (no JavaScript needed): the first
POST changes nothing and answers with a page whose destructive button posts the same fields with confirmed=yes."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.campaigns import services
from hotline.campaigns.models import ExportState, NewsletterIssue, Petition, PetitionExport, PetitionState
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _asks_once_more(response: Any, action: str) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="confirm-form"' in html and f'action="{action}"' in html
    assert 'name="confirmed" value="yes"' in html and 'class="button-danger"' in html
    return html


def test_closing_a_petition_asks_once_more(staff_client: Any, petition: Petition) -> None:
    campaigner = staff_client("campaigner")
    url = f"/campaigns/petitions/{petition.pk}/close/"
    html = _asks_once_more(campaigner.post(url), url)
    assert petition.title_sv in html and f'href="/campaigns/petitions/{petition.pk}/"' in html  # the way back
    petition.refresh_from_db()
    assert petition.state == PetitionState.OPEN
    assert not AuditEntry.objects.filter(action="petition.closed").exists()
    assert campaigner.post(url, {"confirmed": "yes"}).status_code == 302
    petition.refresh_from_db()
    assert petition.state == PetitionState.CLOSED


def test_erasing_signers_asks_once_more_and_keeps_the_ticked_box(staff_client: Any, petition: Petition) -> None:
    campaigner = staff_client("campaigner")
    services.close_petition(petition=petition, actor=campaigner.user)
    url = f"/campaigns/petitions/{petition.pk}/erase/"
    html = _asks_once_more(campaigner.post(url, {"confirm": "erase"}), url)
    assert 'name="confirm" value="erase"' in html  # the ticked box goes along with the second POST
    petition.refresh_from_db()
    assert petition.personal_data_erased_at is None
    campaigner.post(url, {"confirm": "erase", "confirmed": "yes"})
    petition.refresh_from_db()
    assert petition.personal_data_erased_at is not None


def test_deleting_an_export_asks_once_more(staff_client: Any, petition: Petition, settings: Any, tmp_path: Any) -> None:
    settings.HOTLINE_CAMPAIGN_EXPORT_DIR = str(tmp_path / "exports")
    campaigner = staff_client("campaigner")
    export = services.request_export(petition=petition, kind="csv", actor=campaigner.user)
    url = f"/campaigns/exports/{export.pk}/delete/"
    _asks_once_more(campaigner.post(url), url)
    assert not AuditEntry.objects.filter(action="petition.export_deleted").exists()
    assert PetitionExport.objects.get(pk=export.pk).state != ExportState.DELETED
    assert campaigner.post(url, {"confirmed": "yes"}).status_code == 302
    assert PetitionExport.objects.get(pk=export.pk).state == ExportState.DELETED


def test_sending_a_newsletter_asks_once_more(staff_client: Any) -> None:
    campaigner = staff_client("campaigner")
    issue = services.create_issue(actor=campaigner.user, subject_sv="Ämne", body_sv="Text")
    url = f"/campaigns/newsletter/issues/{issue.pk}/send/"
    _asks_once_more(campaigner.post(url, {"confirm": "send"}), url)
    assert NewsletterIssue.objects.get(pk=issue.pk).state == "draft"


def test_destructive_buttons_are_styled_as_destructive(staff_client: Any, petition: Petition) -> None:
    html = staff_client("campaigner").get(f"/campaigns/petitions/{petition.pk}/").content.decode()
    assert f'action="/campaigns/petitions/{petition.pk}/close/">' in html
    close_form = html.split(f'action="/campaigns/petitions/{petition.pk}/close/">', 1)[1].split("</form>", 1)[0]
    assert 'class="button-danger"' in close_form
