"""TAXII 2.1 section 5.3 Get Object Manifests: ``GET .../collections/{id}/manifest/``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from django.http import HttpRequest, HttpResponse

from accord.taxii.auth import request_purpose
from accord.taxii.collections import collection_or_error
from accord.taxii.envelope import format_timestamp, taxii_response
from accord.taxii.filters import parse_filters
from accord.taxii.guards import taxii_view
from accord.taxii.models import STIX_MEDIA_TYPE
from accord.taxii.pagination import fetch_page
from accord.taxii.services import audit_read, visible_entries

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = ["manifest"]

_FIELDS = ("pk", "date_added_us", "stix_id", "version__modified", "record__personal_data")


@taxii_view("GET")
def manifest(request: HttpRequest, user: User, api_root: str, collection_id: str) -> HttpResponse:
    """TAXII 2.1 section 5.3 Get Object Manifests: id, date_added, version, media_type of each
    visible object version selected by the filters (the same rules as Get Objects)."""
    collection = collection_or_error(user, api_root, collection_id)
    filters = parse_filters(request.GET)
    purpose = request_purpose(request, user)
    qs = visible_entries(user, collection, purpose).filter(filters.q())
    page = fetch_page(qs, _FIELDS, filters, request.GET, f"manifest:{collection.pk}")
    audit_read(
        user,
        collection=collection,
        what="manifest",
        personal_ids=[r[2] for r in page.rows if r[4]],
        returned=len(page.rows),
        purpose=purpose,
    )
    entries = [
        {
            "id": sid,
            "date_added": format_timestamp(added),
            "version": modified or format_timestamp(added),
            "media_type": STIX_MEDIA_TYPE,
        }
        for _pk, added, sid, modified, _personal in page.rows
    ]
    body = page.resource("objects", entries)
    return taxii_response(orjson.dumps(body), headers=page.headers())
