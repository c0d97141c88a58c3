"""Petitions and signatures built one way, for tests (never used by a request). Raw rows: no audit entry,
no mail, no counter update (the demo and the tests of the flows go through campaigns' services).
Made-up addresses under example.test only; neutral texts."""

from __future__ import annotations

import secrets
from typing import Any

from hotline.campaigns import rules, services
from hotline.campaigns.models import Petition, PetitionState, Signature


def make_petition(**overrides: Any) -> Petition:
    """An open petition (Swedish and English texts, goal 100) as a raw row; `overrides` are Petition fields."""
    fields: dict[str, Any] = {
        "slug": "barnets-rattigheter",
        "title_sv": "Utbildning om barnets rättigheter",
        "title_en": "Training on children's rights",
        "text_sv": "Vi vill att juristprogrammen undervisar om barnets rättigheter.",
        "text_en": "We want law schools to teach children's rights.",
        "recipient_sv": "Utbildningsministern",
        "recipient_en": "The Minister for Education",
        "goal": 100,
        "state": PetitionState.OPEN,
    }
    fields.update(overrides)
    return Petition.objects.create(**fields)


def signature_row(petition: Petition, email: str, **fields: Any) -> Signature:
    """An unsaved signature of `email` (pending unless `state` is given) with the index, domain and link salt
    sign_petition gives it: for bulk_create when a test needs many. `fields` are Signature fields."""
    values: dict[str, Any] = {
        "name": "Test Person",
        "email": email,
        "email_index": services.signature_email_index(email),
        "email_domain": rules.email_domain(email),
        "municipality": "0180",
        "token_salt": secrets.token_urlsafe(12),
        **fields,
    }
    return Signature(petition=petition, **values)
