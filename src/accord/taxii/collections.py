"""TAXII 2.1 section 5.1 Get Collections and section 5.2 Get A Collection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse

from accord.taxii.api_root import check_api_root
from accord.taxii.envelope import TaxiiError, taxii_response
from accord.taxii.guards import taxii_view
from accord.taxii.models import Collection
from accord.taxii.services import (
    CollectionDenied,
    CollectionNotFound,
    collection_for,
    collections_for,
)

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = ["collection", "collection_or_error", "collection_resource", "collections"]


def collection_resource(c: Collection, can_read: bool, can_write: bool) -> dict[str, Any]:
    """TAXII 2.1 section 5.2.1 collection resource; ``can_read``/``can_write`` are the
    caller's."""
    out: dict[str, Any] = {"id": str(c.pk), "title": c.title}
    if c.description:
        out["description"] = c.description
    if c.alias:
        out["alias"] = c.alias
    out["can_read"] = can_read
    out["can_write"] = can_write
    out["media_types"] = list(c.media_types)
    return out


def collection_or_error(
    user: User, api_root: str, collection_id: str, *, write: bool = False
) -> Collection:
    """The collection for this request: 404 when unknown or not granted to the user at all,
    403 when granted without the needed permission (read for GET, write for POST and DELETE)."""
    check_api_root(api_root)
    try:
        found, _ = collection_for(user, collection_id, api_root=api_root, write=write)
    except CollectionNotFound:
        raise TaxiiError(404, "Not Found", "no such collection") from None
    except CollectionDenied as exc:
        raise TaxiiError(403, "Forbidden", f"no {exc} permission on this collection") from None
    return found


@taxii_view("GET")
def collections(request: HttpRequest, user: User, api_root: str) -> HttpResponse:
    """TAXII 2.1 section 5.1 Get Collections: the collections the caller may read or write
    (``{}`` when there is none: section 2 forbids an empty list)."""
    check_api_root(api_root)
    rows = collections_for(user, api_root)
    found = [collection_resource(c, a.can_read, a.can_write) for c, a in rows]
    return taxii_response({"collections": found} if found else {})


@taxii_view("GET")
def collection(request: HttpRequest, user: User, api_root: str, collection_id: str) -> HttpResponse:
    """TAXII 2.1 section 5.2 Get A Collection."""
    check_api_root(api_root)
    try:
        found, access = collection_for(user, collection_id, api_root=api_root)
    except CollectionNotFound:
        raise TaxiiError(404, "Not Found", "no such collection") from None
    except CollectionDenied:
        # Write-only access: the collection is still described (can_read false).
        found, access = collection_for(user, collection_id, api_root=api_root, write=True)
    return taxii_response(collection_resource(found, access.can_read, access.can_write))
