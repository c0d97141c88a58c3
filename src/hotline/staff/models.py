"""Who may act: staff users (email login, roles as groups), their authenticator devices (TOTP secret
encrypted), their enrolment links, and partner API keys (stored hashed). The audit log is hotline.core's."""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify
from collections.abc import Iterator
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import random_hex

from hotline.core.fields import EncryptedTextField

SESSION_HASH_SALT = "hotline.staff.StaffUser.session"


class StaffUserManager(BaseUserManager["StaffUser"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> StaffUser:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> StaffUser:
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


# django-stubs cannot type the reverse manager of TOTPDevice (its base, django-otp's Device, is untyped).
class StaffUser(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    """A member of staff. Roles are Django groups named after hotline.core.authz.ROLES."""

    email = models.EmailField(_("email"), unique=True)
    display_name = models.CharField(_("name"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=8, default="sv")
    # Raised whenever access ends (deactivation, a role removed, two-factor reset): part of the session hash,
    # so every session signed in before it is refused on its next request, and reactivating never revives one.
    session_epoch = models.PositiveIntegerField(default=0)
    # Failed attempts to sign in to this account since its last sign-in (shown then, and reset): all of them,
    # and those refused without a check (locked network, per-account delay).
    failed_sign_ins = models.PositiveIntegerField(default=0)
    refused_sign_ins = models.PositiveIntegerField(default=0)
    last_failed_sign_in_at = models.DateTimeField(null=True, blank=True)

    objects = StaffUserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # type: ignore[misc]

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_staff(self) -> bool:  # Django admin is not used; every UI is Hotline's own.
        return False

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names & set(roles))

    # Django's session hash is an HMAC of the password hash; the epoch joins it once it has been raised (so the
    # sessions of accounts whose access never ended stay valid across the upgrade that added it).
    def get_session_auth_hash(self) -> str:
        if not self.session_epoch:
            return super().get_session_auth_hash()
        return self._epoch_session_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        if not self.session_epoch:
            yield from super().get_session_auth_fallback_hash()
            return
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._epoch_session_hash(secret=str(secret))

    def _epoch_session_hash(self, *, secret: str | None) -> str:  # secret None: SECRET_KEY
        value = f"{self.password}\n{self.session_epoch}"
        return salted_hmac(SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()


def default_totp_key() -> str:
    return str(random_hex(20))


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):  # type: ignore[misc]
    """A staff member's authenticator app (TOTP, RFC 6238), its secret encrypted with the data keyring.

    Takes the place of django-otp's TOTPDevice, which keeps the secret in clear (migration staff/0009 moved
    every device here). The algorithm is django-otp's: a code is accepted once (`last_t`), wrong codes are
    throttled, and `OTP_TOTP_ISSUER` names the hotline in the app.
    """

    key = EncryptedTextField(default=default_totp_key)  # hex, as django-otp stores it; encrypted at rest
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)  # time step of the last accepted code: only later ones verify

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    def verify_token(self, token: Any) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            number = int(token)
        except (TypeError, ValueError):
            number = None
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        if number is not None and totp.verify(number, self.tolerance, self.last_t + 1):
            self.last_t = totp.t()
            if getattr(settings, "OTP_TOTP_SYNC", True):
                self.drift = totp.drift
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            fields = ["last_t", "drift", "throttling_failure_timestamp", "throttling_failure_count", "last_used_at"]
            self.save(update_fields=fields)
            return True
        self.throttle_increment(commit=False)
        self.save(update_fields=["throttling_failure_timestamp", "throttling_failure_count"])
        return False

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    @property
    def config_url(self) -> str:
        """The otpauth:// URL of the enrolment QR code (Key Uri Format, as django-otp builds it)."""
        label = str(self.user.get_username())
        params = urlencode(
            {"secret": b32encode(self.bin_key), "algorithm": "SHA1", "digits": self.digits, "period": self.step}
        )
        issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "") or "").replace(":", "")
        if issuer:
            label = f"{issuer}:{label}"
            params += f"&issuer={quote(issuer)}"
        return f"otpauth://totp/{quote(label)}?{params}"


class EnrolmentLink(models.Model):
    """A one-time link to set a password and enrol a TOTP device; only its hash is stored."""

    user = models.ForeignKey(StaffUser, on_delete=models.CASCADE, related_name="enrolment_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


SCOPE_CREATE = "reports:create"
SCOPE_READ = "reports:read"
DEFAULT_SCOPES = [SCOPE_CREATE, SCOPE_READ]


class PartnerKey(models.Model):
    """An API key of a partner (operator app, platform). Only a SHA-256 of the key is stored."""

    partner = models.CharField(max_length=120, db_index=True)
    prefix = models.CharField(max_length=16, unique=True)  # shown to staff to tell keys apart
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(StaffUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "intake_partnerkey"  # created by the intake app, which first owned it
        ordering = ["partner", "-created_at"]

    def __str__(self) -> str:
        return f"{self.partner} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
