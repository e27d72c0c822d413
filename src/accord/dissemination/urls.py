"""Dissemination pages, mounted at ``/disseminations/`` by :mod:`accord.web.urls`."""

from django.urls import path

from accord.dissemination import views

__all__ = ["urlpatterns"]

app_name = "dissemination"

urlpatterns = [
    path("", views.dissemination_list, name="list"),
    path("new/", views.share_new, name="new"),
    path("person/new/", views.person_new, name="person-new"),
    path("approvals/", views.approvals, name="approvals"),
    path("revoke/", views.revoke_record, name="revoke"),
    path("consents/", views.consents, name="consents"),
    path("<str:pk>/", views.dissemination_detail, name="detail"),
]
