"""URLs of the web UI: the shell's own pages (sign-in, dashboard, working context, API
tokens) and each domain app's pages. Every view but login is wrapped in ``member_required``."""

from django.urls import include, path

from accord.accounts.views import LoginView, LogoutView
from accord.web import views

app_name = "web"

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("dashboard/counts/", views.dashboard_counts, name="dashboard-counts"),
    path("context/", views.set_working_context, name="context"),
    path("", include("accord.intel.urls")),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("feeds/", include("accord.feeds.urls")),
    path("screening/", include("accord.screening.urls")),
    path("disseminations/", include("accord.dissemination.urls")),
    path("legal/", include("accord.agreement.urls")),
]

#: Views open without a session (the deny-by-default test checks that this is all).
PUBLIC_URL_NAMES = frozenset({"login"})
