"""Screening pages: one person (a form), a batch (an upload), the hit review queue and the
watchlist sources. Every action and every read of traveller data goes through
:mod:`accord.screening.services`, which restricts it and writes its audit entry."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accord.engine.manifests import ManifestError, read_manifest
from accord.engine.manifests.csv_jsonl import read_jsonl
from accord.http.access import member_required, working_context
from accord.http.requests import MemberRequest
from accord.screening.models import (
    AnswerAction,
    Hit,
    IncomingHit,
    ScreeningJob,
    WatchlistSource,
)
from accord.screening.notices import answer_incoming_hit
from accord.screening.services import (
    audit_hit_read,
    can_review,
    can_screen,
    can_switch_sources,
    incoming_hit,
    incoming_hits,
    read_hit,
    read_job,
    review_hit,
    review_queue,
    screen,
    set_source_enabled,
    visible_hit,
)
from accord.screening.tasks import background_above, start_screening_job

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


def _run(request: MemberRequest, travellers: list[Any], fmt: str, name: str) -> list[Any]:
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
def person(request: MemberRequest) -> HttpResponse:
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
def batch(request: MemberRequest) -> HttpResponse:
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
def hit_list(request: MemberRequest) -> HttpResponse:
    """GET /screening/hits/: the review queue (hits on records the user may see; the read is
    audited with the working purpose)."""
    ctx = working_context(request)
    pending, decided = review_queue(request.user, purpose=ctx.purpose, case=ctx.case)
    return render(
        request,
        "screening/hits.html",
        {"pending": pending, "decided": decided, "reviewer": can_review(request.user)},
    )


@member_required
@require_http_methods(["GET", "POST"])
def hit_detail(request: MemberRequest, pk: int) -> HttpResponse:
    """GET/POST /screening/hits/<pk>/: a hit with its explanation; supervisors decide. Each
    showing of the hit is audited with the working purpose (a decision made is audited by the
    review)."""
    ctx = working_context(request)
    try:
        if request.method == "POST":
            hit = visible_hit(request.user, pk, purpose=ctx.purpose)
        else:
            hit = read_hit(request.user, pk, purpose=ctx.purpose, case=ctx.case)
    except Hit.DoesNotExist:
        raise Http404("no such hit") from None  # a hidden hit answers as a missing one
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
        audit_hit_read(request.user, hit, purpose=ctx.purpose, case=ctx.case)
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
def sources(request: MemberRequest) -> HttpResponse:
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
        stored = WatchlistSource.objects.filter(kind=value).first()
        rows.append(
            {
                "kind": value,
                "label": label,
                "enabled": stored.enabled if stored else True,
                "changed_by": stored.changed_by if stored else None,
                "changed_at": stored.changed_at if stored else None,
            }
        )
    return render(request, "screening/sources.html", {"rows": rows, "allowed": allowed})


@member_required
@require_GET
def incoming_list(request: MemberRequest) -> HttpResponse:
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
def incoming_detail(request: MemberRequest, pk: str) -> HttpResponse:
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
def job_detail(request: MemberRequest, pk: int) -> HttpResponse:
    """GET /screening/jobs/<pk>/: a large batch screened in the background (its owner only):
    progress while it runs (the page polls itself with htmx), then the rows with matches."""
    try:
        job = read_job(request.user, pk)
    except ScreeningJob.DoesNotExist:
        raise Http404("no such screening job of yours") from None
    template = "screening/_job.html" if request.headers.get("HX-Request") else "screening/job.html"
    return render(request, template, {"job": job})
