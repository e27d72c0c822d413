"""TAXII 2.1 on the wire, for every view and client that speaks it: the media type and content
negotiation (TAXII 2.1 section 1.6.8) and the error message resource (section 3.6.1).

The TAXII server (:mod:`accord.taxii`), the peers' signed inbox and catch-up pull
(:mod:`accord.federation`) and the dissemination notices all answer and check TAXII
through these functions, so a media type is accepted, and an error is written, the same way
everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from django.http import HttpResponse
from django.utils.http import parse_header_parameters

__all__ = [
    "TAXII_MEDIA_TYPE",
    "accepts_taxii",
    "is_taxii_media_type",
    "peer_error",
    "taxii_error",
]

#: The media type without parameters (section 1.6.8.1); case-insensitive, compared lower-case.
TAXII_TYPE = "application/taxii+json"
#: The only version of TAXII this node speaks.
TAXII_VERSION = "2.1"
#: What every TAXII response and request body of this node is sent as.
TAXII_MEDIA_TYPE = f"{TAXII_TYPE};version={TAXII_VERSION}"


def _media_type(value: str) -> tuple[str, dict[str, str]]:
    """The type (lower-case) and the parameters (names lower-case, quoted values unquoted) of
    one media type; ``("", {})`` for a value that cannot be parsed."""
    try:
        kind, params = parse_header_parameters(value.strip())
    except ValueError:  # an RFC 2231 parameter in an unknown charset
        return "", {}
    return kind.strip(), {str(k): str(v).strip() for k, v in params.items()}


def _is_taxii(kind: str, params: Mapping[str, str]) -> bool:
    return kind == TAXII_TYPE and params.get("version", TAXII_VERSION) == TAXII_VERSION


def is_taxii_media_type(value: str) -> bool:
    """Is ``value`` (a ``Content-Type``) TAXII 2.1 (section 1.6.8)? The type is
    ``application/taxii+json`` in any case; a ``version`` parameter, when given, is ``2.1`` (the
    type without one is the latest version, 2.1 for this node); other parameters (``charset``)
    do not matter, white space around them and quotes around their values neither."""
    return _is_taxii(*_media_type(value))


def _accept_items(accept: str) -> list[str]:
    """The comma-separated items of an ``Accept`` header; commas inside quoted parameter values
    do not separate items."""
    items: list[str] = []
    start, quoted, escaped = 0, False, False
    for i, ch in enumerate(accept):
        if escaped:
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            items.append(accept[start:i])
            start = i + 1
    items.append(accept[start:])
    return items


def accepts_taxii(accept: str) -> bool:
    """Does an ``Accept`` header admit TAXII 2.1 (section 1.6.8)? An absent header admits
    anything; ``*/*`` and ``application/*`` admit it; an item with ``q=0`` admits nothing."""
    if not accept.strip():
        return True
    for item in _accept_items(accept):
        kind, params = _media_type(item)
        if params.get("q") in ("0", "0.0", "0.00", "0.000"):
            continue
        if kind in ("*/*", "application/*") or _is_taxii(kind, params):
            return True
    return False


def taxii_error(
    status: int,
    title: str,
    description: str = "",
    *,
    error_code: str = "",
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """A TAXII error message (section 3.6.1: ``title``, ``description``, ``error_code``,
    ``http_status``) answered with ``status`` in the TAXII media type. The description defaults
    to the title, the error code to the title in lower case with hyphens (``Not Found`` ->
    ``not-found``)."""
    body = {
        "title": title,
        "description": description or title,
        "error_code": error_code or title.lower().replace(" ", "-"),
        "http_status": str(status),
    }
    response = HttpResponse(orjson.dumps(body), status=status, content_type=TAXII_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def peer_error(status: int, title: str, description: str) -> HttpResponse:
    """A TAXII error message answered to a node-to-node request (a peer's signed push, pull or
    notice), its error code ``accord.peer.<status>``: the sending node reads the status and the
    description, and the code tells it the refusal came from this node's federation layer."""
    return taxii_error(status, title, description, error_code=f"accord.peer.{status}")
