"""TAXII 2.1 collections of records, who may read and write them, and POST statuses.

A ``CollectionEntry`` puts one stored object version (``RecordVersion``) into a collection. Its
``date_added_us`` (microseconds since the epoch, UTC) is the TAXII "date added": strictly
increasing within a collection (unique per collection), so that ``(collection, date_added_us)``
is the keyset that pagination walks. ``version_us`` is the object's ``modified`` (or
``created``) timestamp in microseconds; ``is_latest`` / ``is_first`` mark the newest and oldest
version of each object within the collection and are kept right on every insert and delete.
Entries of one object are found through ``record`` (``Record.stix_id`` is unique), never through
the copied ``stix_id`` text, which is kept only to be returned.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__ = ["Collection", "CollectionAccess", "CollectionEntry", "TaxiiStatus"]

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


def _default_media_types() -> list[str]:
    return [STIX_MEDIA_TYPE]


class Collection(models.Model):
    """A TAXII collection (TAXII 2.1 section 5.2) under one API root."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    api_root = models.CharField(max_length=64, default="accord")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    alias = models.SlugField(max_length=64, null=True, blank=True, unique=True)
    media_types = models.JSONField(default=_default_media_types)
    #: The date_added of the newest entry (microseconds), to keep date_added strictly increasing.
    last_added_us = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.alias or self.title


class CollectionAccess(models.Model):
    """Read and write permission on a collection, for a user (or, later, a peer node)."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="access")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    peer_node_id = models.CharField(max_length=64, blank=True)
    can_read = models.BooleanField(default=False)
    can_write = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "user", "peer_node_id"], name="uniq_collection_access"
            )
        ]


class CollectionEntry(models.Model):
    """One object version in one collection."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey("intel.Record", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey("intel.RecordVersion", on_delete=models.CASCADE, related_name="+")
    stix_id = models.CharField(max_length=100)
    stix_type = models.CharField(max_length=64)
    spec_version = models.CharField(max_length=8, default="2.1")
    version_us = models.BigIntegerField()
    date_added_us = models.BigIntegerField()
    is_latest = models.BooleanField(default=True)
    is_first = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "date_added_us"], name="taxii_entry_date_added"
            ),
            models.UniqueConstraint(fields=["collection", "version"], name="taxii_entry_version"),
        ]
        indexes = [
            models.Index(
                fields=["collection", "stix_type", "date_added_us"], name="taxii_entry_type"
            ),
            # By object: through the record (one per STIX id), not the id text, so that new
            # entries (new records get ascending keys) append to this index instead of landing
            # on a random page of it, as an index on the random STIX ids would.
            models.Index(
                fields=["collection", "record", "date_added_us"], name="taxii_entry_record"
            ),
            models.Index(
                fields=["collection", "is_latest", "date_added_us"], name="taxii_entry_latest"
            ),
        ]


class TaxiiStatus(models.Model):
    """The status resource of one POST to a collection (TAXII 2.1 section 4.3)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, default="complete")
    request_timestamp = models.CharField(max_length=40)
    total_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    successes = models.JSONField(default=list)
    failures = models.JSONField(default=list)
    pendings = models.JSONField(default=list)
