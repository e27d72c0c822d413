"""Node-to-node dissemination notices, mounted at ``/federation/dissemination/`` (signed only)."""

from django.urls import path

from accord.dissemination.notices import notices_view

__all__ = ["urlpatterns"]

app_name = "dissemination-federation"
urlpatterns = [path("notices/", notices_view, name="notices")]
