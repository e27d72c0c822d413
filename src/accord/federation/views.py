"""``POST /federation/inbox/``: where peers push signed objects (signed requests only).

The body is a TAXII 2.1 envelope (section 3.7, ``{"objects": [...]}``) sent as
``application/taxii+json;version=2.1``; the answer is **202** with a TAXII 2.1 status resource
(section 4.3.1) listing each object's success or failure, exactly as TAXII Add Objects (section
5.5) answers, so the sender's outbox reads both the same way. Unlike the TAXII collection
endpoint, every object's originator signature and provenance are checked before it is stored
(:func:`~accord.federation.services.receive_envelope`).
"""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accord.engine.json_input import JsonInputError, parse_json
from accord.federation.services import receive_envelope
from accord.http.taxii import TAXII_MEDIA_TYPE, is_taxii_media_type, peer_error

__all__ = ["inbox"]


@csrf_exempt
def inbox(request: HttpRequest) -> HttpResponse:
    """Receive a pushed envelope from a peer whose request signature was verified."""
    if request.method != "POST":
        response = peer_error(405, "Method Not Allowed", "allowed: POST")
        response["Allow"] = "POST"
        return response
    peer = getattr(request, "peer", None)
    if peer is None:
        return peer_error(401, "Unauthorized", "only requests signed by a peer (RFC 9421)")
    if not is_taxii_media_type(request.META.get("CONTENT_TYPE", "")):
        return peer_error(415, "Unsupported Media Type", f"the body must be {TAXII_MEDIA_TYPE}")
    try:
        envelope = parse_json(request.body, what="envelope")
    except JsonInputError as exc:
        return peer_error(400, "Bad Request", str(exc))
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(objects, list):
        return peer_error(400, "Bad Request", "a TAXII envelope with an 'objects' list")
    status = receive_envelope(peer, objects, envelope)
    return HttpResponse(orjson.dumps(status), status=202, content_type=TAXII_MEDIA_TYPE)
