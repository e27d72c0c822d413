"""The node's own identity (one row) and where each entry of its task schedule stands."""

from __future__ import annotations

from django.db import models

__all__ = ["NodeIdentity", "ScheduleState"]


class NodeIdentity(models.Model):
    """Who this node is: its id, jurisdiction, STIX identity and public key (one row)."""

    node_id = models.CharField(max_length=64, unique=True)
    jurisdiction = models.CharField(max_length=16)
    name = models.CharField(max_length=200)
    identity_id = models.CharField(max_length=100, unique=True)
    public_key_pem = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "node identity"

    def __str__(self) -> str:
        return f"{self.node_id} ({self.jurisdiction})"

    @classmethod
    def current(cls) -> NodeIdentity | None:
        return cls.objects.order_by("pk").first()


class ScheduleState(models.Model):
    """Where one entry of the task worker's schedule stands (``accord.node.schedule``): when it
    last ran, when it is next due, when it last started its work, and its last failure. The
    worker writes it every few seconds; ``accord tasks list`` reads it."""

    name = models.CharField(max_length=100, primary_key=True)
    interval_s = models.FloatField(default=0.0)
    last_run_at = models.DateTimeField(null=True)
    next_due_at = models.DateTimeField(null=True)
    last_started_at = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True)
    failures = models.PositiveIntegerField(default=0)
    worker_id = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "schedule entry state"

    def __str__(self) -> str:
        return self.name
