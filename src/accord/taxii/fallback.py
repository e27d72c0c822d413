"""Every other URL under ``/taxii2/``: a TAXII answer, never one of Django's HTML pages.

TAXII 2.1 section 3.6.1: a TAXII server answers errors with a TAXII error message, so a URL that
names no TAXII resource is a **404** error message (after the checks every TAXII request gets:
Accept, then credentials). A URL that only lacks its final ``/`` (``.../objects`` for
``.../objects/``; every TAXII 2.1 URL ends with one, section 1.6.7) is served as the URL with it:
Django's usual answer, a redirect, would make a client send a POST again as a GET without its
body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from accord.taxii.envelope import TaxiiError
from accord.taxii.guards import taxii_view

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = ["unknown_path"]

_ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@taxii_view(*_ANY_METHOD)
def _not_found(request: HttpRequest, user: User) -> HttpResponse:
    raise TaxiiError(
        404,
        "Not Found",
        f"there is no TAXII resource at {request.path[:300]} (TAXII 2.1 URLs end with '/'; "
        "the API root of this node is /taxii2/accord/)",
    )


@csrf_exempt
def unknown_path(request: HttpRequest, path: str = "") -> HttpResponse:
    """A URL under ``/taxii2/`` that no TAXII view matches: the view of the same URL with a
    final ``/`` when there is one, else a TAXII 404."""
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/", getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown_path:
            return match.func(request, *match.args, **match.kwargs)
    return _not_found(request)
