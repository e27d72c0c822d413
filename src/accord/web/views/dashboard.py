"""The dashboard and the working-context switch (purpose and case kept in the session)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accord.accounts.choices import declarable_purposes
from accord.http.access import (
    SESSION_CASE,
    SESSION_PURPOSE,
    content_access,
    member_required,
    working_context,
)
from accord.http.requests import MemberRequest
from accord.intel.presenters import TLP_LABELS
from accord.web.forms import WorkingContextForm

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = ["dashboard", "dashboard_counts", "set_working_context", "user_cases"]


def user_cases(user: User) -> list[str]:
    """References of the cases ``user`` is a member of."""
    from accord.intel.models import Case

    return list(
        Case.objects.filter(members=user).order_by("reference").values_list("reference", flat=True)
    )


#: How long a user's dashboard counts are reused (they scan every record the user may see).
COUNTS_SECONDS = 120


def _visible_counts(user: User, purpose: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Records the user may see, by type and by TLP: one grouped query over the restricted
    queryset, kept for a short while per user and purpose (per process)."""
    from accord.intel.models import Record

    key = f"accord:dashboard:{user.pk}:{purpose}"
    cached = cache.get(key)
    if cached is None:
        rows = (
            Record.objects.restrict(user, purpose=purpose)
            .values("stix_type", "tlp")
            .annotate(n=Count("id"))
        )
        types: dict[str, int] = {}
        tlps: dict[str, int] = {}
        for row in rows:
            types[row["stix_type"]] = types.get(row["stix_type"], 0) + row["n"]
            tlps[row["tlp"]] = tlps.get(row["tlp"], 0) + row["n"]
        by_type = [
            {"stix_type": t, "n": n}
            for t, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        cached = (by_type, tlps)
        cache.set(key, cached, COUNTS_SECONDS)
    return cached


def _counts_context(user: User, purpose: str) -> dict[str, Any]:
    by_type, tlp_counts = _visible_counts(user, purpose)
    return {
        "by_type": by_type,
        "by_tlp": [
            {"tlp": key, "label": label, "n": tlp_counts.get(key, 0)}
            for key, label in [*TLP_LABELS.items(), ("", "No TLP marking")]
        ],
        "total": sum(int(row["n"]) for row in by_type),
    }


@member_required
@require_GET
def dashboard_counts(request: MemberRequest) -> HttpResponse:
    """GET /dashboard/counts/: the counts of the records the user may see (an htmx partial)."""
    ctx = working_context(request)
    if content_access(request.user, ctx.purpose):
        return HttpResponse(status=204)
    return render(
        request, "accord/_dashboard_counts.html", _counts_context(request.user, ctx.purpose)
    )


@member_required
@require_GET
def dashboard(request: MemberRequest) -> HttpResponse:
    """Counts of the records the user may see (by type, by TLP), their imports, their audit
    events. Counts come from the restricted queryset: they reveal no content."""
    from accord.intel.models import ImportJob
    from accord.oversight.models import AuditEvent

    ctx = working_context(request)
    denied = content_access(request.user, ctx.purpose)
    # Counting scans every visible record: the page comes first and asks for the counts with
    # htmx; without JavaScript, ?counts=1 renders them in the page.
    counted = not denied and request.GET.get("counts") == "1"
    counts = _counts_context(request.user, ctx.purpose) if counted else {}
    imports = ImportJob.objects.filter(user=request.user).order_by("-created_at")[:5]
    events = AuditEvent.objects.filter(actor=request.user.get_username()).order_by("-seq")[:10]
    return render(
        request,
        "accord/dashboard.html",
        {
            "denied": denied,
            "counted": counted,
            **counts,
            "imports": imports,
            "events": events,
        },
    )


@member_required
@require_POST
def set_working_context(request: MemberRequest) -> HttpResponse:
    """POST /context/: change the working purpose and case for the rest of the session."""
    form = WorkingContextForm(
        request.POST,
        cases=user_cases(request.user),
        purposes=declarable_purposes(request.user.role),
    )
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=False):
        target = "/"
    if form.is_valid():
        request.session[SESSION_PURPOSE] = form.cleaned_data["purpose"]
        request.session[SESSION_CASE] = form.cleaned_data["case"]
        return redirect(target)
    return render(
        request,
        "accord/context_error.html",
        {"form": form, "next": target},
        status=400,
    )
