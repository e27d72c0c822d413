"""TAXII 2.1 URLs (section 4 and 5), mounted at ``/taxii2/``; any other URL under it gets a
TAXII answer too (:mod:`accord.taxii.fallback`)."""

from django.urls import path, re_path

from accord.taxii import (
    api_root,
    collections,
    discovery,
    fallback,
    manifest,
    objects,
    status,
)
from accord.taxii import versions as object_versions

__all__ = ["urlpatterns"]

app_name = "taxii"

_C = "<str:api_root>/collections/<str:collection_id>/"

urlpatterns = [
    path("", discovery.discovery, name="discovery"),
    path("<str:api_root>/", api_root.api_root, name="api-root"),
    path("<str:api_root>/status/<str:status_id>/", status.status, name="status"),
    path("<str:api_root>/collections/", collections.collections, name="collections"),
    path(_C, collections.collection, name="collection"),
    path(_C + "manifest/", manifest.manifest, name="manifest"),
    path(_C + "objects/", objects.objects, name="objects"),
    path(_C + "objects/<str:object_id>/", objects.object_detail, name="object"),
    path(
        _C + "objects/<str:object_id>/versions/", object_versions.versions, name="object-versions"
    ),
    re_path(r"^(?P<path>.*)$", fallback.unknown_path, name="unknown"),
]
