"""The audit trail: append-only rows, each hash-linked to the one before."""

from __future__ import annotations

from django.db import models

__all__ = ["AuditCheckpoint", "AuditEvent", "AuditHead"]


class AuditEvent(models.Model):
    """One audit event. Never updated or deleted (database triggers refuse it)."""

    seq = models.BigIntegerField(unique=True)
    ts = models.CharField(max_length=32, help_text="UTC, RFC 3339 with microseconds.")
    actor = models.CharField(max_length=150)
    role = models.CharField(max_length=20, blank=True)
    node = models.CharField(max_length=64)
    action = models.CharField(max_length=64, db_index=True)
    object_ids = models.JSONField(default=list)
    purpose = models.CharField(max_length=64, blank=True)
    case = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    leaf_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["actor", "seq"], name="audit_actor_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor}"


class AuditHead(models.Model):
    """The chain's head (one row): locked while an event is appended, so appends serialise."""

    seq = models.BigIntegerField(default=0)
    chain_hash = models.CharField(max_length=64)


class AuditCheckpoint(models.Model):
    """The node's Ed25519 signature over (seq, chain hash) of every N-th entry (append-only).

    A checkpoint vouches for the whole trail up to ``seq``: truncating the trail or rewriting it
    (even with recomputed hashes and an edited head row) no longer matches a signed checkpoint.
    """

    seq = models.BigIntegerField(unique=True)
    chain_hash = models.CharField(max_length=64)
    node = models.CharField(max_length=64)
    ts = models.CharField(max_length=32)
    signature = models.CharField(max_length=128, help_text="Ed25519, hex.")

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"checkpoint at #{self.seq}"
