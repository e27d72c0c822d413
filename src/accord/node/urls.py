from django.urls import include, path

from accord.node.views import extension_schema
from accord.taxii.fallback import unknown_path

urlpatterns = [
    path("api/", include("accord.api.urls")),
    path("taxii2", unknown_path),  # served as /taxii2/ (no redirect: see the fallback)
    path("taxii2/", include("accord.taxii.urls")),
    path("federation/dissemination/", include("accord.dissemination.federation_urls")),
    path("federation/", include("accord.federation.urls")),
    path("schemas/<slug:name>.json", extension_schema, name="extension-schema"),
    path("", include("accord.web.urls")),
]
