"""Staff pages: sign-in in two steps (password, then TOTP or a recovery code), enrolment by one-time
link, account management for admins, the audit log browser, and the staff home page."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from hotline.core import registry
from hotline.core.authz import ADMIN, ANY_STAFF, SUPERVISOR, login_flow, staff_required
from hotline.staff import audit_words, lockout, rules, selectors, services
from hotline.staff.confirm import confirm_page, is_confirmed
from hotline.staff.forms import (
    AuditFilterForm,
    CodeForm,
    EnrolForm,
    LoginForm,
    PartnerKeyForm,
    RolesForm,
    StaffCreateForm,
)
from hotline.staff.middleware import TIMED_OUT_KEY
from hotline.staff.models import PartnerKey, StaffUser

PENDING_KEY = "hotline_login_pending"  # {"user": pk, "at": unix time, "next": path} between the two steps
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
HOME = "/staff/"


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def _is_verified(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_verified())  # type: ignore[union-attr,attr-defined]


# --- sign-in ------------------------------------------------------------------------------


@login_flow
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: email and password. Nobody is signed in until the second factor is checked."""
    if _is_verified(request):
        landing = rules.landing_page(request.user.role_names)  # type: ignore[union-attr]
        return HttpResponseRedirect(_safe_next(request, request.GET.get("next", "")) or landing)
    timed_out = bool(request.session.pop(TIMED_OUT_KEY, False))
    error = ""
    if request.method == "POST":
        form = LoginForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            credentials = {settings.AXES_USERNAME_FORM_FIELD: email}
            # Refused before the password is checked: a locked account-and-network, or the account's delay
            # (which the staff member's own browser skips). Neither refusal counts as a failure.
            if AxesProxyHandler.is_locked(request, credentials):
                services.note_failed_sign_in(email=email, refused=True)
                return lockout_response(request, credentials=credentials)
            wait = 0 if lockout.is_known_browser(request, email) else lockout.account_wait_seconds(email)
            if wait:
                services.note_failed_sign_in(email=email, refused=True)
                return _wait_response(request, wait)
            # Through authenticate() so that django-axes counts failures and refuses locked accounts.
            user = authenticate(request=request, email=email, password=form.cleaned_data["password"])
            if not isinstance(user, StaffUser):
                services.note_failed_sign_in(email=email, refused=False)
                error = _("Wrong email or password.")
            elif not selectors.has_confirmed_totp(user):
                # Only someone who knows the password learns this; they need their enrolment link.
                error = _(
                    "Two-factor sign-in is not set up for this account yet. Open the enrolment link you were "
                    "given, or ask an administrator for a new one."
                )
            else:
                request.session.cycle_key()
                request.session[PENDING_KEY] = {
                    "user": user.pk,
                    "at": time.time(),
                    "next": _safe_next(request, form.cleaned_data.get("next") or ""),
                }
                return HttpResponseRedirect("/staff/login/verify/")
    else:
        form = LoginForm(initial={"next": _safe_next(request, request.GET.get("next", ""))})
    status = 400 if error or form.errors else 200
    context = {"form": form, "error": error, "timed_out": timed_out, "idle_minutes": _idle_minutes()}
    return render(request, "staff/login.html", context, status=status)


def _idle_minutes() -> int:
    return int(settings.HOTLINE_IDLE_TIMEOUT.total_seconds() // 60)


def _pending(request: HttpRequest) -> tuple[StaffUser, str] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > rules.LOGIN_STEP_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    user = StaffUser.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    return user, str(pending.get("next") or "")


@login_flow
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: a TOTP code (each accepted once) or a recovery code (each usable once)."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Please sign in again."))
        return HttpResponseRedirect("/staff/login/")
    user, next_url = pending
    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.email}
    if AxesProxyHandler.is_locked(request, credentials):
        if request.method == "POST":  # a refused code counts; showing the page (a GET) writes nothing
            services.note_failed_sign_in(email=user.email, refused=True)
        return lockout_response(request, credentials=credentials)
    error = ""
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            result = services.verify_second_factor(user=user, code=form.cleaned_data["otp_token"])
            if result.device is not None:
                request.session.pop(PENDING_KEY, None)
                auth_login(request, user, backend=MODEL_BACKEND)  # axes resets this network's failures here
                otp_login(request, result.device)
                if result.failed_before:
                    messages.warning(request, _failed_attempts_message(result))
                if result.method == "recovery_code":
                    left = selectors.recovery_codes_left(user)
                    messages.warning(
                        request,
                        ngettext(
                            "You signed in with a recovery code. %(left)d code is left. If you lost your phone, "
                            "ask an administrator for a new enrolment link.",
                            "You signed in with a recovery code. %(left)d codes are left. If you lost your phone, "
                            "ask an administrator for a new enrolment link.",
                            left,
                        )
                        % {"left": left},
                    )
                # Each role lands on its work (the queue, supervision, campaigns...), not on a page of links.
                response = HttpResponseRedirect(next_url or rules.landing_page(user.role_names))
                lockout.remember_browser(response, user)
                return response
            if result.throttled:
                error = _("Too many attempts in a short time. Wait a few seconds and try again.")
            else:
                error = _("Wrong code.")
                services.note_failed_sign_in(email=user.email, refused=False)
                # A wrong second factor counts toward the lockout exactly like a wrong password.
                user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        else:
            error = _("Wrong code.")
    else:
        form = CodeForm()
    return render(request, "staff/login_verify.html", {"form": form, "error": error}, status=400 if error else 200)


@login_flow
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, StaffUser):
        services.record_sign_out(user=request.user)
    auth_logout(request)
    return HttpResponseRedirect("/staff/login/")


def _failed_attempts_message(result: services.SecondFactor) -> str:
    when = formats.date_format(timezone.localtime(result.last_failed_at), "Y-m-d H:i") if result.last_failed_at else ""
    text = ngettext(
        "Since your last sign-in there was %(n)d failed attempt to sign in to your account (the last at %(when)s).",
        "Since your last sign-in there were %(n)d failed attempts to sign in to your account (the last at %(when)s).",
        result.failed_before,
    ) % {"n": result.failed_before, "when": when}
    if result.refused_before:
        text += " " + ngettext(
            "%(n)d of them was refused without a check, because of the lockout.",
            "%(n)d of them were refused without a check, because of the lockout.",
            result.refused_before,
        ) % {"n": result.refused_before}
    return text + " " + _("If they were not yours, tell an administrator.")


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes calls this when a failure locks the account from this network (AXES_LOCKOUT_CALLABLE); the
    sign-in steps call it for an attempt from a network already locked."""
    if hasattr(request, "session"):
        request.session.pop(PENDING_KEY, None)
    email = (credentials or getattr(request, "axes_credentials", None) or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    seconds = lockout.lock_seconds_left(request, email) if email else 0
    seconds = seconds or int(settings.AXES_COOLOFF_TIME.total_seconds())
    context = {"minutes": max(1, round(seconds / 60)), "seconds": 0}
    response = render(request, "staff/locked.html", context, status=429)
    response["Cache-Control"] = "no-store"
    response["Retry-After"] = str(seconds)
    return response


def _wait_response(request: HttpRequest, seconds: int) -> HttpResponse:
    """The per-account delay: the attempt was not checked; the same page, with the seconds to wait."""
    response = render(request, "staff/locked.html", {"minutes": 0, "seconds": seconds}, status=429)
    response["Cache-Control"] = "no-store"
    response["Retry-After"] = str(seconds)
    return response


# --- enrolment ----------------------------------------------------------------------------


def _qr_svg(config_url: str, title: str) -> str:
    # segno writes plain SVG paths (presentation attributes, no style= or script): CSP-safe inline.
    return segno.make(config_url, error="m").svg_inline(scale=5, border=4, title=title, svgclass="qr-code")


@login_flow
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest, token: str) -> HttpResponse:
    """One-time link: choose a password, add the TOTP secret to an app, confirm with a code, get recovery codes."""
    link = selectors.enrolment_link_for_token(token=token)
    if link is None:
        return render(request, "staff/enrol_invalid.html", status=410)
    try:
        device = services.start_enrolment(link=link)
    except services.EnrolmentLinkNotValid:
        return render(request, "staff/enrol_invalid.html", status=410)
    status = 200
    if request.method == "POST":
        form = EnrolForm(request.POST, user=link.user)
        if form.is_valid():
            try:
                enrolment = services.complete_enrolment(
                    link=link, password=form.cleaned_data["password1"], code=form.cleaned_data["code"]
                )
            except services.EnrolmentLinkNotValid:
                return render(request, "staff/enrol_invalid.html", status=410)
            except ValidationError as exc:
                form.add_error("password1", exc)
            except services.StaffError as exc:
                form.add_error("code", str(exc))
            else:
                auth_login(request, enrolment.user, backend=MODEL_BACKEND)
                otp_login(request, enrolment.device)
                # Shown once, in this response only (no-store); they are never displayed again.
                return render(request, "staff/enrol_done.html", {"codes": enrolment.recovery_codes})
        status = 400
    else:
        form = EnrolForm(user=link.user)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "email": link.user.email,
        "qr_svg": mark_safe(_qr_svg(device.config_url, _("QR code for your authenticator app"))),  # nosec B308, B703  # segno's SVG: escaped title, QR paths only
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "expires_at": link.expires_at,
    }
    return render(request, "staff/enrol.html", context, status=status)


# --- home ---------------------------------------------------------------------------------


@staff_required(ANY_STAFF)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, StaffUser)
    roles = sorted(user.role_names)
    context = {
        "roles": [rules.ROLE_LABELS.get(role, role) for role in roles],
        "links": registry.staff_links_for(roles),  # the same links as the staff bar
        "recovery_codes_left": selectors.recovery_codes_left(user),
    }
    return render(request, "staff/home.html", context)


# --- account management (admins) -----------------------------------------------------------


def _member_or_404(user_id: int) -> StaffUser:
    member = selectors.staff_member(user_id=user_id)
    if member is None:
        raise Http404
    return member


def _actor(request: HttpRequest) -> StaffUser:
    assert isinstance(request.user, StaffUser)
    return request.user


@staff_required(ADMIN)
@require_GET
def users(request: HttpRequest) -> HttpResponse:
    members = [
        (member, [rules.ROLE_LABELS.get(g.name, g.name) for g in member.role_groups])  # type: ignore[attr-defined]
        for member in selectors.staff_list()
    ]
    return render(request, "staff/users.html", {"members": members})


@staff_required(ADMIN)
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = StaffCreateForm(request.POST)
        if form.is_valid():
            try:
                member, link = services.create_staff_user(
                    email=form.cleaned_data["email"],
                    roles=form.cleaned_data["roles"],
                    display_name=form.cleaned_data["display_name"],
                    actor=_actor(request),
                )
            except services.StaffError as exc:
                form.add_error(None, str(exc))
            else:
                return _show_link(request, member, link, created=True)
        status = 400
    else:
        form = StaffCreateForm()
    return render(request, "staff/user_create.html", {"form": form}, status=status)


def _show_link(request: HttpRequest, member: StaffUser, link: str, *, created: bool) -> HttpResponse:
    """The enrolment link is shown once, in this response only (no-store): pass it to the person yourself."""
    context = {
        "member": member,
        "link": request.build_absolute_uri(link),
        "created": created,
        "valid_hours": int(settings.HOTLINE_ENROLMENT_VALID.total_seconds() // 3600),
    }
    return render(request, "staff/user_link.html", context)


def _detail(
    request: HttpRequest, member: StaffUser, *, roles_form: RolesForm | None = None, error: str = ""
) -> HttpResponse:
    member.__dict__.pop("role_names", None)
    context = {
        "member": member,
        "roles_form": roles_form or RolesForm(initial={"roles": sorted(member.role_names)}),
        "has_totp": selectors.has_confirmed_totp(member),
        "recovery_codes_left": selectors.recovery_codes_left(member),
        "is_self": member.pk == request.user.pk,
        "sign_in": lockout.account_failures(member.email),
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "error": error,
    }
    return render(request, "staff/user_detail.html", context, status=400 if error or roles_form else 200)


@staff_required(ADMIN)
@require_GET
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    return _detail(request, _member_or_404(user_id))


@staff_required(ADMIN)
@require_POST
def user_roles(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member_or_404(user_id)
    form = RolesForm(request.POST)
    if not form.is_valid():
        return _detail(request, member, roles_form=form)
    try:
        services.set_roles(user=member, roles=form.cleaned_data["roles"], actor=_actor(request))
    except services.StaffError as exc:
        return _detail(request, member, error=str(exc))
    if member.pk == request.user.pk:  # an admin changing their own roles keeps this session (only this one)
        update_session_auth_hash(request, member)
    messages.success(request, _("Roles saved."))
    return HttpResponseRedirect(f"/staff/users/{member.pk}/")


@staff_required(ADMIN)
@require_POST
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member_or_404(user_id)
    active = request.POST.get("active") == "1"
    if not active and not is_confirmed(request):  # deactivating ends the person's sessions: ask once more
        return confirm_page(
            request,
            title=_("Deactivate %(who)s") % {"who": member},
            question=_("Deactivate the account of %(who)s?") % {"who": member},
            consequences=[_("They are signed out at once and cannot sign in until an admin reactivates them.")],
            button=_("Yes, deactivate the account"),
            cancel_url=f"/staff/users/{member.pk}/",
        )
    try:
        services.set_active(user=member, active=active, actor=_actor(request))
    except services.StaffError as exc:
        return _detail(request, member, error=str(exc))
    messages.success(request, _("The account is active again.") if active else _("The account is deactivated."))
    return HttpResponseRedirect(f"/staff/users/{member.pk}/")


@staff_required(ADMIN)
@require_POST
def user_enrolment_link(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member_or_404(user_id)
    if not member.is_active:
        return _detail(request, member, error=_("Reactivate the account before issuing an enrolment link."))
    link = services.reset_two_factor(user=member, actor=_actor(request))
    return _show_link(request, member, link, created=False)


@staff_required(ADMIN)
@require_POST
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    """Lift the sign-in lockout of an account (every network, and its delay): audited, after a confirmation."""
    member = _member_or_404(user_id)
    if request.POST.get("confirm") != "1":
        return _detail(request, member, error=_("Tick the box to confirm that the lockout is to be lifted."))
    cleared = services.unlock_sign_in(user=member, actor=_actor(request))
    messages.success(
        request,
        ngettext(
            "Sign-in is unlocked: %(n)d failed attempt was cleared.",
            "Sign-in is unlocked: %(n)d failed attempts were cleared.",
            cleared.failures,
        )
        % {"n": cleared.failures},
    )
    return HttpResponseRedirect(f"/staff/users/{member.pk}/")


# --- audit log (supervisors and admins) ----------------------------------------------------


@staff_required(SUPERVISOR, ADMIN)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        context: dict[str, Any] = {"form": form, "page": None, "last_check": selectors.last_chain_verification()}
        return render(request, "staff/audit.html", context, status=400)
    filters = form.filters()
    page = selectors.audit_page(
        filters=filters, before=form.cleaned_data.get("before"), after=form.cleaned_data.get("after")
    )
    services.record_audit_view(actor=_actor(request), filters=filters.as_audit_details(page.actor_id))
    rows = [
        (
            entry,
            json.dumps(entry.details, ensure_ascii=False, sort_keys=True) if entry.details else "",
            audit_words.action_sentence(entry.action),
            audit_words.object_words(entry.object_type, str(entry.object_id or "")),
        )
        for entry in page.entries
    ]
    query = request.GET.copy()
    for key in ("before", "after"):
        query.pop(key, None)
    base = query.urlencode()
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "newer_url": f"?{base}&after={page.newer}" if page.newer is not None else "",
        "older_url": f"?{base}&before={page.older}" if page.older is not None else "",
        "last_check": selectors.last_chain_verification(),
        "newest_url": f"?{base}" if form.cleaned_data.get("before") or form.cleaned_data.get("after") else "",
    }
    return render(request, "staff/audit.html", context)


@staff_required(SUPERVISOR, ADMIN)
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    checked, broken = services.verify_audit_chain(actor=_actor(request))
    if broken is None:
        messages.success(request, _("The audit log is intact: %(n)d entries checked.") % {"n": checked})
    else:
        messages.error(
            request,
            _("The audit log is BROKEN at entry %(seq)d: %(reason)s. %(n)d entries before it are intact.")
            % {"seq": broken.seq, "reason": broken.reason, "n": checked},
        )
    return HttpResponseRedirect("/staff/audit/")


# --- partner API keys (admins) ---------------------------------------------------------------
@staff_required(ADMIN)
@require_http_methods(["GET", "POST"])
def partner_keys(request: HttpRequest) -> HttpResponse:
    """Admins list, create (key shown once) and revoke partner API keys."""
    form = PartnerKeyForm(request.POST or None)
    new_key = ""
    if request.method == "POST" and form.is_valid():
        try:
            _record, new_key = services.create_partner_key(
                partner=form.cleaned_data["partner"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except services.StaffError as exc:
            form.add_error("partner", str(exc))
        else:
            form = PartnerKeyForm()
    return render(
        request,
        "staff/partner_keys.html",
        {"form": form, "keys": selectors.partner_keys(), "new_key": new_key},
        status=400 if form.errors else 200,
    )


@staff_required(ADMIN)
@require_POST
def revoke_partner_key(request: HttpRequest, key_id: int) -> HttpResponse:
    key = get_object_or_404(PartnerKey, pk=key_id)
    if not is_confirmed(request):  # a revoked key cannot be restored: ask once more
        return confirm_page(
            request,
            title=_("Revoke key %(prefix)s…") % {"prefix": key.prefix},
            question=_("Revoke the key %(prefix)s… of %(partner)s?") % {"prefix": key.prefix, "partner": key.partner},
            consequences=[
                _("The partner's requests with this key are refused at once; a revoked key cannot be restored.")
            ],
            button=_("Yes, revoke the key"),
            cancel_url="/staff/partner-keys/",
        )
    services.revoke_partner_key(key=key, actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request, _("The key %(prefix)s… of %(partner)s is revoked.") % {"prefix": key.prefix, "partner": key.partner}
    )
    return HttpResponseRedirect("/staff/partner-keys/")
