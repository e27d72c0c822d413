"""``PeerSignatureMiddleware``: authenticate node-to-node requests by their RFC 9421 signature.

A request that carries ``Signature`` or ``Signature-Input`` is checked against the registered,
enabled peers (:func:`~accord.federation.services.verify_peer_request`: known key, valid
Ed25519 signature over the signature base, ``Content-Digest`` of the body per RFC 9530, fresh
within the allowed clock skew, nonce not seen before). A failure is answered **401** with a
TAXII 2.1 error message (section 3.6.1) and audited (``peer.request``, denied, with the
reason); nothing else runs. On success the request acts as the peer's service user
(``peer:<node-id>``, role ``peer``), ``request.peer`` is set and ``request.peer_signature`` holds
the verification (its nonce binds a signed answer to this request); like a bearer token, the
signature replaces CSRF protection (there is no cookie), and the TAXII views accept the user
the way they accept a token's (``auth_method = "token"``). Signatures authenticate only on
``/taxii2/`` and ``/federation/`` (:data:`PEER_PATHS`): a signed request elsewhere (web UI, REST
API) is 401. Requests without these headers pass through untouched.

The body of a signed request is limited to ``ACCORD_TAXII_MAX_CONTENT_LENGTH`` (10 MiB) before
the signature is checked: a larger declared ``Content-Length`` is refused at once, and the body
(also one sent chunked, without ``Content-Length``) is read at most limit + 1 bytes, so an
oversized body is never held whole in memory. Either way the answer is **413**, audited
(``peer.request``, denied, "payload too large: <n> > <limit> bytes", the claimed, unverified,
key id, path and remote address).
"""

from __future__ import annotations

import io
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

from accord.engine.signing.structured import parse_signature_input_dictionary
from accord.http.requests import PeerRequest
from accord.http.taxii import peer_error
from accord.oversight.services import Outcome, audit

__all__ = ["PEER_PATHS", "PeerSignatureMiddleware", "refuse_too_large"]

#: Where a peer's signature authenticates: TAXII and the inbox; never the web UI or REST API.
PEER_PATHS = ("/taxii2/", "/federation/")


#: :func:`accord.http.taxii.peer_error`, by the name :mod:`accord.dissemination.notices` imports.


def _bounded_body(request: HttpRequest, limit: int) -> bytes:
    """The request body, reading at most ``limit + 1`` bytes (so that a body without a
    ``Content-Length``, sent chunked, cannot be read whole into memory before its size is
    known); when it fits, it is kept as ``request.body`` for the view."""
    if hasattr(request, "_body"):  # already read (a test client, or middleware before us)
        return request._body
    body = request.read(limit + 1)
    if len(body) <= limit:
        request._body = body  # what HttpRequest.body caches
        request._stream = io.BytesIO(body)  # as .body leaves it
    return body


def _claimed_keyid(signature_input: str) -> str:
    """The ``keyid`` a ``Signature-Input`` names (its first signature), unverified; '' when the
    field is malformed or names none. Only for the audit of a request refused before its
    signature could be checked."""
    try:
        inputs = parse_signature_input_dictionary(signature_input)
    except ValueError:
        return ""
    for _components, params in inputs.values():
        keyid = params.get("keyid")
        return keyid[:64] if isinstance(keyid, str) else ""
    return ""


def refuse_too_large(request: HttpRequest, declared: int, limit: int) -> HttpResponse:
    """413 for a body over ``limit``, audited (``peer.request``, denied) with the size (the
    declared ``Content-Length``, or 0 when the body was read and stopped at limit + 1), the
    claimed key id (not verified: the signature is not checked on a body that was not read
    whole), the path and the remote address."""
    keyid = _claimed_keyid(request.META.get("HTTP_SIGNATURE_INPUT", ""))
    reason = (
        f"payload too large: {declared} > {limit} bytes"
        if declared
        else f"payload too large: more than {limit} bytes (no Content-Length)"
    )
    audit(
        f"peer:{keyid}" if keyid else "unknown-peer",
        "peer.request",
        outcome=Outcome.DENIED,
        detail={
            "reason": reason,
            "status": 413,
            "keyid": keyid,
            "keyid_verified": False,
            "method": request.method,
            "path": request.path[:300],
            "remote": request.META.get("REMOTE_ADDR", ""),
        },
    )
    return peer_error(413, "Payload Too Large", f"at most {limit} bytes")


class PeerSignatureMiddleware:
    """Verify signed node-to-node requests; see the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: PeerRequest) -> HttpResponse:
        request.peer = None
        meta = request.META
        if "HTTP_SIGNATURE" not in meta and "HTTP_SIGNATURE_INPUT" not in meta:
            return self.get_response(request)
        from accord.federation.services import verify_peer_request

        if not request.path.startswith(PEER_PATHS):
            return peer_error(
                401,
                "Unauthorized",
                "signed peer requests are accepted only on /taxii2/ and /federation/",
            )
        limit = int(getattr(settings, "ACCORD_TAXII_MAX_CONTENT_LENGTH", 10 * 1024 * 1024))
        try:
            declared = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return refuse_too_large(request, declared, limit)
        body = _bounded_body(request, limit)
        if len(body) > limit:  # sent without (or with a false) Content-Length
            return refuse_too_large(request, 0, limit)
        try:
            url = request.build_absolute_uri()
        except DisallowedHost:
            return peer_error(400, "Bad Request", "unknown Host")
        headers = dict(request.headers.items())
        peer, result = verify_peer_request(request.method or "GET", url, headers, body)
        if peer is None:
            audit(
                f"peer:{result.keyid}" if result.keyid else "unknown-peer",
                "peer.request",
                outcome=Outcome.DENIED,
                detail={
                    "reason": result.reason,
                    "keyid": result.keyid,
                    "method": request.method,
                    "path": request.path[:300],
                    "remote": meta.get("REMOTE_ADDR", ""),
                },
            )
            return peer_error(401, "Unauthorized", f"signed request refused: {result.reason}")
        request.user = peer.user
        request.peer = peer
        request.peer_signature = result  # its nonce signs answers
        request.auth_method = "token"
        request._dont_enforce_csrf_checks = True
        return self.get_response(request)
