"""TAXII 2.1 section 5.8 Get Object Versions: ``GET .../objects/{object-id}/versions/``."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse

from accord.federation.services import audit_read, visible_entries
from accord.federation.taxii.auth import request_purpose
from accord.federation.taxii.collections import collection_or_error
from accord.federation.taxii.envelope import TaxiiError, format_timestamp, taxii_response
from accord.federation.taxii.filters import parse_filters
from accord.federation.taxii.guards import taxii_view
from accord.federation.taxii.pagination import fetch_page

__all__ = ["versions"]

_FIELDS = ("pk", "date_added_us", "version__modified", "record__personal_data")


@taxii_view("GET")
def versions(
    request: HttpRequest, user: Any, api_root: str, collection_id: str, object_id: str
) -> HttpResponse:
    """TAXII 2.1 section 5.8 Get Object Versions: the version timestamps of one visible object
    in the collection, by date added (filters: added_after, match[spec_version], limit, next).
    404 when the collection holds no visible version of the object; when it does but the
    filters exclude them all, an empty answer (no ``versions``: section 2 forbids an empty
    list)."""
    collection = collection_or_error(user, api_root, collection_id)
    filters = parse_filters(request.GET)
    purpose = request_purpose(request, user)
    held = visible_entries(user, collection, purpose).filter(record__stix_id=object_id)
    qs = held.filter(filters.q(use_version=False))
    scope = f"versions:{collection.pk}:{object_id}"
    page = fetch_page(qs, _FIELDS, filters, request.GET, scope)
    if not page.rows and not held.exists():
        raise TaxiiError(404, "Not Found", "no such object in this collection")
    audit_read(
        user,
        collection=collection,
        what="versions",
        personal_ids=[object_id] if any(r[3] for r in page.rows) else [],
        returned=len(page.rows),
        purpose=purpose,
    )
    body: dict[str, Any] = {"more": page.more}
    if page.next_token:
        body["next"] = page.next_token
    if page.rows:
        body["versions"] = [
            modified or format_timestamp(added) for _pk, added, modified, _p in page.rows
        ]
    return taxii_response(orjson.dumps(body), headers=page.headers())
