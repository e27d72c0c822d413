"""Who may reach a page, and under which working purpose and case.

Every web view is wrapped in :func:`member_required` (deny by default; a test walks every URL
pattern anonymously). The working purpose and case live in the session: each read of a record
passes them to the record services, which restrict and audit the read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from accord.engine.stix.markings import PURPOSES
from accord.http.context import DEFAULT_PURPOSE

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = [
    "OVERSIGHT_PURPOSE",
    "WorkingContext",
    "content_access",
    "member_required",
    "working_context",
]

OVERSIGHT_PURPOSE = "oversight-review"
SESSION_PURPOSE = "accord_purpose"
SESSION_CASE = "accord_case"


@dataclass(frozen=True)
class WorkingContext:
    """Why the user is working now: a purpose (PURPOSES) and an optional case reference."""

    purpose: str
    case: str

    @property
    def purpose_label(self) -> str:
        return PURPOSES.get(self.purpose, self.purpose)


def working_context(request: HttpRequest) -> WorkingContext:
    """The session's purpose and case (default purpose: counter-terrorism). A purpose the
    user's role may not declare, or a case the user is not a member of (any longer), is not
    used: the default purpose and no case apply instead."""
    from accord.accounts.choices import role_may_declare
    from accord.intel.models import Case

    user = getattr(request, "user", None)
    role = str(getattr(user, "role", ""))
    purpose = request.session.get(SESSION_PURPOSE, DEFAULT_PURPOSE)
    if purpose not in PURPOSES or not role_may_declare(role, purpose):
        purpose = DEFAULT_PURPOSE
    case = str(request.session.get(SESSION_CASE, ""))
    if case and not Case.objects.filter(reference=case, members=user).exists():
        case = ""
    return WorkingContext(purpose=purpose, case=case)


def content_access(user: User, purpose: str) -> str:
    """Why ``user`` cannot read record content under ``purpose``, or '' when they can.

    Mirrors the rule the record querysets enforce, so that the UI can explain an empty page.
    """
    if user.can("record.view"):
        return ""
    if user.can("record.review"):
        if purpose == OVERSIGHT_PURPOSE:
            return ""
        return (
            "Oversight officers read record content only during a declared review: "
            "choose the purpose “Independent oversight review” above."
        )
    return (
        "Your role does not give access to record content. Node administrators manage "
        "users, peers and configuration; they never read intelligence records."
    )


def member_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Only signed-in, active users; others go to the login page.

    An htmx request (a partial) gets 401 with ``HX-Redirect`` so that the whole page moves to
    the login form instead of swapping it into a table.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and user.is_active:
            return view(request, *args, **kwargs)
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse("Sign in again.", status=401, content_type="text/plain")
            response["HX-Redirect"] = settings.LOGIN_URL
            return response
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)

    wrapper.accord_member_required = True  # type: ignore[attr-defined]
    return wrapper
