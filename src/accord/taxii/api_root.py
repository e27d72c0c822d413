"""TAXII 2.1 section 4.2 Get API Root Information: ``GET /taxii2/{api-root}/``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse

from accord.http.taxii import TAXII_MEDIA_TYPE
from accord.taxii.envelope import TaxiiError, taxii_response
from accord.taxii.guards import max_content_length, taxii_view

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = ["API_ROOTS", "api_root", "check_api_root"]

#: The node's API roots (one): name -> title.
API_ROOTS: dict[str, str] = {"accord": "Accord records"}


def check_api_root(name: str) -> str:
    """404 (TAXII error) for an API root this server does not have."""
    if name not in API_ROOTS:
        raise TaxiiError(404, "Not Found", f"no API root {name!r} on this server")
    return name


@taxii_view("GET")
def api_root(request: HttpRequest, user: User, api_root: str) -> HttpResponse:
    """TAXII 2.1 section 4.2 Get API Root Information: title, versions, max_content_length."""
    check_api_root(api_root)
    return taxii_response(
        {
            "title": API_ROOTS[api_root],
            "description": "STIX 2.1 records of this node, in collections granted per user",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": max_content_length(),
        }
    )
