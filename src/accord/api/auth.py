"""Who is calling, and why: authentication and the purpose and case of every read.

A request is authenticated either by an API token (``Authorization: Bearer acc_...``, checked by
:class:`accord.accounts.middleware.ApiTokenMiddleware`, exempt from CSRF) or by the web session
(CSRF enforced on unsafe methods). Anything else is answered 401. Inactive accounts are refused here
too.

The purpose of a read comes from ``X-Accord-Purpose`` (default ``counter-terrorism``; one the
caller's role may declare) and its case from ``X-Accord-Case`` (an existing case the caller is a
member of); both are written into the audit entry of the read.
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
    """(purpose, case) declared by the caller's headers, checked: the purpose must be one the
    caller's role may declare (:func:`accord.accounts.choices.role_may_declare`) and the case,
    when given, one that exists and that the caller is a member of. Anything else is a 422
    problem, before any read or write happens, so that nothing unchecked reaches the audit
    trail."""
    from accord.accounts.choices import declarable_purposes, role_may_declare
    from accord.api.problems import ProblemError
    from accord.intel.models import Case

    user = getattr(request, "auth", None) or getattr(request, "user", None)
    role = str(getattr(user, "role", ""))
    purpose = request.headers.get("X-Accord-Purpose", "").strip() or DEFAULT_PURPOSE
    if not role_may_declare(role, purpose):
        allowed = ", ".join(declarable_purposes(role)) or "none"
        raise ProblemError(
            422,
            f"You may not declare the purpose {purpose[:64]!r}; declare one of: {allowed}.",
            errors=[{"path": "header:X-Accord-Purpose", "message": "not yours to declare"}],
        )
    case = request.headers.get("X-Accord-Case", "").strip()
    if case and not Case.objects.filter(reference=case, members=user).exists():
        raise ProblemError(
            422,
            "The declared case is unknown or you are not one of its members.",
            errors=[{"path": "header:X-Accord-Case", "message": "no such case for you"}],
        )
    return purpose, case
