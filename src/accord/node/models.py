"""The node's own identity (one row) and, later, its peers."""

from __future__ import annotations

from django.db import models

__all__ = ["NodeIdentity"]


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
