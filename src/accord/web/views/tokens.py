"""API tokens of the signed-in user: list, create (shown once), revoke."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accord.http.access import member_required
from accord.http.requests import MemberRequest
from accord.web.forms import TokenForm

__all__ = ["token_list", "token_revoke"]


@member_required
@require_http_methods(["GET", "POST"])
def token_list(request: MemberRequest) -> HttpResponse:
    """GET/POST /tokens/: the user's tokens; POST creates one and shows it once."""
    from accord.accounts.models import ApiToken
    from accord.accounts.services import create_token

    form = TokenForm(request.POST or None)
    new_token = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            days = form.cleaned_data.get("expires_in_days")
            expires = timezone.now() + timedelta(days=days) if days else None
            new_token, _ = create_token(
                request.user, request.user, name=form.cleaned_data["name"], expires_at=expires
            )
            form = TokenForm()
        else:
            status = 400
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    response = render(
        request,
        "accord/tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token, "now": timezone.now()},
        status=status,
    )
    return response


@member_required
@require_POST
def token_revoke(request: MemberRequest, pk: int) -> HttpResponse:
    """POST /tokens/<pk>/revoke/: revoke one of the user's own tokens."""
    from accord.accounts.models import ApiToken
    from accord.accounts.services import revoke_token

    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    revoke_token(request.user, token)
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("web:tokens")
