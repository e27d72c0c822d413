"""The record store's pages, mounted at the root of the web UI by :mod:`accord.web.urls`.

No namespace of their own: they are named in the ``web`` namespace (``web:records``,
``web:record``, ``web:import-detail`` ...), as every link and redirect already names them.
"""

from django.urls import path

from accord.intel import views

__all__ = ["urlpatterns"]

urlpatterns = [
    path("records/", views.record_list, name="records"),
    path("records/<str:stix_id>/", views.record_detail, name="record"),
    path("records/<str:stix_id>/history/", views.record_history, name="record-history"),
    path("imports/new/", views.import_new, name="import-new"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import-progress"),
]
