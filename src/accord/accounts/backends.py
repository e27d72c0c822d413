"""Authentication with lockout after repeated failed logins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

__all__ = ["LockoutModelBackend"]


class LockoutModelBackend(ModelBackend):
    """Django's model backend, refusing locked accounts and counting failures.

    After ``ACCORD_LOCKOUT_THRESHOLD`` failed attempts the account is locked for
    ``ACCORD_LOCKOUT_SECONDS``; a correct password during the lock is refused too.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        from accord.accounts.models import User
        from accord.oversight.services import Outcome, audit

        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            audit(username[:150], "auth.login", outcome=Outcome.DENIED, detail={"why": "unknown"})
            return None
        if user.is_locked:
            audit(user, "auth.login", outcome=Outcome.DENIED, detail={"why": "locked"})
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins:
                User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            audit(user, "auth.login")
            return user
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins"])
        why = "bad password"
        if user.failed_logins >= settings.ACCORD_LOCKOUT_THRESHOLD:
            until = timezone.now() + timedelta(seconds=settings.ACCORD_LOCKOUT_SECONDS)
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
            why = "bad password; account locked"
        audit(user, "auth.login", outcome=Outcome.DENIED, detail={"why": why})
        return None
