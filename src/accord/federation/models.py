"""Partner nodes, the nonces they have used, and the durable outbox of versions to send them.

- ``Peer``: a partner node: its node id (the ``keyid`` of its signatures), name, base URL,
  jurisdiction, Ed25519 public key (PEM), the inbox it receives on, and the service user its
  signed requests act as on this node (``peer:<node-id>``, role ``peer``).
- ``SeenNonce``: the nonces of accepted signed requests (RFC 9421 section 7.2.2, replay), kept
  as long as a signature with that ``created`` could still be accepted, then pruned.
- ``OutboxItem``: one object version to deliver to one peer; survives restarts, retried with
  exponential back-off and jitter until the peer's status says it was stored.
- ``PullCursor``: how far this node has caught up, by signed pulls, on what a peer disclosed
  to it (the peer's last ``X-TAXII-Date-Added-Last``).
- ``WorkerBeat``: the task workers of this node that are alive, each with its last heartbeat,
  so that a worker on another host that stopped beating is known to be gone
  (:mod:`accord.federation.workers`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__ = ["OutboxItem", "Peer", "PullCursor", "SeenNonce", "WorkerBeat", "peer_identity_id"]


def peer_identity_id(node_id: str) -> str:
    """The STIX identity id every Accord node derives from its node id (``accord init``), so
    that ``created_by_ref`` names the originating node."""
    return f"identity--{uuid.uuid5(uuid.NAMESPACE_URL, 'accord-node:' + node_id)}"


class Peer(models.Model):
    """A partner node this node exchanges signed requests and objects with."""

    node_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, help_text="The peer's base URL (https://node.example/).")
    jurisdiction = models.CharField(max_length=16)
    public_key_pem = models.TextField(help_text="The peer's Ed25519 public key (PEM).")
    identity_id = models.CharField(max_length=100, unique=True)
    inbox = models.CharField(
        max_length=100,
        blank=True,
        help_text="A TAXII collection id on the peer to push to; blank: its Accord inbox.",
    )
    enabled = models.BooleanField(default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="peer"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["node_id"]

    def __str__(self) -> str:
        return f"{self.node_id} ({self.jurisdiction})"


class SeenNonce(models.Model):
    """A nonce already used by ``keyid`` (a replay of it is refused)."""

    keyid = models.CharField(max_length=64)
    nonce = models.CharField(max_length=128)
    created = models.BigIntegerField(help_text="The signature's created (Unix seconds).")
    seen_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["keyid", "nonce"], name="peers_nonce_once")]


class OutboxItem(models.Model):
    """One object version waiting for, or done with, delivery to one peer."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (will retry)"
        REJECTED = "rejected", "Rejected by the peer (not retried)"

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="outbox")
    version = models.ForeignKey(
        "intel.RecordVersion", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    stix_id = models.CharField(max_length=100)
    modified = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(
        max_length=64,
        blank=True,
        help_text="The process that claimed it (host, pid, start time: see peers.workers).",
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["peer", "version"], name="peers_outbox_once"),
        ]
        indexes = [
            models.Index(fields=["peer", "status", "next_attempt_at"], name="peers_outbox_due"),
            models.Index(fields=["claim"], name="peers_outbox_claim"),
            models.Index(fields=["status", "claimed_at"], name="peers_outbox_claimed"),
        ]

    def __str__(self) -> str:
        return f"{self.stix_id}@{self.modified} -> {self.peer.node_id}: {self.status}"


class PullCursor(models.Model):
    """Catch-up state for pulling from one peer: the date added (on the peer) of the last
    object pulled, used as ``added_after`` by the next pull, and the last pull's outcome."""

    peer = models.OneToOneField(Peer, on_delete=models.CASCADE, related_name="pull_cursor")
    added_after = models.CharField(
        max_length=40, blank=True, help_text="The peer's last X-TAXII-Date-Added-Last."
    )
    last_pull_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    pulled = models.PositiveBigIntegerField(default=0, help_text="Objects stored by pulls.")
    refused = models.PositiveBigIntegerField(default=0, help_text="Objects refused in pulls.")

    def __str__(self) -> str:
        return f"pull from {self.peer.node_id} after {self.added_after or 'the beginning'}"


class WorkerBeat(models.Model):
    """A task worker of this node that is running, or was when it last beat."""

    worker_id = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id}, seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
