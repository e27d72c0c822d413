"""Account services: adding users, API tokens. Every change is audited."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from accord.accounts.choices import Role
from accord.accounts.models import ApiToken, User
from accord.oversight.services import Actor, audit

__all__ = ["UserError", "add_user", "create_token", "revoke_token"]


class UserError(Exception):
    """A user cannot be added as asked (unknown role, name taken, name too long)."""


def add_user(
    actor: Actor, username: str, *, role: str, password: str | None, agency: str = ""
) -> User:
    """Create a user with one role. Legal effect: grants that role's access to this node."""
    if role not in Role.values:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")
    if not username or len(username) > 150:
        raise UserError("a user name of 1 to 150 characters is required")
    if User.objects.filter(username=username).exists():
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, role=role, agency=agency)
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        user.save()
        audit(actor, "user.add", object_ids=[f"user:{username}"], detail={"role": role})
    return user


def create_token(
    actor: Actor, user: User, *, name: str, expires_at: datetime | None = None
) -> tuple[str, ApiToken]:
    """Create an API token for ``user``; returns the raw token (shown once) and its row."""
    raw = ApiToken.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100] or "token",
            key_prefix=raw[:10],
            digest=ApiToken.hash(raw),
            expires_at=expires_at,
        )
        audit(actor, "token.create", object_ids=[f"user:{user.username}"], detail={"name": name})
    return raw, token


def revoke_token(actor: Actor, token: ApiToken) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        audit(actor, "token.revoke", object_ids=[f"user:{token.user.username}"])
