"""Sign in and sign out of the web UI (Django's views, the node's templates)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accord.accounts.forms import LoginForm
from accord.http.access import member_required

__all__ = ["LoginView", "LogoutView"]


@method_decorator([sensitive_post_parameters("password"), csrf_protect, never_cache], "dispatch")
class LoginView(auth_views.LoginView):
    """GET/POST /login/: the only page open without a session.

    A refused password is answered 200 with the form again; an address paused after repeated
    failures gets 429 with ``Retry-After`` (RFC 6585 section 4).
    """

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if isinstance(form, LoginForm) and form.retry_after:  # always a LoginForm here
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


@method_decorator(member_required, "dispatch")
class LogoutView(auth_views.LogoutView):
    """POST /logout/: ends the session (GET is refused by Django)."""
