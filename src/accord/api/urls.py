from django.urls import path

from accord.api.root import api

urlpatterns = [path("", api.urls)]
