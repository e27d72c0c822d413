from django.urls import path

from accord.federation.peers.pull import outbox_objects
from accord.federation.peers.views import inbox

__all__ = ["urlpatterns"]

app_name = "peers"
urlpatterns = [
    path("inbox/", inbox, name="inbox"),
    path("outbox/objects/", outbox_objects, name="outbox-objects"),
]
