"""Who is calling, and why: authentication and the purpose and case of every read.

A request is authenticated either by an API token (``Authorization: Bearer acc_...``, checked by
:class:`accord.accounts.middleware.ApiTokenMiddleware`, exempt from CSRF) or by the web session
(CSRF enforced on unsafe methods). Anything else is answered 401. Locked and inactive accounts are
refused here too.

The purpose of a read comes from ``X-Accord-Purpose`` (default ``counter-terrorism``) and its case
from ``X-Accord-Case``; both are written into the audit entry of the read.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

__all__ = ["API_AUTH", "DEFAULT_PURPOSE", "SessionAuth", "TokenAuth", "request_context"]

DEFAULT_PURPOSE = "counter-terrorism"


def _usable(user: Any) -> Any:
    if user is not None and getattr(user, "is_authenticated", False) and user.is_active:
        return user
    return None


class TokenAuth(HttpBearer):
    """``Authorization: Bearer acc_...``: the token was resolved by the middleware."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if getattr(request, "auth_method", "") != "token":
            return None
        return _usable(getattr(request, "user", None))


class SessionAuth(APIKeyCookie):
    """The web session cookie; ninja checks the CSRF token on unsafe methods."""

    param_name = "accord_session"

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.COOKIES.get(self.param_name):
            return None  # no session: 401, not a CSRF complaint
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if getattr(request, "auth_method", "") == "token":
            return None
        return _usable(getattr(request, "user", None))


API_AUTH = [TokenAuth(), SessionAuth(csrf=True)]


def request_context(request: HttpRequest) -> tuple[str, str]:
    """(purpose, case) declared by the caller's headers."""
    purpose = request.headers.get("X-Accord-Purpose", "").strip() or DEFAULT_PURPOSE
    case = request.headers.get("X-Accord-Case", "").strip()
    return purpose[:64], case[:64]
