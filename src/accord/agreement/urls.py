"""The legal officer's pages, mounted at ``/legal/`` by :mod:`accord.web.urls`."""

from django.urls import path

from accord.agreement import views

__all__ = ["urlpatterns"]

app_name = "legal"

urlpatterns = [
    path("", views.agreement_list, name="index"),
    path("agreements/", views.agreement_list, name="agreements"),
    path("new-agreement/", views.agreement_new, name="agreement-new"),
    path("agreements/<str:agreement_id>/", views.agreement_detail, name="agreement"),
    path(
        "agreements/<str:agreement_id>/new-version/",
        views.agreement_version_new,
        name="agreement-version-new",
    ),
    path("profiles/", views.profile_list, name="profiles"),
    path("profiles/new/", views.profile_new, name="profile-new"),
    path("profiles/<str:code>/", views.profile_detail, name="profile"),
    path("profiles/<str:code>/edit/", views.profile_edit, name="profile-edit"),
    path("policies/", views.policy_text, name="policies"),
    path("agreement.schema.json", views.agreement_schema, name="schema"),
]
