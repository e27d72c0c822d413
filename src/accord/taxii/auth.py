"""Who is calling: HTTP Basic (required of every TAXII server, TAXII 2.1 section 1.6.1) or an
Accord API token (``Authorization: Bearer acc_...``, resolved by ``ApiTokenMiddleware``).

Basic credentials are checked by the node's authentication backend, so sign-in throttling
applies (:mod:`accord.accounts.throttle`): an unknown user, a wrong password and an account whose
password sign-in is paused all get the same 401; an address paused after repeated failures gets
429 with ``Retry-After`` (RFC 6585 section 4), whatever user it names. A token keeps working
while its user's password sign-in is paused. Argon2 is deliberately slow, so a successful
verification is remembered in this process for :data:`BASIC_CACHE_SECONDS`, keyed by the
SHA-256 of the credentials (the password itself is never kept); a cached entry is used only
while the user's stored password hash is unchanged and the account is active. Failed attempts
are never cached.
Session cookies are not accepted here (TAXII requests are not protected by CSRF tokens).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from typing import TYPE_CHECKING, TypeGuard

from django.contrib.auth import authenticate
from django.http import HttpRequest

from accord.http.context import DEFAULT_PURPOSE
from accord.taxii.envelope import TaxiiError

if TYPE_CHECKING:
    from accord.accounts.models import RequestUser, User

__all__ = ["BASIC_CACHE_SECONDS", "clear_basic_cache", "request_purpose", "taxii_user"]

BASIC_CACHE_SECONDS = 60.0
_REALM = {"WWW-Authenticate": 'Basic realm="Accord TAXII", charset="UTF-8"'}
_cache: dict[str, tuple[float, int, str]] = {}
_lock = threading.Lock()


def clear_basic_cache() -> None:
    with _lock:
        _cache.clear()


def _unauthorised(description: str) -> TaxiiError:
    return TaxiiError(401, "Unauthorized", description, headers=dict(_REALM))


def _usable(user: RequestUser | None) -> TypeGuard[User]:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _basic(request: HttpRequest, encoded: str) -> User:
    from accord.accounts.models import User
    from accord.accounts.throttle import client_address, source_pause

    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorised("malformed Basic credentials") from None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        raise _unauthorised("malformed Basic credentials")
    key = hashlib.sha256(decoded.encode()).hexdigest()
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        user = User.objects.filter(pk=hit[1]).first()
        if user is not None and user.password == hit[2] and _usable(user):
            return user
        with _lock:
            _cache.pop(key, None)
    pause = source_pause(client_address(request))
    if pause:
        raise TaxiiError(
            429,
            "Too Many Requests",
            f"too many failed sign-ins from this address; try again in {pause} seconds",
            headers={"Retry-After": str(pause)},
        )
    user = authenticate(request, username=username, password=password)
    if not _usable(user):
        raise _unauthorised("wrong user name or password, or password sign-in is paused")
    with _lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[key] = (now + BASIC_CACHE_SECONDS, user.pk, user.password)
    return user


def taxii_user(request: HttpRequest) -> User:
    """The authenticated user of a TAXII request, or a 401 TAXII error."""
    if getattr(request, "auth_method", "") == "token":
        user = getattr(request, "user", None)
        if _usable(user):
            return user
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value.strip():
        return _basic(request, value.strip())
    if scheme.lower() == "bearer":
        raise _unauthorised("unknown, expired or revoked API token")
    raise _unauthorised("authenticate with HTTP Basic or an Accord API token")


def request_purpose(request: HttpRequest, user: User | None = None) -> str:
    """The declared purpose of a read (``X-Accord-Purpose``, default counter-terrorism), which
    must be one that ``user``'s role may declare (403 otherwise: the oversight review, which
    passes purpose restrictions, is declared only by reviewers)."""
    from accord.accounts.choices import declarable_purposes, role_may_declare

    purpose = request.headers.get("X-Accord-Purpose", "").strip() or DEFAULT_PURPOSE
    user = user if user is not None else getattr(request, "user", None)
    role = str(getattr(user, "role", ""))
    if not role_may_declare(role, purpose):
        raise TaxiiError(
            403,
            "Forbidden",
            f"you may not declare the purpose {purpose[:64]!r}; declare one of: "
            + (", ".join(declarable_purposes(role)) or "none"),
        )
    return purpose
