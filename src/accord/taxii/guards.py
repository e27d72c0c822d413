"""Protocol guards shared by every TAXII view: content negotiation (TAXII 2.1 section 1.6.8,
the rule in :mod:`accord.http.taxii`), request size (section 4.1, ``max_content_length``) and
the wrapper that answers every failure as a TAXII error message (section 3.6.1), a fault
included (500, logged).

The body limit is applied first by the ASGI request guard (:mod:`accord.node.request_guard`),
before the body is read; :func:`read_json_body` checks it again for requests that reach a view
another way (Django's test client)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accord.engine.json_input import JsonInputError, parse_json
from accord.http.taxii import TAXII_MEDIA_TYPE, accepts_taxii, is_taxii_media_type
from accord.taxii.auth import taxii_user
from accord.taxii.envelope import TaxiiError, error_response

__all__ = ["max_content_length", "read_json_body", "taxii_view"]

log = logging.getLogger("accord.taxii")


def max_content_length() -> int:
    return int(settings.ACCORD_TAXII_MAX_CONTENT_LENGTH)


def read_json_body(request: HttpRequest) -> Any:
    """The request's JSON body, after the Content-Type (415) and size (413) checks; the size is
    checked on Content-Length before any of the body is read."""
    if not is_taxii_media_type(request.META.get("CONTENT_TYPE", "")):
        raise TaxiiError(
            415, "Unsupported Media Type", f"the request body must be {TAXII_MEDIA_TYPE}"
        )
    limit = max_content_length()
    declared = request.META.get("CONTENT_LENGTH") or ""
    try:
        length = int(declared) if declared else -1
    except ValueError:
        raise TaxiiError(400, "Bad Request", "Content-Length is not a number") from None
    if length > limit:
        raise TaxiiError(413, "Payload Too Large", f"the API root accepts at most {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise TaxiiError(413, "Payload Too Large", f"the API root accepts at most {limit} bytes")
    try:
        return parse_json(body, what="TAXII envelope")
    except JsonInputError as exc:
        raise TaxiiError(400, "Bad Request", str(exc)) from None


def taxii_view(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., Any]]:
    """Wrap a TAXII view: allowed methods (405), Accept (406), authentication (401), and every
    :class:`TaxiiError` as a TAXII error message; any other exception is logged and answered as
    a TAXII 500 (never Django's HTML page, never the exception's text). The view is called as
    ``view(request, user, **kwargs)``. CSRF does not apply: TAXII clients authenticate each
    request with HTTP Basic or a bearer token, never with a session cookie."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., Any]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise TaxiiError(
                        405,
                        "Method Not Allowed",
                        f"allowed: {', '.join(methods)}",
                        headers={"Allow": ", ".join(methods)},
                    )
                if not accepts_taxii(request.headers.get("Accept", "")):
                    raise TaxiiError(406, "Not Acceptable", f"accept {TAXII_MEDIA_TYPE}")
                user = taxii_user(request)
                return view(request, user, *args, **kwargs)
            except TaxiiError as error:
                return error_response(error)
            except DisallowedHost:
                return error_response(TaxiiError(400, "Bad Request", "unknown Host"))
            except PermissionDenied as exc:
                return error_response(TaxiiError(403, "Forbidden", str(exc) or "not allowed"))
            except Exception:
                log.exception("TAXII error on %s %s", request.method, request.path[:300])
                return error_response(
                    TaxiiError(
                        500,
                        "Internal Server Error",
                        "the node could not complete the request; it has been logged",
                    )
                )

        return wrapper

    return decorate
