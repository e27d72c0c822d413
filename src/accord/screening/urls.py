"""Screening pages, mounted at ``/screening/`` by :mod:`accord.web.urls`."""

from django.urls import path

from accord.screening import views

__all__ = ["urlpatterns"]

app_name = "screening"

urlpatterns = [
    path("", views.person, name="person"),
    path("batch/", views.batch, name="batch"),
    path("hits/", views.hit_list, name="hits"),
    path("hits/<int:pk>/", views.hit_detail, name="hit"),
    path("sources/", views.sources, name="sources"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("incoming/", views.incoming_list, name="incoming"),
    path("incoming/<str:pk>/", views.incoming_detail, name="incoming_hit"),
]
