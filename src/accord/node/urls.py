from django.urls import include, path

from accord.federation.taxii.fallback import unknown_path
from accord.node.views import extension_schema

urlpatterns = [
    path("api/", include("accord.api.urls")),
    path("taxii2", unknown_path),  # served as /taxii2/ (no redirect: see the fallback)
    path("taxii2/", include("accord.federation.urls")),
    path("federation/dissemination/", include("accord.dissemination.federation_urls")),
    path("federation/", include("accord.federation.peers.urls")),
    path("schemas/<slug:name>.json", extension_schema, name="extension-schema"),
    path("", include("accord.web.urls")),
]
