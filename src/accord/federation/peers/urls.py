from django.urls import path

from accord.federation.peers.views import inbox

__all__ = ["urlpatterns"]

app_name = "peers"
urlpatterns = [path("inbox/", inbox, name="inbox")]
