"""One mailbox signs once (issue 20, point 1): spellings that mail systems rewrite are refused, and the
dedup key is the mailbox the mail is delivered to, for signatures and newsletter sign-ups alike."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.campaigns import rules, services, tokens
from hotline.campaigns.errors import InvalidInput
from hotline.campaigns.models import Petition, Signature, SignatureState, Subscriber
from hotline.campaigns.tests.conftest import make_petition, sign_data

# Spellings of anna@example.test that mail systems deliver to that one mailbox, or that are no
# mailbox of a domain at all (an address literal): each must be refused, with a message saying why.
REWRITTEN = {
    "=?utf-8?q?anna?=@example.test": "=?",
    "=?utf-8?b?YW5uYQ==?=@example.test": "=?",
    "=?iso-8859-1?q?anna?=@example.test": "=?",
    "=?UTF-8?Q?=61nna?=@example.test": "=?",
    "an=?utf-8?q?na?=@example.test": "=?",
    '"anna"@example.test': "quotation marks",
    '"anna.svensson"@example.test': "quotation marks",
    "anna@[192.0.2.1]": "IP address",
    "anna%example.test@relay.example.test": "% or !",
    "relay.example.test!anna@example.test": "% or !",
}


@pytest.mark.parametrize(("address", "says"), sorted(REWRITTEN.items()))
def test_rewritten_forms_are_refused_with_a_clear_message(address: str, says: str) -> None:
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.clean_email(address)
    assert says in refused.value.errors["email"], refused.value.errors


@pytest.mark.parametrize(
    "address", ["Anna@Example.TEST", "anna.svensson+tag@example.test", "anna@exämple.test", "o'brien@example.test"]
)
def test_ordinary_addresses_pass_as_typed(address: str) -> None:
    assert services.clean_email(f"  {address} ") == address


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["=?utf-8?q?anna?=@example.test", "anna@[192.0.2.1]"])
def test_the_forms_refuse_at_the_field_and_save_nothing(client: Any, petition: Petition, address: str) -> None:
    signed = client.post("/petitions/barnets-rattigheter/", sign_data(email=address))
    assert signed.status_code == 400 and 'aria-invalid="true"' in signed.content.decode()
    subscribed = client.post("/newsletter/", {"email": address, "language": "en", "website": ""})
    assert subscribed.status_code == 400
    assert Signature.objects.count() == 0 and Subscriber.objects.count() == 0


def test_the_dedup_key_is_the_delivered_mailbox() -> None:
    """Whatever Django's SMTP backend would hand the mail server (the envelope recipient) is what the key
    is made of: a spelling the backend rewrites can never get a key of its own."""
    for typed in ("Anna@Example.TEST", "anna@ｅxample.test", "anna@EXAMPLE.test"):
        assert rules.normalise_email(services.delivered_mailbox(typed)) == "anna@example.test"
    assert services.signature_email_index("Anna@Example.TEST") == services.signature_email_index("anna@example.test")


# --- the property: every spelling of one mailbox counts at most once ----------------------------------
MAILBOXES = [("anna", "example.test"), ("anna.svensson", "gmail.com"), ("nils.berg", "outlook.com")]


def _encoded_word(local: str, draw: Any) -> str:
    charset = draw(st.sampled_from(["utf-8", "UTF-8", "iso-8859-1", "us-ascii"]))
    if draw(st.booleans()):
        text = base64.b64encode(local.encode()).decode()
        return f"=?{charset}?{draw(st.sampled_from('bB'))}?{text}?="
    escaped = "".join(f"={ord(c):02X}" if draw(st.booleans()) else c for c in local)
    return f"=?{charset}?{draw(st.sampled_from('qQ'))}?{escaped}?="


def _recase(text: str, draw: Any) -> str:
    return "".join(c.upper() if draw(st.booleans()) else c for c in text)


@st.composite
def spelling_of(draw: Any, mailbox: tuple[str, str]) -> str:
    """One way of writing `mailbox` that a mail system delivers to it (or that is no domain's address)."""
    local, domain = mailbox
    if domain == "gmail.com":  # dots and "+tag" are ignored there
        local = "".join(c + ("." if draw(st.booleans()) and c != "." else "") for c in local.replace(".", ""))
        local = local.strip(".")
        domain = draw(st.sampled_from(["gmail.com", "googlemail.com"]))
    if domain in rules.PLUS_TAG_DOMAINS | rules.GMAIL_DOMAINS and draw(st.booleans()):
        local += "+" + draw(st.sampled_from(["news", "petition", "x1"]))
    local = _recase(local, draw)
    form = draw(st.sampled_from(["plain", "encoded", "quoted", "literal", "wide-domain"]))
    if form == "encoded":
        local = _encoded_word(local, draw)
    elif form == "quoted":
        local = f'"{local}"'
    elif form == "literal":
        return f"{local}@[{draw(st.sampled_from(['192.0.2.1', 'IPv6:2001:db8::1']))}]"
    elif form == "wide-domain":  # full-width letters: IDNA maps them to the ASCII domain
        domain = "".join(chr(ord(c) + 0xFEE0) if c.isalpha() and draw(st.booleans()) else c for c in domain)
    return f"{local}@{_recase(domain, draw)}"


_slugs = itertools.count()


def _confirm_all(petition: Petition) -> None:
    for signature in Signature.objects.filter(petition=petition, state=SignatureState.PENDING):
        token = tokens.make(row_id=signature.pk, salt=signature.token_salt, purpose=tokens.SIGNATURE_SALT)
        services.confirm_signature(token=token)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_spelling_of_one_mailbox_counts_at_most_once(data: Any) -> None:
    mailbox = data.draw(st.sampled_from(MAILBOXES))
    spellings = data.draw(st.lists(spelling_of(mailbox), min_size=1, max_size=6))
    petition = make_petition(slug=f"one-mailbox-{next(_slugs)}")
    accepted = []
    for spelling in spellings:
        try:
            services.sign_petition(petition=petition, name="Anna", email=spelling, municipality="0180")
        except InvalidInput:
            continue
        accepted.append(spelling)
    _confirm_all(petition)
    petition.refresh_from_db()
    assert petition.signature_count == (1 if accepted else 0), (spellings, accepted)
    assert Signature.objects.filter(petition=petition).count() == (1 if accepted else 0)
    # Every accepted spelling is mailed exactly where the one key points.
    keys = {rules.normalise_email(services.delivered_mailbox(a)) for a in accepted}
    assert len(keys) <= 1


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_spelling_of_one_mailbox_subscribes_at_most_once(data: Any) -> None:
    mailbox = data.draw(st.sampled_from(MAILBOXES))
    spellings = data.draw(st.lists(spelling_of(mailbox), min_size=1, max_size=6))
    Subscriber.objects.all().delete()
    for spelling in spellings:
        try:
            services.subscribe(email=spelling)
        except InvalidInput:
            continue
    assert Subscriber.objects.count() <= 1
