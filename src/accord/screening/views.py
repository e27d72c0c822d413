"""Screening pages: one person (a form), a batch (an upload), the hit review queue and the
watchlist sources. Every action goes through :mod:`accord.screening.services`."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accord.engine.manifests import ManifestError, read_manifest
from accord.engine.manifests.csv_jsonl import read_jsonl
from accord.screening.models import (
    AnswerAction,
    Hit,
    IncomingHit,
    ScreeningJob,
    WatchlistSource,
)
from accord.screening.notices import answer_incoming_hit, incoming_hit, incoming_hits
from accord.screening.services import (
    can_review,
    can_screen,
    can_switch_sources,
    review_hit,
    screen,
    set_source_enabled,
)
from accord.screening.tasks import audit_job_read, background_above, start_screening_job
from accord.web.access import member_required, working_context

__all__ = [
    "batch",
    "hit_detail",
    "hit_list",
    "incoming_detail",
    "incoming_list",
    "job_detail",
    "person",
    "sources",
]


class PersonForm(forms.Form):
    full_name = forms.CharField(max_length=500)
    date_of_birth = forms.CharField(max_length=20, required=False, help_text="YYYY-MM-DD or YYYY")
    nationality = forms.CharField(max_length=3, required=False, help_text="ISO 3166 code")
    gender = forms.ChoiceField(
        choices=[("", "unknown"), ("male", "male"), ("female", "female")], required=False
    )
    document_number = forms.CharField(max_length=100, required=False)


class BatchForm(forms.Form):
    file = forms.FileField()
    format = forms.ChoiceField(
        choices=[
            ("csv", "CSV"),
            ("json", "JSON lines"),
            ("paxlst", "PAXLST (API)"),
            ("pnrgov", "PNRGOV (PNR)"),
        ]
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirmed", "Confirm"), ("dismissed", "Dismiss")])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class AnswerForm(forms.Form):
    action = forms.ChoiceField(choices=AnswerAction.choices)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="What to do and why: warrant reference, instructions, contact.",
    )


def _run(request: HttpRequest, travellers: list[Any], fmt: str, name: str) -> list[Any]:
    ctx = working_context(request)
    return [
        (t, r)
        for t, r in zip(
            travellers,
            screen(
                request.user,
                travellers,
                purpose=ctx.purpose,
                case=ctx.case,
                format=fmt,
                filename=name,
            ),
            strict=True,
        )
    ]


@member_required
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest) -> HttpResponse:
    """GET/POST /screening/: screen one person."""
    allowed = can_screen(request.user)
    form = PersonForm(request.POST or None)
    rows = None
    if request.method == "POST" and allowed and form.is_valid():
        travellers = read_jsonl(json.dumps(form.cleaned_data, ensure_ascii=False).encode())
        if travellers[0].problem:
            form.add_error("full_name", travellers[0].problem)
        else:
            rows = _run(request, travellers, "person", "")
    status = 403 if request.method == "POST" and not allowed else 200
    return render(
        request,
        "screening/person.html",
        {"form": form, "rows": rows, "allowed": allowed},
        status=status,
    )


@member_required
@require_http_methods(["GET", "POST"])
def batch(request: HttpRequest) -> HttpResponse:
    """GET/POST /screening/batch/: upload a CSV, JSON lines, PAXLST or PNRGOV file."""
    allowed = can_screen(request.user)
    form = BatchForm(request.POST or None, request.FILES or None)
    rows = None
    limit = int(settings.ACCORD_MAX_UPLOAD_BYTES)
    if request.method == "POST" and allowed and form.is_valid():
        upload = form.cleaned_data["file"]
        fmt = form.cleaned_data["format"]
        try:
            if upload.size > limit:
                raise ManifestError(f"the file is larger than this node screens ({limit:,} bytes)")
            raw = upload.read()
            travellers = read_manifest(raw, fmt, max_bytes=limit)
        except ManifestError as exc:
            form.add_error("file", f"Refused: {exc}")
        else:
            if len(travellers) > background_above():
                ctx = working_context(request)
                job = start_screening_job(
                    request.user,
                    data=raw,
                    format=fmt,
                    filename=upload.name or "",
                    purpose=ctx.purpose,
                    case=ctx.case,
                )
                return redirect("web:screening:job", pk=job.pk)
            rows = _run(request, travellers, fmt, upload.name or "")
    status = 200
    if request.method == "POST" and (not allowed or not form.is_valid() or form.errors):
        status = 403 if not allowed else 400
    return render(
        request,
        "screening/batch.html",
        {"form": form, "rows": rows, "allowed": allowed, "max_upload": limit},
        status=status,
    )


@member_required
@require_GET
def hit_list(request: HttpRequest) -> HttpResponse:
    """GET /screening/hits/: the review queue (hits on records the user may see)."""
    from accord.intel.models import Record

    ctx = working_context(request)
    # Checked hit by hit as the queue is read (not by building the set of every visible record).
    visible = Record.objects.restrict(request.user, purpose=ctx.purpose)
    base = (
        Hit.objects.filter(Exists(visible.filter(pk=OuterRef("record_id"))))
        .select_related("screening", "reviewer", "notice")
        .defer("explanation")
    )
    if not can_review(request.user):
        base = base.filter(screening__user=request.user)
    return render(
        request,
        "screening/hits.html",
        {
            "pending": base.filter(status=Hit.Status.PENDING)[:200],
            "decided": base.exclude(status=Hit.Status.PENDING).order_by("-reviewed_at")[:50],
            "reviewer": can_review(request.user),
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def hit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET/POST /screening/hits/<pk>/: a hit with its explanation; supervisors decide."""
    from accord.intel.models import Record

    hit = get_object_or_404(Hit.objects.select_related("screening", "reviewer", "notice"), pk=pk)
    ctx = working_context(request)
    if (
        not Record.objects.restrict(request.user, purpose=ctx.purpose)
        .filter(pk=hit.record_id)
        .exists()
    ):
        raise Http404("no such hit")  # a hidden hit answers as a missing one (as in the API)
    if not can_review(request.user) and hit.screening.user_id != request.user.pk:
        raise Http404("no such hit")
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                review_hit(
                    request.user,
                    hit,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                )
            except (PermissionDenied, ValidationError) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                form.add_error(None, text)
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                messages.success(request, f"Hit {hit.pk} {form.cleaned_data['decision']}.")
                return redirect("web:screening:hit", pk=hit.pk)
        else:
            status = 400
    own = hit.screening.user_id == request.user.pk
    return render(
        request,
        "screening/hit.html",
        {
            "hit": hit,
            "form": form,
            "can_decide": can_review(request.user) and not own and hit.status == Hit.Status.PENDING,
        },
        status=status,
    )


@member_required
@require_http_methods(["GET", "POST"])
def sources(request: HttpRequest) -> HttpResponse:
    """GET/POST /screening/sources/: which sources the watchlist is built from."""
    allowed = can_switch_sources(request.user)
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied("Only administrators and supervisors switch sources.")
        kind = request.POST.get("kind", "")
        try:
            source = set_source_enabled(request.user, kind, request.POST.get("enabled") == "1")
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            state = "on" if source.enabled else "off"
            messages.success(request, f"Source “{source.get_kind_display()}” switched {state}.")
        return redirect("web:screening:sources")
    rows = []
    for value, label in WatchlistSource.Kind.choices:
        source = WatchlistSource.objects.filter(kind=value).first()
        rows.append(
            {
                "kind": value,
                "label": label,
                "enabled": source.enabled if source else True,
                "changed_by": source.changed_by if source else None,
                "changed_at": source.changed_at if source else None,
            }
        )
    return render(request, "screening/sources.html", {"rows": rows, "allowed": allowed})


@member_required
@require_GET
def incoming_list(request: HttpRequest) -> HttpResponse:
    """GET /screening/incoming/: partners' confirmed hits on this node's records (liaison
    officers only; the read is audited with the working purpose)."""
    ctx = working_context(request)
    status = request.GET.get("status", "")
    if status not in ("", *IncomingHit.Status.values):
        status = ""
    rows = incoming_hits(request.user, purpose=ctx.purpose, case=ctx.case, status=status)
    return render(request, "screening/incoming.html", {"rows": rows, "status": status})


@member_required
@require_http_methods(["GET", "POST"])
def incoming_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """GET/POST /screening/incoming/<id>/: one partner's hit; the liaison officer answers with
    the action to take (sent back signed)."""
    ctx = working_context(request)
    try:
        key: uuid.UUID | None = uuid.UUID(pk)
    except ValueError:
        key = None  # no such hit; the role is still checked (and a denial audited) first
    try:
        hit = incoming_hit(request.user, key, purpose=ctx.purpose, case=ctx.case)
    except IncomingHit.DoesNotExist as exc:
        raise Http404("no such incoming hit") from exc
    form = AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                answer_incoming_hit(
                    request.user,
                    hit,
                    action=form.cleaned_data["action"],
                    text=form.cleaned_data["text"],
                    purpose=ctx.purpose,
                )
            except ValidationError as exc:
                form.add_error(None, "; ".join(exc.messages))
                status = 400
            else:
                messages.success(request, "Answer recorded; it is sent to the partner, signed.")
                return redirect("web:screening:incoming_hit", pk=hit.pk)
        else:
            status = 400
    return render(
        request,
        "screening/incoming_hit.html",
        {"hit": hit, "form": form, "can_answer": hit.status == IncomingHit.Status.NEW},
        status=status,
    )


@member_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET /screening/jobs/<pk>/: a large batch screened in the background (its owner only):
    progress while it runs (the page polls itself with htmx), then the rows with matches."""
    job = get_object_or_404(ScreeningJob, pk=pk, user=request.user)
    audit_job_read(request.user, job)
    template = "screening/_job.html" if request.headers.get("HX-Request") else "screening/job.html"
    return render(request, template, {"job": job})
