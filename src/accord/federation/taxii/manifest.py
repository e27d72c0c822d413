"""TAXII 2.1 section 5.3 Get Object Manifests: ``GET .../collections/{id}/manifest/``."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse

from accord.federation.models import STIX_MEDIA_TYPE
from accord.federation.services import audit_read, visible_entries
from accord.federation.taxii.auth import request_purpose
from accord.federation.taxii.collections import collection_or_error
from accord.federation.taxii.envelope import format_timestamp, taxii_response
from accord.federation.taxii.filters import parse_filters
from accord.federation.taxii.guards import taxii_view
from accord.federation.taxii.pagination import fetch_page

__all__ = ["manifest"]

_FIELDS = ("pk", "date_added_us", "stix_id", "version__modified", "record__personal_data")


@taxii_view("GET")
def manifest(request: HttpRequest, user: Any, api_root: str, collection_id: str) -> HttpResponse:
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
    body: dict[str, Any] = {"more": page.more}
    if page.next_token:
        body["next"] = page.next_token
    if page.rows:
        body["objects"] = [
            {
                "id": sid,
                "date_added": format_timestamp(added),
                "version": modified or format_timestamp(added),
                "media_type": STIX_MEDIA_TYPE,
            }
            for _pk, added, sid, modified, _personal in page.rows
        ]
    return taxii_response(orjson.dumps(body), headers=page.headers())
