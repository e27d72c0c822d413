"""Who is calling: authentication of every REST call.

A request is authenticated either by an API token (``Authorization: Bearer acc_...``, checked by
:class:`accord.accounts.middleware.ApiTokenMiddleware`, exempt from CSRF) or by the web session
(CSRF enforced on unsafe methods). Anything else is answered 401. Inactive accounts are refused here
too. Why the caller reads or writes (purpose and case) is :mod:`accord.http.context`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

if TYPE_CHECKING:
    from accord.accounts.models import RequestUser, User

__all__ = ["API_AUTH", "SessionAuth", "TokenAuth"]


def _usable(user: RequestUser | None) -> User | None:
    if user is not None and getattr(user, "is_authenticated", False) and user.is_active:
        return user
    return None


class TokenAuth(HttpBearer):
    """``Authorization: Bearer acc_...``: the token was resolved by the middleware."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
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

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        if getattr(request, "auth_method", "") == "token":
            return None
        return _usable(getattr(request, "user", None))


API_AUTH = [TokenAuth(), SessionAuth(csrf=True)]
