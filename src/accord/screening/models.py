"""Watchlist sources, screenings, the hits waiting for (or after) human review, and the hits
partners report on this node's records (the originator's liaison officer answers them)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from accord.screening.querysets import HitQuerySet, IncomingHitQuerySet

__all__ = [
    "AnswerAction",
    "Hit",
    "IncomingHit",
    "Screening",
    "ScreeningJob",
    "WatchlistSource",
]


class AnswerAction(models.TextChoices):
    """What the originator asks the screening agency to do about a confirmed hit.

    The checks follow the Schengen Information System's Art 36 alerts (Reg. 2018/1862): a
    discreet check gathers information without alerting the person, an inquiry check
    interviews them, a specific check searches them. The executing agency acts under its own
    law: the answer is a request, never an automated decision.
    """

    ARREST = "arrest", "Arrest on the warrant"
    SPECIFIC_CHECK = "specific_check", "Specific check (search person and belongings)"
    INQUIRY_CHECK = "inquiry_check", "Inquiry check (interview)"
    DISCREET_CHECK = "discreet_check", "Discreet check (do not alert the person)"
    MONITOR = "monitor", "Monitor only (report further sightings)"
    NO_ACTION = "no_action", "No action"


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


class ScreeningJob(models.Model):
    """A large batch screened by the background worker: progress while it runs, then the
    results (the rows with matches or errors) and the screening it produced."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=64)
    case = models.CharField(max_length=64, blank=True)
    format = models.CharField(max_length=16)
    filename = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    screening = models.ForeignKey(
        Screening, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: {count, hits, results (rows with matches or errors), results_omitted} or {error}.
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: When the traveller's details in ``report["results"]`` are erased, as its screening's
    #: hits (``ACCORD_HIT_DEPERSONALISE_DAYS`` after the screening; :mod:`accord.screening.
    #: retention`); the counts stay.
    depersonalise_after = models.DateTimeField(null=True, blank=True)
    #: When they were erased.
    depersonalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["depersonalised_at", "depersonalise_after"], name="job_depersonalise"
            )
        ]


class Hit(models.Model):
    """A possible match waiting for a supervisor: a lead, never an adverse decision by itself.

    Retention (:mod:`accord.screening.retention`, as the PNR rule: depersonalised after six
    months, kept five years): ``ACCORD_HIT_DEPERSONALISE_DAYS`` after the screening the
    traveller's identifying details, the explanation's reasons and the free texts are erased
    (``depersonalised_at``); ``ACCORD_HIT_RETENTION_DAYS`` after it the row is deleted.
    """

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
    #: What was decided about telling the originator ("sent to node-a (full)", "not sent: ...").
    notification = models.CharField(max_length=200, blank=True)
    #: The signed hit notice to the originator (its status says delivered or failed).
    notice = models.ForeignKey(
        "dissemination.FederationNotice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: What was sent and why: level, policy decision, reasons, agreements, fields.
    disclosure = models.JSONField(default=dict, blank=True)
    #: The originator's answer: the action to take, free text, who answered, when.
    answer_action = models.CharField(max_length=20, choices=AnswerAction.choices, blank=True)
    answer_text = models.TextField(blank=True)
    answered_by = models.CharField(max_length=200, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: When the traveller's details are erased (``ACCORD_HIT_DEPERSONALISE_DAYS`` after the
    #: screening) and when the hit is deleted (``ACCORD_HIT_RETENTION_DAYS`` after it).
    depersonalise_after = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateTimeField(null=True, blank=True)
    #: When the traveller's details were erased (the fact of the hit and its review remain).
    depersonalised_at = models.DateTimeField(null=True, blank=True)

    objects = HitQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="hit_status_created"),
            models.Index(
                fields=["depersonalised_at", "depersonalise_after"], name="hit_depersonalise"
            ),
            models.Index(fields=["retain_until"], name="hit_retain_until"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A new hit without its retention dates gets them, counted from now."""
        if self._state.adding and (self.depersonalise_after is None or self.retain_until is None):
            from django.utils import timezone

            from accord.screening.retention import own_hit_dates

            dates = own_hit_dates(timezone.now())
            self.depersonalise_after = self.depersonalise_after or dates[0]
            self.retain_until = self.retain_until or dates[1]
        super().save(*args, **kwargs)

    @property
    def originator_status(self) -> str:
        """ "sent to node-a (full): delivered", "... failed (will retry): <error>", or the
        decision when nothing was sent."""
        notice = self.notice
        if notice is None:
            return self.notification
        text = f"{self.notification}: {notice.get_status_display().lower()}"
        if notice.status == "failed" and notice.last_error:
            text += f" ({notice.last_error[:200]})"
        return text


class IncomingHit(models.Model):
    """A partner's confirmed hit on one of this node's records, received as a signed notice.

    Kept only when the record is this node's own and was delivered to that partner; holds
    only what the partner sent under the agreement (``level`` "full": the sighting's time and
    place and the traveller's details; "hit_only": the fact of the hit). The liaison officer
    answers with the action to take. The traveller's details are kept until ``retain_until``,
    then erased (:mod:`accord.screening.retention`).
    """

    class Status(models.TextChoices):
        NEW = "new", "Waiting for an answer"
        ANSWERED = "answered", "Answered"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    peer = models.ForeignKey("federation.Peer", on_delete=models.PROTECT, related_name="+")
    #: The partner's own hit id (the answer refers to it).
    remote_hit = models.PositiveBigIntegerField()
    record = models.ForeignKey(
        "intel.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    record_stix_id = models.CharField(max_length=100)
    level = models.CharField(max_length=10)
    sighting = models.JSONField(default=dict)
    traveller = models.JSONField(default=dict, blank=True)
    seen_at = models.CharField(max_length=40, blank=True)
    where = models.CharField(max_length=500, blank=True)
    reviewing_agency = models.JSONField(default=dict)
    reviewed_at = models.CharField(max_length=40, blank=True)
    purpose = models.CharField(max_length=64, blank=True)
    agreements = models.JSONField(default=list, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    #: Why details were withheld by the sender, or discarded here (reason codes and sources).
    withheld = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    answer_action = models.CharField(max_length=20, choices=AnswerAction.choices, blank=True)
    answer_text = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_notice = models.ForeignKey(
        "dissemination.FederationNotice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: When the traveller's details are erased (:mod:`accord.screening.retention`): the
    #: shortest retention of the agreements the notice names, from receipt; else the node's
    #: ``ACCORD_HIT_NOTICE_RETENTION_DAYS`` after the answer (after receipt until answered).
    retain_until = models.DateTimeField(null=True, blank=True)
    #: Why that date: the agreement and its clause, or the node setting.
    retention_basis = models.CharField(max_length=300, blank=True)
    #: True when an agreement set ``retain_until`` (an answer does not move it then).
    retention_agreed = models.BooleanField(default=False)
    #: When the traveller's details were erased (a tombstone remains: the fact of the hit, the
    #: record, the peer, the dates and the action answered).
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = IncomingHitQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["peer", "remote_hit"], name="incoming_hit_once")
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="incoming_hit_status"),
            models.Index(fields=["erased_at", "retain_until"], name="incoming_hit_retention"),
        ]
