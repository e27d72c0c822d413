"""Users with one role and one agency; API tokens stored as hashes; sign-in throttles."""

from __future__ import annotations

import hashlib
import secrets
from typing import TypeAlias

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import models
from django.utils import timezone

from accord.accounts.choices import Role, role_can

__all__ = ["ApiToken", "LoginThrottle", "RequestUser", "SignInSource", "User"]


class User(AbstractUser):
    """A person who works on this node. Permissions come from ``role`` only (deny by default)."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANALYST)
    agency = models.CharField(
        max_length=64, blank=True, help_text="Unit or agency within the node, for AMBER+STRICT."
    )

    def can(self, permission: str) -> bool:
        return bool(self.is_active and role_can(self.role, permission))


#: Whoever a request carries: a user of this node or, before sign-in, Django's anonymous user.
#: What restricts reads at the source takes either (the anonymous user sees nothing).
RequestUser: TypeAlias = User | AnonymousUser


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """An API token. Only its SHA-256 digest is stored; the token is shown once at creation."""

    PREFIX = "acc_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)


class LoginThrottle(models.Model):
    """Failed password attempts from one source address, or naming one account.

    Kept in the database so that every process of the node (web, worker) counts the same
    attempts. ``key`` is the address (an IPv6 address's /64 network) or the user name as typed,
    whether or not such a user exists. See :mod:`accord.accounts.throttle`.
    """

    class Scope(models.TextChoices):
        SOURCE = "source", "Source address"
        ACCOUNT = "account", "Account name"

    scope = models.CharField(max_length=8, choices=Scope.choices)
    key = models.CharField(max_length=150)
    failures = models.PositiveIntegerField(default=0)
    strikes = models.PositiveIntegerField(
        default=0, help_text="Pauses imposed since the counts last started over."
    )
    blocked_until = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        db_index=True, help_text="When the counts start over (and the row may be deleted)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_scope_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class SignInSource(models.Model):
    """A source address (an IPv6 /64) from which a user last signed in with a password."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_sources")
    address = models.CharField(max_length=64)
    last_success_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "address"], name="sign_in_source_user_address")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.address}"
