"""TAXII 2.1 section 5.4 Get Objects, 5.5 Add Objects, 5.6 Get An Object, 5.7 Delete An Object.

Objects are served as stored (``RecordVersion.data``, the JSON text as received): an envelope is
built by joining the stored texts, never by parsing and re-serialising them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accord.intel.bulk import collector_paused
from accord.taxii.auth import request_purpose
from accord.taxii.collections import collection_or_error
from accord.taxii.envelope import (
    StoredJson,
    TaxiiError,
    envelope_bytes,
    taxii_response,
)
from accord.taxii.filters import parse_filters
from accord.taxii.guards import read_json_body, taxii_view
from accord.taxii.pagination import fetch_page
from accord.taxii.services import add_objects, audit_read, remove_object, visible_entries
from accord.taxii.status import status_resource

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accord.accounts.models import User
    from accord.taxii.filters import Filters
    from accord.taxii.models import Collection, CollectionEntry

__all__ = ["object_detail", "objects"]

_FIELDS = ("pk", "date_added_us", "stored_json", "record__personal_data", "stix_id")


def _envelope(request: HttpRequest, user: User, collection: Collection,
              qs: QuerySet[CollectionEntry], filters: Filters, scope: str, what: str, *,
              held: QuerySet[CollectionEntry] | None = None) -> HttpResponse:  # fmt: skip
    """One page of ``qs`` as an envelope. ``held``: for Get An Object, the object's visible
    entries in the collection whatever the filters: 404 when it has none, an empty envelope when
    the filters exclude them all (TAXII 2.1 section 5.6)."""
    purpose = request_purpose(request, user)
    qs = qs.annotate(stored_json=StoredJson("version__data"))
    page = fetch_page(qs, _FIELDS, filters, request.GET, scope)
    if held is not None and not page.rows and not held.exists():
        raise TaxiiError(404, "Not Found", "no such object in this collection")
    audit_read(
        user,
        collection=collection,
        what=what,
        personal_ids=[r[4] for r in page.rows if r[3]],
        returned=len(page.rows),
        purpose=purpose,
    )
    body = envelope_bytes([r[2] for r in page.rows], more=page.more, next_token=page.next_token)
    return taxii_response(body, headers=page.headers())


def _post(request: HttpRequest, user: User, api_root: str, collection_id: str) -> HttpResponse:
    """TAXII 2.1 section 5.5 Add Objects: 202 with a status resource (per-object outcomes).

    The cyclic garbage collector is paused while the envelope is parsed and stored (see
    :func:`accord.intel.bulk.collector_paused`): its objects are acyclic, and the collections
    their allocation triggers would otherwise walk the whole heap several times per envelope.
    """
    collection = collection_or_error(user, api_root, collection_id, write=True)
    with collector_paused():
        return _store_envelope(request, user, collection)


def _store_envelope(request: HttpRequest, user: User, collection: Collection) -> HttpResponse:
    """Parse the envelope, store its objects, answer the status. A body that is not JSON is
    400; JSON that is not an envelope with objects is 422 (TAXII 2.1 section 5.5: the content
    cannot be processed)."""
    body = read_json_body(request)
    if not isinstance(body, dict):
        raise TaxiiError(
            422, "Unprocessable Entity", "the body must be a TAXII envelope (a JSON object)"
        )
    objects = body.get("objects")
    if not isinstance(objects, list) or not objects:
        raise TaxiiError(
            422, "Unprocessable Entity", "the envelope has no 'objects' list with an object in it"
        )
    try:
        result = add_objects(user, collection, objects, purpose=request_purpose(request, user))
    except PermissionDenied as exc:
        raise TaxiiError(403, "Forbidden", str(exc) or "this role may not add records") from None
    return taxii_response(status_resource(result), status=202)


@taxii_view("GET", "POST")
def objects(request: HttpRequest, user: User, api_root: str, collection_id: str) -> HttpResponse:
    """TAXII 2.1 section 5.4 Get Objects (GET) and section 5.5 Add Objects (POST)."""
    if request.method == "POST":
        return _post(request, user, api_root, collection_id)
    collection = collection_or_error(user, api_root, collection_id)
    filters = parse_filters(request.GET)
    qs = visible_entries(user, collection, request_purpose(request, user)).filter(filters.q())
    return _envelope(request, user, collection, qs, filters, f"objects:{collection.pk}", "objects")


@taxii_view("GET", "DELETE")
def object_detail(
    request: HttpRequest, user: User, api_root: str, collection_id: str, object_id: str
) -> HttpResponse:
    """TAXII 2.1 section 5.6 Get An Object (GET) and section 5.7 Delete An Object (DELETE).

    DELETE removes the selected versions from the collection only; the node's records keep them.
    """
    filters = parse_filters(request.GET)
    if request.method == "DELETE":
        collection = collection_or_error(user, api_root, collection_id, write=True)
        try:
            removed = remove_object(
                user, collection, object_id, filters.q(), purpose=request_purpose(request, user)
            )
        except PermissionDenied as exc:
            raise TaxiiError(403, "Forbidden", str(exc)) from None
        if not removed:
            raise TaxiiError(404, "Not Found", "no such object in this collection")
        return taxii_response(b"", status=200)
    collection = collection_or_error(user, api_root, collection_id)
    held = visible_entries(user, collection, request_purpose(request, user)).filter(
        record__stix_id=object_id
    )
    scope = f"object:{collection.pk}:{object_id}"
    qs = held.filter(filters.q())
    return _envelope(request, user, collection, qs, filters, scope, "object", held=held)
