"""Feed pages: list, add and edit (administrators), "Pull now" and runs with their progress
(administrators and supervisors). Every change goes through :mod:`.services`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.feeds.forms import FeedForm
from accord.feeds.models import Feed, FeedRun
from accord.feeds.services import (
    can_configure,
    can_pull,
    create_feed,
    start_pull,
    update_feed,
)
from accord.http.access import member_required
from accord.http.requests import MemberRequest

__all__ = [
    "feed_detail",
    "feed_edit",
    "feed_list",
    "feed_new",
    "feed_pull",
    "run_detail",
    "run_progress",
]

_FORM_FIELDS = ("name", "url", "api_root", "collection_id", "username", "enabled",
                "interval_minutes", "page_size", "purpose", "default_tlp", "origin")  # fmt: skip


def _need(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("Feeds are configured by node administrators; administrators "
                               "and supervisors may pull them.")  # fmt: skip


def _apply_errors(form: FeedForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@member_required
@require_GET
def feed_list(request: MemberRequest) -> HttpResponse:
    """GET /feeds/: every feed with its last outcome."""
    _need(can_pull(request.user))
    feeds = Feed.objects.order_by("name")
    return render(request, "feeds/list.html",
                  {"feeds": feeds, "can_configure": can_configure(request.user)})  # fmt: skip


@member_required
@require_http_methods(["GET", "POST"])
def feed_new(request: MemberRequest) -> HttpResponse:
    """GET/POST /feeds/new/: add a feed (administrators)."""
    _need(can_configure(request.user))
    form = FeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feed = create_feed(request.user, secret=form.secret_change() or "",
                               **form.feed_fields())  # fmt: skip
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Feed “{feed.name}” added.")
            return redirect("web:feeds:detail", pk=feed.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "feeds/form.html", {"form": form, "feed": None}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def feed_edit(request: MemberRequest, pk: int) -> HttpResponse:
    """GET/POST /feeds/<pk>/edit/: change a feed; the secret is never shown back."""
    _need(can_configure(request.user))
    feed = get_object_or_404(Feed, pk=pk)
    initial = {k: getattr(feed, k) for k in _FORM_FIELDS}
    form = FeedForm(request.POST or None, initial=initial, has_secret=feed.has_secret)
    if request.method == "POST" and form.is_valid():
        try:
            update_feed(request.user, feed, secret=form.secret_change(), **form.feed_fields())
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Feed “{form.cleaned_data['name']}” saved.")
            return redirect("web:feeds:detail", pk=feed.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "feeds/form.html", {"form": form, "feed": feed}, status=status)


@member_required
@require_GET
def feed_detail(request: MemberRequest, pk: int) -> HttpResponse:
    """GET /feeds/<pk>/: the feed's settings (no secret) and its last runs."""
    _need(can_pull(request.user))
    feed = get_object_or_404(Feed, pk=pk)
    return render(request, "feeds/detail.html", {
        "feed": feed, "runs": feed.runs.all()[:20], "can_configure": can_configure(request.user),
    })  # fmt: skip


@member_required
@require_POST
def feed_pull(request: MemberRequest, pk: int) -> HttpResponse:
    """POST /feeds/<pk>/pull/: "Pull now": queue a pull and show its progress."""
    _need(can_pull(request.user))
    feed = get_object_or_404(Feed, pk=pk)
    run = start_pull(request.user, feed, trigger=FeedRun.Trigger.MANUAL)
    return redirect("web:feeds:run", pk=run.pk)


def _run_context(run: FeedRun) -> dict[str, Any]:
    return {"run": run, "feed": run.feed, "finished": run.finished}


@member_required
@require_GET
def run_detail(request: MemberRequest, pk: int) -> HttpResponse:
    """GET /feeds/runs/<pk>/: one run, its progress polled while it runs."""
    _need(can_pull(request.user))
    run = get_object_or_404(FeedRun.objects.select_related("feed"), pk=pk)
    return render(request, "feeds/run.html", _run_context(run))


@member_required
@require_GET
def run_progress(request: MemberRequest, pk: int) -> HttpResponse:
    """GET /feeds/runs/<pk>/progress/: the partial htmx polls every second until the end."""
    _need(can_pull(request.user))
    run = get_object_or_404(FeedRun.objects.select_related("feed"), pk=pk)
    return render(request, "feeds/_run_progress.html", _run_context(run))
