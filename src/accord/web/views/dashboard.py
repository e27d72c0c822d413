"""The dashboard and the working-context switch (purpose and case kept in the session)."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accord.web.access import (
    SESSION_CASE,
    SESSION_PURPOSE,
    content_access,
    member_required,
    working_context,
)
from accord.web.forms import WorkingContextForm
from accord.web.presenters import TLP_LABELS

__all__ = ["dashboard", "set_working_context", "user_cases"]


def user_cases(user: object) -> list[str]:
    """References of the cases ``user`` is a member of."""
    from accord.intel.models import Case

    return list(
        Case.objects.filter(members=user).order_by("reference").values_list("reference", flat=True)
    )


@member_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Counts of the records the user may see (by type, by TLP), their imports, their audit
    events. Counts come from the restricted queryset: they reveal no content."""
    from accord.intel.models import ImportJob, Record
    from accord.oversight.models import AuditEvent

    ctx = working_context(request)
    denied = content_access(request.user, ctx.purpose)
    by_type: list[dict[str, object]] = []
    by_tlp: list[dict[str, object]] = []
    total = 0
    if not denied:
        visible = Record.objects.restrict(request.user, purpose=ctx.purpose)
        by_type = list(
            visible.values("stix_type").annotate(n=Count("id")).order_by("-n", "stix_type")
        )
        tlp_counts = {row["tlp"]: row["n"] for row in visible.values("tlp").annotate(n=Count("id"))}
        by_tlp = [
            {"tlp": key, "label": label, "n": tlp_counts.get(key, 0)}
            for key, label in [*TLP_LABELS.items(), ("", "No TLP marking")]
        ]
        total = sum(int(row["n"]) for row in by_type)  # type: ignore[call-overload]
    imports = ImportJob.objects.filter(user=request.user).order_by("-created_at")[:5]
    events = AuditEvent.objects.filter(actor=request.user.get_username()).order_by("-seq")[:10]
    return render(
        request,
        "accord/dashboard.html",
        {
            "denied": denied,
            "by_type": by_type,
            "by_tlp": by_tlp,
            "total": total,
            "imports": imports,
            "events": events,
        },
    )


@member_required
@require_POST
def set_working_context(request: HttpRequest) -> HttpResponse:
    """POST /context/: change the working purpose and case for the rest of the session."""
    form = WorkingContextForm(request.POST, cases=user_cases(request.user))
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
