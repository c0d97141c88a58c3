"""The demo loads twice without duplicates; the Swedish catalogue is complete."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import polib
import pytest

from hotline.campaigns import demo
from hotline.campaigns.models import Petition, PetitionState, Signature, SignatureState, Subscriber

APP = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_demo_is_idempotent_and_consistent() -> None:
    demo.load(io.StringIO())
    demo.load(io.StringIO())
    main = Petition.objects.get(slug=demo.MAIN["slug"])
    assert main.state == PetitionState.OPEN
    assert main.signature_count == 40 == Signature.objects.filter(petition=main, state=SignatureState.CONFIRMED).count()
    assert all(s.email.endswith("@example.test") and s.name.startswith("Demo Person") for s in main.signatures.all())
    assert Petition.objects.get(slug=demo.CLOSED["slug"]).state == PetitionState.CLOSED
    assert Petition.objects.get(slug=demo.DRAFT["slug"]).state == PetitionState.DRAFT
    assert Subscriber.objects.filter(confirmed_at__isnull=False).count() == 4


def test_swedish_catalogue_is_complete() -> None:
    po = polib.pofile(str(APP / "locale/sv/LC_MESSAGES/django.po"))
    assert len(po) > 100
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert (APP / "locale/sv/LC_MESSAGES/django.mo").stat().st_mtime >= (
        APP / "locale/sv/LC_MESSAGES/django.po"
    ).stat().st_mtime - 5


def test_public_pages_are_swedish_by_default(client: Any, db: Any) -> None:
    demo.load(io.StringIO())
    html = client.get(f"/petitions/{demo.MAIN['slug']}/").content.decode()
    assert "Skriv under namninsamlingen" in html and "Välj din kommun" in html
