"""TAXII 2.1 section 4.3 Get Status: ``GET /taxii2/{api-root}/status/{status-id}/``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse

from accord.taxii.api_root import check_api_root
from accord.taxii.envelope import TaxiiError, taxii_response
from accord.taxii.guards import taxii_view
from accord.taxii.models import TaxiiStatus
from accord.taxii.services import get_status

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = ["status", "status_resource"]


def status_resource(status: TaxiiStatus) -> dict[str, Any]:
    """The status resource (TAXII 2.1 section 4.3.1). ``successes``, ``failures`` and
    ``pendings`` are left out when empty: TAXII 2.1 section 2 (Conventions) forbids empty
    lists, which an optional list property expresses by its absence."""
    out: dict[str, Any] = {
        "id": str(status.pk),
        "status": status.status,
        "request_timestamp": status.request_timestamp,
        "total_count": status.total_count,
        "success_count": status.success_count,
    }
    if status.successes:
        out["successes"] = status.successes
    out["failure_count"] = status.failure_count
    if status.failures:
        out["failures"] = status.failures
    out["pending_count"] = status.pending_count
    if status.pendings:
        out["pendings"] = status.pendings
    return out


@taxii_view("GET")
def status(request: HttpRequest, user: User, api_root: str, status_id: str) -> HttpResponse:
    """TAXII 2.1 section 4.3 Get Status: only the user who made the request may read it."""
    check_api_root(api_root)
    found = get_status(user, status_id)
    if found is None:
        raise TaxiiError(404, "Not Found", "no such status")
    return taxii_response(status_resource(found))
