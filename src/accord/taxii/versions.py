"""TAXII 2.1 section 5.8 Get Object Versions: ``GET .../objects/{object-id}/versions/``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from django.http import HttpRequest, HttpResponse

from accord.taxii.auth import request_purpose
from accord.taxii.collections import collection_or_error
from accord.taxii.envelope import TaxiiError, format_timestamp, taxii_response
from accord.taxii.filters import parse_filters
from accord.taxii.guards import taxii_view
from accord.taxii.pagination import fetch_page
from accord.taxii.services import audit_read, visible_entries

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = ["versions"]

_FIELDS = ("pk", "date_added_us", "version__modified", "record__personal_data")


@taxii_view("GET")
def versions(
    request: HttpRequest, user: User, api_root: str, collection_id: str, object_id: str
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
    versions = [modified or format_timestamp(added) for _pk, added, modified, _p in page.rows]
    body = page.resource("versions", versions)
    return taxii_response(orjson.dumps(body), headers=page.headers())
