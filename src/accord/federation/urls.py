from django.urls import path

from accord.federation.pull import outbox_objects
from accord.federation.views import inbox

__all__ = ["urlpatterns"]

app_name = "federation"
urlpatterns = [
    path("inbox/", inbox, name="inbox"),
    path("outbox/objects/", outbox_objects, name="outbox-objects"),
]
