"""``RequestGuard``: the ASGI layer in front of Django that decides, before a request body is
read, whether it may be sent at all, how large it may be and how fast it must arrive.

Django's ASGI handler reads the whole body (into memory, then a temporary file) before any
middleware or view runs, so a check in Django comes after the body has been taken. The guard
wraps the application (``accord.node.asgi``) and the ``receive`` channel:

1. **Who may send a body.** An unsafe request (POST, PUT, PATCH, DELETE) under ``/api/``,
   ``/taxii2/`` or ``/federation/`` without any credential those URLs accept is answered **401**
   at once: under ``/api/`` a bearer token or the web session; under ``/taxii2/`` HTTP Basic, a
   bearer token or a peer's signature (``Signature-Input``); under ``/federation/`` a peer's
   signature. A credential that is wrong without reading the body (an API token that is
   unknown, revoked, expired or its user's account disabled: a digest look-up; a session cookie
   with no live signed-in session; malformed Basic credentials) is **401** too. Basic passwords
   and peer signatures are verified where they always are (the TAXII view,
   ``PeerSignatureMiddleware``), so a failed password counts once towards lock-out; the body
   limit bounds what such a request can make the node read. Whether a valid credential may do
   what the request asks is Django's to decide, as before.
2. **How large.** Each route has a body limit (:func:`body_limit`); a ``Content-Length`` above
   it is **413** before any of the body is read, and a body sent without one (chunked) is
   **413** as soon as it passes the limit.
3. **How fast.** The whole body must arrive within ``ACCORD_REQUEST_BODY_TIMEOUT`` seconds and,
   after the first ``ACCORD_REQUEST_BODY_GRACE`` seconds, at
   ``ACCORD_REQUEST_BODY_MIN_RATE`` bytes per second on average; otherwise **408**.

Under ``/api/``, ``/taxii2/`` and ``/federation/`` a Host the node does not answer to
(``ALLOWED_HOSTS``) is **400** here too, so that these URLs never get Django's HTML page.

Refusals are answered in the format of their URL (TAXII 2.1 error message, section 3.6.1, under
``/taxii2/`` and ``/federation/``; RFC 9457 problem details under ``/api/``; plain text
elsewhere) with ``Connection: close``, and logged. A signed peer request refused for its size is
audited as ``PeerSignatureMiddleware`` audits it (``peer.request``, denied).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.db import DatabaseError, close_old_connections
from django.http import HttpResponse, parse_cookie

__all__ = [
    "UNSAFE_METHODS",
    "BodyLimit",
    "RequestGuard",
    "body_limit",
    "route_of",
]

log = logging.getLogger("accord.node.request_guard")

# As Django's ASGI handler takes them: the scope a dict, the messages it sends any mapping.
Scope = dict[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_TAXII_REALM = 'Basic realm="Accord TAXII", charset="UTF-8"'
_API_REALM = 'Bearer realm="accord"'


def route_of(path: str) -> str:
    """Which part of the node a path belongs to: ``taxii``, ``api``, ``federation`` or
    ``web``."""
    if path == "/taxii2" or path.startswith("/taxii2/"):
        return "taxii"
    if path == "/api" or path.startswith("/api/"):
        return "api"
    if path.startswith("/federation/"):
        return "federation"
    return "web"


@dataclass(frozen=True)
class BodyLimit:
    """The most bytes a request body may have, and the setting that says so."""

    limit: int
    setting: str


def body_limit(route: str, content_type: str) -> BodyLimit:
    """The body limit of a request: TAXII and signed federation requests
    ``ACCORD_TAXII_MAX_CONTENT_LENGTH`` (the limit ``PeerSignatureMiddleware`` applies to signed
    bodies); a file upload (``multipart/form-data``) ``ACCORD_MAX_UPLOAD_BYTES`` for the file
    plus ``ACCORD_MAX_REQUEST_BYTES`` for the other fields; any other body (REST JSON, web forms)
    ``ACCORD_MAX_REQUEST_BYTES`` (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    if route in ("taxii", "federation"):
        return BodyLimit(
            int(settings.ACCORD_TAXII_MAX_CONTENT_LENGTH), "ACCORD_TAXII_MAX_CONTENT_LENGTH"
        )
    fields: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # None: no limit
    upload = int(settings.ACCORD_MAX_UPLOAD_BYTES)
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        return BodyLimit(upload + int(fields or 0), "ACCORD_MAX_UPLOAD_BYTES")
    if fields is None:  # Django's "no limit": the upload limit still bounds the body
        return BodyLimit(upload, "ACCORD_MAX_UPLOAD_BYTES")
    return BodyLimit(int(fields), "ACCORD_MAX_REQUEST_BYTES")


@dataclass(frozen=True)
class _Credentials:
    """What an unsafe request presents, as far as it can be judged without its body (Basic
    credentials and peer signatures are judged later, by Django: nothing to look up here)."""

    token: str | None = None  # an API token to look up
    session: str | None = None  # a session key to look up
    refusal: str = ""  # why the request is refused at once ('' when it is not)


def _presented(route: str, headers: dict[str, str]) -> _Credentials:
    """The credentials an unsafe request to ``route`` carries, or the reason it carries none
    that the route accepts (no database access)."""
    authorization = headers.get("authorization", "").strip()
    scheme, _, value = authorization.partition(" ")
    signed = "signature" in headers or "signature-input" in headers
    token = value.strip() if authorization.startswith("Bearer ") and value.strip() else None
    if route == "federation":
        if signed:
            return _Credentials()
        return _Credentials(refusal="only requests signed by a peer (RFC 9421) are accepted here")
    if route == "taxii":
        if signed:
            return _Credentials()
        if scheme.lower() == "basic":
            if not _basic_well_formed(value.strip()):
                return _Credentials(refusal="malformed Basic credentials")
            return _Credentials()
        if token is not None:
            return _Credentials(token=token)
        if scheme.lower() == "bearer":
            return _Credentials(refusal="unknown, expired or revoked API token")
        return _Credentials(refusal="authenticate with HTTP Basic or an Accord API token")
    session = parse_cookie(headers.get("cookie", "")).get(settings.SESSION_COOKIE_NAME) or None
    if token is None and session is None:
        return _Credentials(
            refusal="sign in, or send 'Authorization: Bearer <API token>'"
            if not authorization
            else "the REST API accepts an API token (Bearer) or the web session, nothing else"
        )
    return _Credentials(token=token, session=session)


def _basic_well_formed(encoded: str) -> bool:
    """Are these Basic credentials base64 of UTF-8 ``user:password``? (Not whether they are
    right: the TAXII view checks that, counting a failure once.)"""
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    username, sep, _ = decoded.partition(":")
    return bool(sep and username)


def _token_known(raw: str) -> bool:
    """Is ``raw`` an API token that is live (not revoked, not expired) and whose user account is
    active? (Whether the user may use it for this request is decided later, by Django.)"""
    from accord.accounts.models import ApiToken

    if not raw.startswith(ApiToken.PREFIX):
        return False
    return (
        ApiToken.objects.active().filter(digest=ApiToken.hash(raw), user__is_active=True).exists()
    )


def _session_signed_in(key: str) -> bool:
    """Does ``key`` name a live session of a signed-in user?"""
    engine = import_module(settings.SESSION_ENGINE)
    data = engine.SessionStore(session_key=key).load()
    return "_auth_user_id" in data


@sync_to_async
def _credentials_valid(credentials: _Credentials) -> bool | None:
    """Whether one of the credentials to look up is valid; None when the database could not
    be asked (the request then goes on, and Django decides)."""
    close_old_connections()
    try:
        if credentials.token is not None and _token_known(credentials.token):
            return True
        return credentials.session is not None and _session_signed_in(credentials.session)
    except DatabaseError:
        log.warning("request guard: credentials could not be looked up", exc_info=True)
        return None
    finally:
        close_old_connections()


def _request(scope: Scope) -> ASGIRequest:
    """A Django request for ``scope`` with an empty body, to build answers with (never
    handed to a view)."""
    return ASGIRequest(scope, io.BytesIO())


def _host_allowed(scope: Scope) -> bool:
    """Is the request's Host one this node answers to (``ALLOWED_HOSTS``, as Django checks it)?"""
    try:
        _request(scope).get_host()
    except DisallowedHost:
        return False
    return True


def _answer(
    scope: Scope, route: str, status: int, title: str, detail: str, *, realm: bool = False
) -> HttpResponse:
    """A refusal in the format of its route."""
    if route in ("taxii", "federation"):
        from accord.taxii.envelope import TaxiiError, error_response

        headers = {"WWW-Authenticate": _TAXII_REALM} if realm and route == "taxii" else None
        return error_response(TaxiiError(status, title, detail, headers=headers))
    if route == "api":
        from accord.http.problems import problem

        headers = {"WWW-Authenticate": _API_REALM} if realm else None
        return problem(_request(scope), status, detail, headers=headers)
    return HttpResponse(
        f"{status} {title}: {detail}\n", status=status, content_type="text/plain; charset=utf-8"
    )


@sync_to_async
def _audited_peer_refusal(scope: Scope, declared: int, limit: int) -> HttpResponse:
    """The 413 of a signed peer request, audited as ``PeerSignatureMiddleware`` audits it."""
    from accord.federation.middleware import refuse_too_large

    close_old_connections()
    try:
        return refuse_too_large(_request(scope), declared, limit)
    finally:
        close_old_connections()


async def _send_answer(send: Send, response: HttpResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.items()]
    headers += [
        (b"content-length", str(len(response.content)).encode()),
        (b"connection", b"close"),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content, "more_body": False})


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers") or ():
        out[name.decode("latin-1").lower()] = value.decode("latin-1")
    return out


class _Refused(Exception):
    """The guard has answered; the application gets a disconnect."""


class _BodyReader:
    """``receive`` for the application: counts the body, refuses it when it passes the limit or
    arrives too slowly, and hands the application a disconnect once the guard has answered."""

    def __init__(self, guard: RequestGuard, scope: Scope, receive: Receive, send: Send,
                 route: str, limit: BodyLimit, signed: bool) -> None:  # fmt: skip
        self.guard, self.scope, self.receive, self.send = guard, scope, receive, send
        self.route, self.limit, self.signed = route, limit, signed
        self.received = 0
        self.complete = False
        self.answered = False
        self.response_started = False
        self.started = time.monotonic()

    def _time_left(self) -> float:
        now = time.monotonic()
        deadline = self.started + float(settings.ACCORD_REQUEST_BODY_TIMEOUT)
        rate = float(settings.ACCORD_REQUEST_BODY_MIN_RATE)
        if rate > 0:
            grace = float(settings.ACCORD_REQUEST_BODY_GRACE)
            deadline = min(deadline, self.started + grace + self.received / rate)
        return deadline - now

    async def __call__(self) -> Message:
        if self.answered:
            return {"type": "http.disconnect"}
        if self.complete:
            return await self.receive()  # after the body: the application waits for a disconnect
        try:
            return await self._next()
        except _Refused:
            return {"type": "http.disconnect"}

    async def _next(self) -> Message:
        left = self._time_left()
        if left <= 0:
            await self._refuse_slow()
        try:
            message = await asyncio.wait_for(self.receive(), timeout=left)
        except TimeoutError:
            await self._refuse_slow()
        if message["type"] != "http.request":
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.limit.limit:
            await self._refuse_large()
        if not message.get("more_body", False):
            self.complete = True
        return message

    async def _refuse_large(self) -> None:
        limit = self.limit.limit
        if self.signed:
            response = await _audited_peer_refusal(self.scope, 0, limit)
        else:
            response = _answer(
                self.scope, self.route, 413, "Payload Too Large",
                f"the body is larger than this node accepts here ({limit} bytes, "
                f"{self.limit.setting})",
            )  # fmt: skip
        self.guard.log_refusal(self.scope, 413, f"body passed {limit} bytes while being read")
        await self._answer(response)

    async def _refuse_slow(self) -> None:
        elapsed = time.monotonic() - self.started
        response = _answer(
            self.scope, self.route, 408, "Request Timeout",
            f"the body arrived too slowly ({self.received} bytes in {elapsed:.1f} s; see "
            "ACCORD_REQUEST_BODY_TIMEOUT and ACCORD_REQUEST_BODY_MIN_RATE)",
        )  # fmt: skip
        self.guard.log_refusal(self.scope, 408, f"{self.received} bytes in {elapsed:.1f} s")
        await self._answer(response)

    async def _answer(self, response: HttpResponse) -> None:
        self.answered = True
        if not self.response_started:
            await _send_answer(self.send, response)
        raise _Refused

    async def guarded_send(self, message: Mapping[str, Any]) -> None:
        """The application's ``send``: dropped once the guard has answered."""
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.response_started = True
        await self.send(message)


class RequestGuard:
    """ASGI middleware: see the module docstring."""

    def __init__(self, app: App) -> None:
        self.app = app

    def log_refusal(self, scope: Scope, status: int, reason: str) -> None:
        client = scope.get("client") or ("", 0)
        log.warning(
            "request refused by the request guard: %s %s %s from %s: %s",
            status, scope.get("method"), str(scope.get("path", ""))[:300], client[0], reason,
        )  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        route = route_of(scope["path"])
        raw_length = headers.get("content-length")
        declared = int(raw_length) if raw_length and raw_length.isdigit() else None
        limit = body_limit(route, headers.get("content-type", ""))
        signed = route in ("taxii", "federation") and (
            "signature" in headers or "signature-input" in headers
        )
        refusal: tuple[HttpResponse, str] | None = None
        if route != "web" and not _host_allowed(scope):
            # Django's own answer would be an HTML page; these URLs answer in their format.
            detail = "this node does not answer to that Host (ACCORD_ALLOWED_HOSTS)"
            refusal = _answer(scope, route, 400, "Bad Request", detail), "Host not allowed"
        elif raw_length is not None and declared is None:
            refusal = (
                _answer(scope, route, 400, "Bad Request", "Content-Length is not a number"),
                "malformed Content-Length",
            )
        else:
            refusal = await self._who(scope, route, headers)
        if refusal is None and declared is not None and declared > limit.limit:
            refusal = await self._too_large(scope, route, declared, limit, signed)
        if refusal is not None:
            response, reason = refusal
            self.log_refusal(scope, response.status_code, reason)
            await _send_answer(send, response)
            return
        if not declared and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        reader = _BodyReader(self, scope, receive, send, route, limit, signed)
        await self.app(scope, reader, reader.guarded_send)

    async def _who(
        self, scope: Scope, route: str, headers: dict[str, str]
    ) -> tuple[HttpResponse, str] | None:
        """401 for an unsafe request without a credential its route takes, or with one that is
        wrong on its face or in the database; None otherwise."""
        if str(scope.get("method", "GET")).upper() not in UNSAFE_METHODS or route == "web":
            return None
        credentials = _presented(route, headers)
        detail = credentials.refusal
        looked_up = not detail and (credentials.token or credentials.session)
        if looked_up and await _credentials_valid(credentials) is False:
            if credentials.token and credentials.session:
                detail = "neither the API token nor the session is valid"
            elif credentials.token:
                detail = "unknown, expired or revoked API token"
            else:
                detail = "the session has ended; sign in again"
        if not detail:
            return None
        return _answer(scope, route, 401, "Unauthorized", detail, realm=True), detail

    async def _too_large(
        self, scope: Scope, route: str, declared: int, limit: BodyLimit, signed: bool
    ) -> tuple[HttpResponse, str]:
        """413 for a declared length over the route's limit (audited for a signed request)."""
        if signed:
            response = await _audited_peer_refusal(scope, declared, limit.limit)
        else:
            response = _answer(
                scope, route, 413, "Payload Too Large",
                f"Content-Length {declared} is larger than this node accepts here "
                f"({limit.limit} bytes, {limit.setting})",
            )  # fmt: skip
        return response, f"Content-Length {declared} > {limit.limit}"
