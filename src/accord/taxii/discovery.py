"""TAXII 2.1 section 4.1 Server Discovery: ``GET /taxii2/``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse

from accord.taxii.api_root import API_ROOTS
from accord.taxii.envelope import taxii_response
from accord.taxii.guards import taxii_view

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = ["discovery"]


@taxii_view("GET")
def discovery(request: HttpRequest, user: User) -> HttpResponse:
    """TAXII 2.1 section 4.1 Server Discovery: title, description, default and API roots."""
    from accord.node.models import NodeIdentity

    node = NodeIdentity.current()
    name = node.name if node else "Accord node"
    roots = [request.build_absolute_uri(f"/taxii2/{root}/") for root in API_ROOTS]
    return taxii_response(
        {
            "title": f"{name} TAXII 2.1 server",
            "description": "Accord federated counter-terrorism cooperation node"
            + (f" {node.node_id} ({node.jurisdiction})" if node else ""),
            "default": roots[0],
            "api_roots": roots,
        }
    )
