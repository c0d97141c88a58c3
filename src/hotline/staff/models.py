"""Who may act: staff users (email login, roles as groups), their enrolment links, and partner API keys
(stored hashed). The audit log is hotline.core's."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class StaffUser(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Roles are Django groups named after hotline.core.authz.ROLES."""

    email = models.EmailField(_("email"), unique=True)
    display_name = models.CharField(_("name"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=8, default="sv")

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
