"""Watchlist sources, screenings and the hits waiting for (or after) human review."""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["Hit", "Screening", "WatchlistSource"]


class WatchlistSource(models.Model):
    """One of the three watchlist sources, switchable on and off (see docs/screening.md).

    - ``own``: records this node originated (``Record.origin_node == ""``) that are not from a
      public list;
    - ``partner``: records received from partner nodes (``origin_node != ""``);
    - ``public``: records of this node whose watchlist ``list_name`` starts with one of
      ``accord.screening.watchlist.PUBLIC_LIST_PREFIXES`` (the UN list importer writes
      "UN Security Council ...").
    """

    class Kind(models.TextChoices):
        OWN = "own", "This node's own records"
        PARTNER = "partner", "Records received from partners"
        PUBLIC = "public", "Imported public lists (UN Security Council...)"

    kind = models.CharField(max_length=16, choices=Kind.choices, unique=True)
    enabled = models.BooleanField(default=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.kind} ({'on' if self.enabled else 'off'})"


class Screening(models.Model):
    """One screening run: who, why, what was read, how many hits."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(max_length=64)
    case = models.CharField(max_length=64, blank=True)
    format = models.CharField(max_length=16, default="person")
    filename = models.CharField(max_length=255, blank=True)
    algorithm = models.CharField(max_length=64)
    travellers = models.PositiveIntegerField(default=0)
    hits = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class Hit(models.Model):
    """A possible match waiting for a supervisor: a lead, never an adverse decision by itself."""

    class Status(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        DISMISSED = "dismissed"

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="hit_rows")
    row = models.PositiveIntegerField()
    traveller = models.JSONField(default=dict)
    record = models.ForeignKey("intel.Record", on_delete=models.PROTECT, related_name="+")
    record_stix_id = models.CharField(max_length=100)
    score = models.FloatField()
    explanation = models.JSONField(default=dict)
    action = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    sighting_id = models.CharField(max_length=100, blank=True)
    #: Where the originator's notification stands ("pending: federation transport"...).
    notification = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="hit_status_created")]
