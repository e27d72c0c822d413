"""Disseminations (who asked to share what with whom, for which purpose, and what the policy
decided), supervisor approvals, what this node received with its provenance, revocation and
deletion orders with their acknowledgements, and the signed notices exchanged with peers.

Rows are written only by :mod:`accord.dissemination.services` (and the federation side in
:mod:`~accord.dissemination.handlers`, :mod:`~accord.dissemination.consent` and
:mod:`~accord.dissemination.notices`), each write with its audit entry.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from accord.dissemination.querysets import DisseminationQuerySet

__all__ = [
    "ApprovalRequest",
    "ConsentRequest",
    "Dissemination",
    "DisseminationEntry",
    "FederationNotice",
    "ReceivedDisclosure",
    "RevocationOrder",
]


class Dissemination(models.Model):
    """One request to share records with peers for a purpose (the analyst's "Send")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(max_length=64)
    assurance_reference = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DisseminationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"dissemination {self.id}"


class DisseminationEntry(models.Model):
    """One record to one recipient: the policy decision, its reasons and what happened."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued for delivery"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting a supervisor's approval"
        AWAITING_CONSENT = "awaiting_consent", "Awaiting the originator's consent"
        RECORDED = "recorded", "Recorded (hit/no-hit only: nothing sent)"
        DENIED = "denied", "Denied (nothing sent)"

    dissemination = models.ForeignKey(
        Dissemination, on_delete=models.CASCADE, related_name="entries"
    )
    record = models.ForeignKey(
        "intel.Record", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    stix_id = models.CharField(max_length=100)
    peer = models.ForeignKey("federation.Peer", on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20)
    reasons = models.JSONField(default=list)
    conditions = models.JSONField(default=list)
    agreements = models.JSONField(default=list, help_text="[{id, version}] that permitted it")
    max_retention_days = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    outbox_item = models.ForeignKey(
        "federation.OutboxItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    onward = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["outbox_item"], name="dissem_entry_outbox")]


class ApprovalRequest(models.Model):
    """A NEEDS_APPROVAL entry waiting for a supervisor (four-eyes: never the requester)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"

    entry = models.OneToOneField(
        DisseminationEntry, on_delete=models.CASCADE, related_name="approval"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    recheck = models.JSONField(default=dict, blank=True, help_text="The decision on approval.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class ConsentRequest(models.Model):
    """Onward sharing (H2 / onward transfer with consent): asked of, or by, the originator.

    ``direction`` "out": this node (a recipient) asks ``peer`` (the originator) for consent to
    pass ``stix_id`` to ``recipient``; "in": ``peer`` asks this node (the originator)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        GRANTED = "granted", "Granted"
        REFUSED = "refused", "Refused"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    direction = models.CharField(max_length=3)
    peer = models.ForeignKey("federation.Peer", on_delete=models.PROTECT, related_name="+")
    stix_id = models.CharField(max_length=100)
    recipient_node = models.CharField(max_length=64)
    recipient_jurisdiction = models.CharField(max_length=16)
    purpose = models.CharField(max_length=64)
    entry = models.ForeignKey(
        DisseminationEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    answered_by = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class ReceivedDisclosure(models.Model):
    """Provenance of an object this node received from a peer; a tombstone once purged."""

    record = models.ForeignKey(
        "intel.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stix_id = models.CharField(max_length=100)
    sender_node = models.CharField(max_length=64)
    originator_node = models.CharField(max_length=64, blank=True)
    version = models.CharField(max_length=40)
    agreements = models.JSONField(default=list, help_text="[{id, version}]")
    purpose = models.CharField(max_length=64, blank=True)
    max_retention_days = models.PositiveIntegerField(null=True, blank=True)
    received_at = models.DateTimeField()
    retention_until = models.DateTimeField(null=True, blank=True)
    dissemination = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["stix_id", "sender_node"], name="uniq_received_from")
        ]


class RevocationOrder(models.Model):
    """The originator's revocation (or deletion order) of a record, sent to one peer that
    received it, and that peer's signed acknowledgement."""

    class Action(models.TextChoices):
        REVOKE = "revoke", "Revoke"
        DELETE = "delete", "Revoke and delete"

    stix_id = models.CharField(max_length=100)
    version = models.CharField(max_length=40)
    peer = models.ForeignKey("federation.Peer", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices)
    reason = models.TextField(blank=True)
    ordered_by = models.CharField(max_length=150)
    outbox_item = models.ForeignKey(
        "federation.OutboxItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]


class FederationNotice(models.Model):
    """A signed node-to-node notice (acknowledgement, consent request or answer): queued to
    send ("out", retried with back-off) or received ("in", kept as evidence). ``refused``: on
    an "in" notice, this node refused it (the reason in ``last_error``; a resend of the same id
    is refused again); on an "out" notice, the peer refused it (a 4xx other than 408 and 429:
    not retried)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (will retry)"
        RECEIVED = "received", "Received"
        REFUSED = "refused", "Refused (not retried)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    direction = models.CharField(max_length=3)
    peer = models.ForeignKey("federation.Peer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32)
    body = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["direction", "status"], name="dissem_notice_due")]
