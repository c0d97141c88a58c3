"""Public pages: petitions (read, sign, confirm) and the newsletter (subscribe, confirm, preferences,
one-click unsubscribe). They work without JavaScript; a repeated signature sees the same pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from hotline.campaigns import conf, mail, ratelimit, rules, selectors, services
from hotline.campaigns.errors import CampaignError, InvalidInput, PetitionNotOpen, RateLimited
from hotline.campaigns.forms import PreferencesForm, SignForm, SubscribeForm
from hotline.campaigns.models import Petition
from hotline.core.authz import public
from hotline.core.errors import DomainError, Message, refusal_page, refusal_response
from hotline.core.formguard import guarded_form

V = TypeVar("V", bound=Callable[..., HttpResponse])


def error_page(request: HttpRequest, error: DomainError, *, title: Message = "") -> HttpResponse:
    """Every refused public action ends here: a clear message and the matching 4xx status."""
    context = {"title": title or _("Something needs your attention")}
    return refusal_response(request, error, template="campaigns/message.html", context=context)


def refused_with_title(title: Message = "") -> Callable[[V], V]:
    """Decorate a public view: a refusal it does not catch becomes `error_page` with this title."""

    def context(request: HttpRequest, error: DomainError, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"title": title or _("Something needs your attention")}

    return refusal_page("campaigns/message.html", context=context)


def _current_language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or translation.get_language() or "sv"


def _petition_or_404(slug: str) -> Petition:
    petition = selectors.public_petition(slug)
    if petition is None:
        raise Http404
    return petition


def _petition_context(request: HttpRequest, petition: Petition) -> dict[str, object]:
    count = selectors.live_count(petition)
    url = mail.absolute(petition.get_absolute_url())
    return {
        "petition": petition,
        "count": count,
        "goal": petition.goal,
        "progress_max": max(petition.goal, count),
        "percent": rules.percent(count, petition.goal),
        "accepts": petition.accepts_signatures(),
        "share_url": url,
        "share_text": petition.title,
        "hours": conf.confirm_link_hours(),
    }


@public
@require_GET
def petition_list(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/petition_list.html", {"petitions": selectors.public_petitions()})


def _signature_refused(request: HttpRequest, slug: str) -> HttpResponse:
    """A signature the form guard refused (core/formguard.py): the petition again, with what was typed."""
    petition = _petition_or_404(slug)
    context = _petition_context(request, petition) | {"form": SignForm(initial=request.POST.dict())}
    return render(request, "campaigns/petition_detail.html", context, status=403)


@public
@guarded_form(_signature_refused)
@require_http_methods(["GET", "POST"])
@refused_with_title()
def petition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _petition_or_404(slug)
    form = SignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_bot:
            # Same answer as a real signature: the bot learns nothing, nothing is saved.
            return HttpResponseRedirect(f"{petition.get_absolute_url()}thanks/")
        if not petition.accepts_signatures():
            raise PetitionNotOpen(_("This petition is closed and no longer takes signatures."))
        if not ratelimit.check_network(request).allowed:
            return _rate_limited(request)
        if not form.is_valid():
            _add_signer_problems(form)  # every problem at once: the signer's fields too, not only the consent
        else:
            data = form.cleaned_data
            try:
                domain = rules.email_domain(services.clean_email(data["email"]))
            except InvalidInput:  # sign_petition below says what is wrong with it
                domain = ""
            if domain and not ratelimit.check_domain(domain).allowed:
                return _rate_limited(request)
            try:
                services.sign_petition(
                    petition=petition,
                    name=data["name"],
                    email=data["email"],
                    municipality=data["municipality"],
                    country=data["country"],
                    keep_informed=data["keep_informed"],
                    language=_current_language(request),
                )
            except InvalidInput as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                return HttpResponseRedirect(f"{petition.get_absolute_url()}thanks/")
        status = 400
    context = _petition_context(request, petition) | {"form": form}
    return render(request, "campaigns/petition_detail.html", context, status=status)


def _add_signer_problems(form: SignForm) -> None:
    """The service's own checks of name, email and place, added to a form its fields already refused, so the
    signer sees every problem at once, each at its own field (GOV.UK's error summary pattern)."""
    try:
        services.clean_signer(
            name=form.data.get("name", ""),
            email=form.data.get("email", ""),
            municipality=form.data.get("municipality", ""),
            country=form.data.get("country", ""),
        )
    except InvalidInput as exc:
        for field, message in exc.errors.items():
            if field in form.fields and field not in form.errors:
                form.add_error(field, message)


def _rate_limited(request: HttpRequest) -> HttpResponse:
    error = RateLimited(
        _(
            "Very many signatures are arriving from your network or email provider right now. "
            "Nothing was saved. Please try again in a few minutes."
        ),
        retry_after=600,
    )
    return error_page(request, error, title=_("Please try again later"))


@public
@require_GET
def petition_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    """The one page every signer sees after signing, new or repeated (nobody can probe who signed)."""
    petition = _petition_or_404(slug)
    return render(request, "campaigns/petition_thanks.html", _petition_context(request, petition))


@public
@require_GET
def petition_count(request: HttpRequest, slug: str) -> JsonResponse:
    """The live count for the optional script that refreshes it without reloading the page."""
    petition = _petition_or_404(slug)
    count = selectors.live_count(petition)
    return JsonResponse({"count": count, "goal": petition.goal, "percent": rules.percent(count, petition.goal)})


@public
@guarded_form()
@require_http_methods(["GET", "POST"])
@refused_with_title(gettext_lazy("Your signature could not be confirmed"))
def petition_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (so mail scanners that open links confirm nothing); POST confirms."""
    signature = (
        services.confirm_signature(token=token) if request.method == "POST" else selectors.signature_for_token(token)
    )
    if request.method == "POST":
        return HttpResponseRedirect(f"{signature.petition_url}confirmed/")
    return render(
        request, "campaigns/petition_confirm.html", {"petition": selectors.petition_by_id(signature.petition_id)}
    )


@public
@require_GET
def petition_confirmed(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _petition_or_404(slug)
    return render(request, "campaigns/petition_confirmed.html", _petition_context(request, petition))


# --- newsletter ------------------------------------------------------------------------------
def _subscription_refused(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(initial=request.POST.dict())
    return render(request, "campaigns/newsletter_subscribe.html", {"form": form}, status=403)


@public
@guarded_form(_subscription_refused)
@require_http_methods(["GET", "POST"])
def newsletter_subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None, initial={"language": _current_language(request)})
    status = 200
    if request.method == "POST":
        if form.is_bot:
            return HttpResponseRedirect("/newsletter/thanks/")
        if not ratelimit.check_network(request).allowed:
            return _rate_limited(request)
        if form.is_valid():
            try:
                email = services.clean_email(form.cleaned_data["email"])
                if not ratelimit.check_domain(rules.email_domain(email)).allowed:
                    return _rate_limited(request)
                services.subscribe(email=email, language=form.cleaned_data["language"], source="form")
            except InvalidInput as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                return HttpResponseRedirect("/newsletter/thanks/")
        status = 400
    return render(request, "campaigns/newsletter_subscribe.html", {"form": form}, status=status)


@public
@require_GET
def newsletter_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/newsletter_thanks.html")


@public
@guarded_form()
@require_http_methods(["GET", "POST"])
@refused_with_title(gettext_lazy("Your subscription could not be confirmed"))
def newsletter_confirm(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = (
        services.confirm_subscriber(token=token) if request.method == "POST" else selectors.subscriber_for_token(token)
    )
    if request.method == "POST":
        return render(
            request,
            "campaigns/message.html",
            {
                "title": _("Thank you!"),
                "message": _("Your subscription is confirmed. Every newsletter has a link to unsubscribe."),
                "link": f"/newsletter/preferences/{subscriber.token}/",
                "link_text": _("Your newsletter preferences"),
            },
        )
    return render(request, "campaigns/newsletter_confirm.html")


@public
@guarded_form()
@require_http_methods(["GET", "POST"])
@refused_with_title()
def newsletter_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The personal page behind the link in every mail: language, unsubscribe, erase."""
    subscriber = selectors.subscriber_by_personal_token(token)
    form = PreferencesForm(request.POST or None, initial={"language": subscriber.language})
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "erase":
            services.erase_subscriber(subscriber=subscriber)
            return render(
                request,
                "campaigns/message.html",
                {"title": _("Deleted"), "message": _("Your address and everything we kept about it has been deleted.")},
            )
        if action == "unsubscribe":
            services.unsubscribe(subscriber=subscriber, how="preferences")
            return HttpResponseRedirect(f"/newsletter/preferences/{token}/")
        if action == "resubscribe" and subscriber.unsubscribed_at is not None:
            services.subscribe(email=subscriber.email, language=subscriber.language, source="preferences")
            return HttpResponseRedirect("/newsletter/thanks/")
        if form.is_valid():
            services.change_subscriber_language(subscriber=subscriber, language=form.cleaned_data["language"])
            return HttpResponseRedirect(f"/newsletter/preferences/{token}/")
    return render(request, "campaigns/newsletter_preferences.html", {"subscriber": subscriber, "form": form})


@public
@csrf_exempt  # RFC 8058: mail providers POST here without a session; the secret token is the proof
@require_http_methods(["GET", "POST"])
def newsletter_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe. POST (from a mail client's button, or the page's own) unsubscribes at
    once, with no further page to confirm; GET only shows the button."""
    try:
        subscriber = selectors.subscriber_by_personal_token(token)
    except CampaignError as exc:
        if request.method == "POST":  # a retried one-click for an erased address: already done
            return HttpResponse(status=200)
        return error_page(request, exc)
    if request.method == "POST":
        services.unsubscribe(subscriber=subscriber, how="one-click")
        return render(
            request,
            "campaigns/message.html",
            {
                "title": _("Unsubscribed"),
                "message": _("You will not get the newsletter any more."),
                "link": f"/newsletter/preferences/{token}/",
                "link_text": _("Delete your address completely, or subscribe again"),
            },
        )
    return render(request, "campaigns/newsletter_unsubscribe.html", {"subscriber": subscriber})
