"""Password authentication, throttled per source address and per account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = ["ThrottledModelBackend"]


class ThrottledModelBackend(ModelBackend):
    """Django's model backend behind the sign-in throttles of :mod:`accord.accounts.throttle`.

    A paused source address is refused before any password is checked. An unknown user, a wrong
    password, an inactive user and an account whose password sign-in is paused are all refused
    the same way, after the same Argon2 work (the password is hashed even when it cannot
    succeed), so that neither the answer nor its time tells them apart. Every attempt is
    audited (``auth.login``) with the client's address.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        from accord.accounts.models import User
        from accord.accounts.throttle import (
            account_key,
            account_paused,
            client_address,
            record_failure,
            record_success,
            source_pause,
        )
        from accord.oversight.services import Outcome, audit

        if username is None or password is None:
            return None
        address = client_address(request)
        if source_pause(address):
            return None  # the pause itself was audited; its refusals cost no hashing
        name = account_key(username)
        where = {"address": address} if address else {}
        user = User.objects.filter(username=username).first() if name == username else None
        paused = account_paused(name, address)
        if user is None or paused:
            User().set_password(password)  # the same work as a real check: no timing oracle
            why = "unknown" if user is None else "paused"
            audit(name, "auth.login", outcome=Outcome.DENIED, detail={"why": why, **where})
            record_failure(address, name, count_account=not paused)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            record_success(address, user)
            audit(user, "auth.login", detail=where or None)
            return user
        audit(user, "auth.login", outcome=Outcome.DENIED, detail={"why": "bad password", **where})
        record_failure(address, name)
        return None
