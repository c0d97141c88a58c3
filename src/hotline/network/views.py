"""Staff pages of the hotline network (admins; supervisors read the outbox and inbox): partners with their key
fingerprints and last contact, adding a partner from its base URL, pinning and retiring keys, the outbox and
the inbox. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotline.core.authz import ADMIN, SUPERVISOR, staff_required
from hotline.core.errors import refusal_page
from hotline.network import selectors, services
from hotline.network.errors import NetworkError
from hotline.network.forms import BaseUrlForm, ConfirmKeysForm, PartnerStateForm
from hotline.network.models import OutboxState


def _own_identity() -> object | None:
    try:
        return services.own_identity()
    except NetworkError:
        return None


@staff_required(ADMIN)
@require_GET
def partners(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "network/partners.html",
        {"partners": selectors.partners(), "identity": _own_identity(), "form": BaseUrlForm()},
    )


@staff_required(ADMIN)
@require_POST
@refusal_page()
def partner_fetch(request: HttpRequest) -> HttpResponse:
    """Step 1 of adding (or refreshing) a partner: fetch its identity and show the fingerprints. A POST though it
    writes nothing: it makes an outgoing request, which a GET (and a link preview) must never cause."""
    form = BaseUrlForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "network/partners.html",
            {"partners": selectors.partners(), "identity": _own_identity(), "form": form},
            status=400,
        )
    try:
        fetched = services.fetch_identity(base_url=form.cleaned_data["base_url"])
    except NetworkError as exc:
        form.add_error("base_url", str(exc))
        return render(
            request,
            "network/partners.html",
            {"partners": selectors.partners(), "identity": _own_identity(), "form": form},
            status=400,
        )
    confirm = ConfirmKeysForm(
        initial={"base_url": fetched.identity.base_url, "language": "en"},
        key_choices=[(k.key_id, k.fingerprint) for k in fetched.keys if not k.pinned],
    )
    return render(request, "network/partner_confirm.html", {"fetched": fetched, "form": confirm})


@staff_required(ADMIN)
@require_POST
@refusal_page()
def partner_register(request: HttpRequest) -> HttpResponse:
    """Step 2: pin the confirmed keys (the identity is fetched again by the service)."""
    key_ids = request.POST.getlist("key_ids")
    form = ConfirmKeysForm(request.POST, key_choices=[(k, k) for k in key_ids])
    if not form.is_valid():
        return HttpResponse(_("The form was not complete."), status=400)
    partner = services.register_partner(
        actor=request.user,  # type: ignore[arg-type]
        base_url=form.cleaned_data["base_url"],
        confirmed_key_ids=form.cleaned_data["key_ids"],
        language=form.cleaned_data["language"],
    )
    messages.success(
        request, _("Partner hotline %(name)s saved; its confirmed keys are pinned.") % {"name": partner.name}
    )
    return HttpResponseRedirect(f"/network/partners/{partner.pk}/")


@staff_required(ADMIN)
@require_http_methods(["GET", "POST"])
@refusal_page()
def partner_detail(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = selectors.partner(partner_id=partner_id)
    if partner is None:
        raise Http404(_("No such partner hotline."))
    if request.method == "POST":
        form = PartnerStateForm(request.POST)
        if form.is_valid():
            services.set_partner(
                actor=request.user,  # type: ignore[arg-type]
                partner_id=partner.pk,
                active=form.cleaned_data["active"],
                channel=form.cleaned_data["channel"],
            )
            messages.success(request, _("Partner hotline saved."))
            return HttpResponseRedirect(f"/network/partners/{partner.pk}/")
        status = 400
    else:
        form = PartnerStateForm(initial={"active": partner.active, "channel": partner.channel})
        status = 200
    return render(request, "network/partner_detail.html", {"partner": partner, "form": form}, status=status)


@staff_required(ADMIN)
@require_http_methods(["GET", "POST"])
@refusal_page()
def key_retire(request: HttpRequest, partner_id: int, key_id: int) -> HttpResponse:
    """Ending a key's overlap asks once more (GET shows the question; POST retires)."""
    partner = selectors.partner(partner_id=partner_id)
    key = next((k for k in partner.pinned_keys.all() if k.pk == key_id and k.live), None) if partner else None
    if partner is None or key is None:
        raise Http404(_("No such pinned key."))
    if request.method == "POST":
        services.retire_key(actor=request.user, key_pk=key.pk)  # type: ignore[arg-type]
        messages.success(request, _("The key no longer verifies messages."))
        return HttpResponseRedirect(f"/network/partners/{partner.pk}/")
    return render(request, "network/key_retire.html", {"partner": partner, "key": key})


@staff_required(ADMIN, SUPERVISOR)
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in OutboxState.values:
        state = ""
    return render(
        request,
        "network/outbox.html",
        {"messages_out": selectors.outbox(state=state), "state": state, "States": OutboxState},
    )


@staff_required(ADMIN, SUPERVISOR)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "network/inbox.html", {"messages_in": selectors.inbox()})
