"""Configured TAXII 2.1 feeds and the record of every pull.

A ``Feed`` is one collection on one TAXII 2.1 server. Its password or token is kept only
encrypted (``secret_encrypted``, see :mod:`accord.feeds.secrets`). ``added_after``
is the cursor: the ``X-TAXII-Date-Added-Last`` of the last page stored, so that the next pull
asks only for what the server added since.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import models

__all__ = ["Feed", "FeedRun"]


class Feed(models.Model):
    """One TAXII 2.1 collection this node pulls from."""

    class AuthKind(models.TextChoices):
        NONE = "none", "No authentication"
        BASIC = "basic", "HTTP Basic (user name and password)"
        TOKEN = "token", "Bearer token"

    name = models.SlugField(max_length=64, unique=True)
    #: The server's discovery URL (``.../taxii2/``) or an API root URL.
    url = models.CharField(max_length=500)
    #: Which API root under a discovery URL (its name or URL); blank: the server's default.
    api_root = models.CharField(max_length=300, blank=True)
    collection_id = models.CharField(max_length=100)
    username = models.CharField(max_length=150, blank=True)
    #: The password (Basic) or token (Bearer), Fernet-encrypted; never shown back.
    secret_encrypted = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    #: Minutes between scheduled pulls; 0: only on demand.
    interval_minutes = models.PositiveIntegerField(default=60)
    page_size = models.PositiveIntegerField(default=100)
    #: Purpose recorded with every import from this feed (one of the PURPOSES).
    purpose = models.CharField(max_length=64, default="counter-terrorism")
    #: TLP colour given (in the index, not in the object) to objects that carry none; '' keeps
    #: them unmarked.
    default_tlp = models.CharField(max_length=16, blank=True)
    #: Who the feed's objects come from (``Record.origin_node``): a peer node id, or ''
    #: for ``feed:<name>``.
    origin = models.CharField(max_length=64, blank=True)
    #: The cursor: ``X-TAXII-Date-Added-Last`` of the last stored page ('' before the first).
    added_after = models.CharField(max_length=40, blank=True)
    #: The last run stopped between pages: the next asks from just before the cursor, so that
    #: objects added in the same instant as the last stored one are not skipped.
    resume_inclusive = models.BooleanField(default=False)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=10, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    @property
    def auth_kind(self) -> str:
        if self.username:
            return self.AuthKind.BASIC
        if self.secret_encrypted:
            return self.AuthKind.TOKEN
        return self.AuthKind.NONE

    @property
    def auth_label(self) -> str:
        return str(self.AuthKind(self.auth_kind).label)

    @property
    def origin_node(self) -> str:
        return (self.origin or f"feed:{self.name}")[:64]

    @property
    def source(self) -> str:
        return f"feed:{self.name}"

    def next_due(self) -> datetime | None:
        """When the schedule next wants a pull (None: not scheduled)."""
        if not self.enabled or not self.interval_minutes:
            return None
        if self.last_run_at is None:
            return self.created_at
        return self.last_run_at + timedelta(minutes=self.interval_minutes)


class FeedRun(models.Model):
    """One pull of a feed: progress while it runs, then its outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        PARTIAL = "partial", "Stopped at the page limit"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Pull now (web)"
        CLI = "cli", "accord feed pull"

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    triggered_by = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: Updated after every page; a running run without a recent heartbeat was interrupted.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    received = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    cursor_before = models.CharField(max_length=40, blank=True)
    cursor_after = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    #: Refused objects (id, property, reason), at most a thousand.
    refusals = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["feed", "status"], name="feedrun_feed_status")]

    def __str__(self) -> str:
        return f"{self.feed.name} run {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.PARTIAL, self.Status.FAILED)

    def totals(self) -> dict[str, Any]:
        """What the run did, for its audit entry and ``accord feed``: pages, objects received,
        stored, unchanged and refused, the cursor before and after, the error."""
        return {
            "pages": self.pages,
            "received": self.received,
            "stored": self.stored,
            "unchanged": self.unchanged,
            "refused": self.refused,
            "cursor_before": self.cursor_before,
            "cursor_after": self.cursor_after,
            "error": self.error,
        }
