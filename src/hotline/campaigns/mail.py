"""The mails campaigns send, built in the recipient's language, and the links in them. Handing them to SMTP
is services/delivery.py's (confirmations) and services/issue_sending.py's (issues)."""

from __future__ import annotations

from typing import Any

import markdown
import nh3
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from hotline.campaigns import conf, tokens
from hotline.campaigns.models import NewsletterIssue, Signature, Subscriber

# Tags and attributes a newsletter body may use after Markdown; everything else is stripped by nh3.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


def absolute(path: str) -> str:
    return f"{conf.public_url()}{path}"


def signature_confirm_url(signature: Signature) -> str:
    token = tokens.make(row_id=signature.pk, salt=signature.token_salt, purpose=tokens.SIGNATURE_SALT)
    return absolute(f"/petitions/confirm/{token}/")


def subscriber_confirm_url(subscriber: Subscriber) -> str:
    token = tokens.make(row_id=subscriber.pk, salt=subscriber.token, purpose=tokens.SUBSCRIBER_SALT)
    return absolute(f"/newsletter/confirm/{token}/")


def preferences_url(subscriber: Subscriber) -> str:
    return absolute(f"/newsletter/preferences/{subscriber.token}/")


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute(f"/newsletter/unsubscribe/{subscriber.token}/")


def _render(template: str, context: dict[str, Any]) -> str:
    return render_to_string(
        f"campaigns/mail/{template}",
        {"HOTLINE_ORGANISATION": settings.HOTLINE_ORGANISATION, "hours": conf.confirm_link_hours(), **context},
    )


def signature_confirmation(signature: Signature) -> EmailMessage:
    with translation.override(signature.language):
        petition = signature.petition
        subject = _("Confirm your signature: %(title)s") % {"title": petition.title}
        body = _render(
            "signature_confirm.txt",
            {"petition": petition, "name": signature.name, "link": signature_confirm_url(signature)},
        )
    return EmailMessage(subject=subject, body=body, to=[signature.email])


def signature_already(signature: Signature) -> EmailMessage:
    with translation.override(signature.language):
        petition = signature.petition
        subject = _("You have already signed: %(title)s") % {"title": petition.title}
        body = _render(
            "signature_already.txt",
            {"petition": petition, "petition_url": absolute(petition.get_absolute_url())},
        )
    return EmailMessage(subject=subject, body=body, to=[signature.email])


def subscriber_confirmation(subscriber: Subscriber) -> EmailMessage:
    with translation.override(subscriber.language):
        subject = _("Confirm your newsletter subscription")
        body = _render("subscriber_confirm.txt", {"link": subscriber_confirm_url(subscriber)})
    return EmailMessage(subject=subject, body=body, to=[subscriber.email])


def subscriber_already(subscriber: Subscriber) -> EmailMessage:
    with translation.override(subscriber.language):
        subject = _("You already receive our newsletter")
        body = _render("subscriber_already.txt", {"preferences": preferences_url(subscriber)})
    return EmailMessage(subject=subject, body=body, to=[subscriber.email])


def render_markdown(text: str) -> str:
    """Markdown to HTML, then sanitised: a campaigner's typo or a pasted snippet cannot inject markup."""
    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"https", "http", "mailto"})


def issue_parts(issue: NewsletterIssue, language: str) -> tuple[str, str]:
    """(subject, Markdown body) in the subscriber's language, Swedish when no English version exists."""
    if language.startswith("en") and issue.subject_en and issue.body_en:
        return issue.subject_en, issue.body_en
    return issue.subject_sv, issue.body_sv


def unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe plus RFC 8058 one-click (a POST to the https URL unsubscribes)."""
    targets = [f"<{unsubscribe_url(subscriber)}>"]
    mailto = conf.unsubscribe_mailto()
    if mailto:
        targets.append(f"<mailto:{mailto}?subject=unsubscribe-{subscriber.token}>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def issue_message(issue: NewsletterIssue, subscriber: Subscriber) -> EmailMultiAlternatives:
    language = "en" if subscriber.language.startswith("en") else "sv"
    subject, body = issue_parts(issue, language)
    with translation.override(language):
        context = {
            "subject": subject,
            "body_text": body,
            "body_html": render_markdown(body),
            "unsubscribe": unsubscribe_url(subscriber),
            "preferences": preferences_url(subscriber),
            "language": language,
        }
        text = _render("issue.txt", context)
        html = _render("issue.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[subscriber.email], headers=unsubscribe_headers(subscriber)
    )
    message.attach_alternative(html, "text/html")
    return message
