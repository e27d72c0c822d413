"""API token authentication: ``Authorization: Bearer acc_...``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.http.requests import TokenRequest

__all__ = ["ApiTokenMiddleware", "user_for_token"]


def user_for_token(raw: str) -> User | None:
    """The active user of an active token, or None. A paused password sign-in (see
    :mod:`accord.accounts.throttle`) does not matter here: a token is a separate credential."""
    from accord.accounts.models import ApiToken

    if not raw.startswith("acc_"):
        return None
    token = (
        ApiToken.objects.active().select_related("user").filter(digest=ApiToken.hash(raw)).first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


class ApiTokenMiddleware:
    """Authenticate a request by its bearer token; such requests are exempt from CSRF."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: TokenRequest) -> HttpResponse:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Bearer "):
            user = user_for_token(header[7:].strip())
            if user is not None:
                request.user = user
                request._dont_enforce_csrf_checks = True
                request.auth_method = "token"
        return self.get_response(request)
