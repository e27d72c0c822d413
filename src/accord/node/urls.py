from django.urls import include, path

urlpatterns = [
    path("api/", include("accord.api.urls")),
    path("", include("accord.web.urls")),
]
