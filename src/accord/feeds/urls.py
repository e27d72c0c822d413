"""Feed pages, mounted at ``/feeds/`` by :mod:`accord.web.urls`."""

from django.urls import path

from accord.feeds import views

__all__ = ["urlpatterns"]

app_name = "feeds"

urlpatterns = [
    path("", views.feed_list, name="list"),
    path("new/", views.feed_new, name="new"),
    path("<int:pk>/", views.feed_detail, name="detail"),
    path("<int:pk>/edit/", views.feed_edit, name="edit"),
    path("<int:pk>/pull/", views.feed_pull, name="pull"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
]
