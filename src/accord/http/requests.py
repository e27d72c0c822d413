"""The requests that reach a page or a REST operation, as the type checker sees them.

At run time both are Django's ``HttpRequest``; the classes only say what authentication has
already established, so that a view reads ``request.user.can(...)`` without a check the
decorator or the router has made for it:

- :class:`MemberRequest`: a page wrapped in :func:`accord.http.access.member_required`, whose
  user is signed in and active (and whose ``htmx`` details django-htmx's middleware set);
- :class:`ApiRequest`: an operation of the REST API behind ``accord.api.auth.API_AUTH``, whose
  ``auth`` (and ``user``) is the signed-in, active user;
- :class:`TokenRequest` and :class:`PeerRequest`: a request as the middleware that accepts an
  API token (``accord.accounts.middleware``) or a peer's signature
  (``accord.federation.middleware``) leaves it; those middlewares write these attributes, and
  the views that need them read them with ``getattr`` (a request may not have passed there).

A view or router annotates its ``request`` with one of them only where that authentication
runs before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accord.accounts.models import User
    from accord.engine.signing.http import RequestVerification
    from accord.federation.models import Peer

__all__ = ["ApiRequest", "MemberRequest", "PeerRequest", "TokenRequest"]


class MemberRequest(HttpRequest):
    """A page request that passed ``member_required``: ``user`` is a signed-in, active user."""

    user: User
    htmx: HtmxDetails


class ApiRequest(HttpRequest):
    """A REST call authenticated by ``API_AUTH``: ``auth`` is the user it authenticated, the
    same as ``user``."""

    auth: User
    user: User


class TokenRequest(HttpRequest):
    """A request authenticated by a credential of its own rather than the session: ``auth_method``
    is "token", and Django's CSRF check is off for it (``_dont_enforce_csrf_checks``, the flag
    Django's own test client sets)."""

    auth_method: str
    _dont_enforce_csrf_checks: bool


class PeerRequest(TokenRequest):
    """A request checked for a peer's signature: ``peer`` is the peer that signed it (None when
    unsigned), ``peer_signature`` the verification (whose nonce signs the answer)."""

    peer: Peer | None
    peer_signature: RequestVerification
