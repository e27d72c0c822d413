"""Outbox delivery and catch-up pulls in the background.

- ``deliver_outbox()``: a django-tasks task: one delivery pass
  (:func:`accord.federation.delivery.deliver_pending`).
- ``request_delivery()``: queue a pass unless one is already waiting (called after
  :func:`~accord.federation.services.enqueue` commits, for low latency, and by the
  schedule).
- ``pull_peers()``: a django-tasks task: one catch-up pull (``added_after`` the cursor, only
  what the peer's pushes have not delivered yet) from every enabled peer that receives on its
  Accord inbox (:func:`accord.federation.pull.pull_from`).
- The app's entries of the task worker's schedule (:mod:`accord.node.schedule`, registered
  by :meth:`accord.federation.apps.FederationConfig.ready`): every second a delivery
  pass when items are due (:func:`delivery_due`: retries after back-off, and items claimed more
  than ``STALE_CLAIM`` ago by a process that cannot be judged); every 5 seconds the work of dead
  processes taken back (:func:`accord.federation.workers.recover`: outbox items they left
  ``sending``, tasks they left running); every minute the expired nonces pruned; every
  ``ACCORD_PEER_PULL_INTERVAL`` seconds (300; 0: off) a catch-up pull.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django_tasks import task

__all__ = [
    "deliver_outbox",
    "delivery_due",
    "prune_expired_nonces",
    "pull_every",
    "pull_peers",
    "recover_dead_workers",
    "request_delivery",
]

log = logging.getLogger(__name__)
_pending: list[Any] = []
_lock = threading.Lock()


@task()
def deliver_outbox() -> dict[str, int]:
    """One delivery pass; the outcome of each item is on its ``OutboxItem`` row."""
    from accord.federation.delivery import deliver_pending

    report = deliver_pending()
    return {
        "attempted": report.attempted,
        "delivered": report.delivered,
        "rejected": report.rejected,
        "failed": report.failed,
    }


@task()
def pull_peers() -> dict[str, dict[str, Any]]:
    """One catch-up pull from every enabled Accord peer (not those pushed to over a TAXII
    collection: they are not Accord nodes serving ``/federation/outbox/``); per peer, its
    report. A peer's failure is on its report and its cursor, and does not stop the others."""
    from accord.federation.models import Peer
    from accord.federation.pull import pull_from

    out: dict[str, dict[str, Any]] = {}
    for peer in Peer.objects.filter(enabled=True, inbox=""):
        report = pull_from(peer, undelivered_only=True)
        if report.error:
            log.warning("peers: pull from %s failed: %s", peer.node_id, report.error)
        out[peer.node_id] = report.to_dict()
    return out


def request_delivery() -> None:
    """Queue a delivery pass, unless the last one queued from this process has not started
    yet (it will see the new items). A pass already running may have claimed its items before
    the new ones were committed, so then another one is queued: otherwise the new items would
    wait for the scheduler's next tick (seconds of latency)."""
    with _lock:
        if _pending:
            try:
                _pending[0].refresh()
                if _pending[0].status == "READY":
                    return
            except Exception:  # a result that cannot be refreshed: queue a new one
                log.debug("peers: the last delivery result is unreadable; queueing another")
        result = deliver_outbox.enqueue()
        _pending[:] = [result]


def delivery_due() -> bool:
    """Whether a delivery pass has work: items queued, failed and past their back-off, or
    claimed so long ago (``STALE_CLAIM``) that the claimer is taken for dead."""
    from accord.federation.delivery import STALE_CLAIM
    from accord.federation.models import OutboxItem

    now = timezone.now()
    waiting = Q(
        status__in=(OutboxItem.Status.QUEUED, OutboxItem.Status.FAILED),
        next_attempt_at__lte=now,
    )
    stale = Q(status=OutboxItem.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    return OutboxItem.objects.filter(peer__enabled=True).filter(waiting | stale).exists()


def recover_dead_workers() -> None:
    """Take back what dead processes held (:func:`accord.federation.workers.recover`)."""
    from accord.federation.workers import recover

    recover()


def prune_expired_nonces() -> None:
    """Forget the nonces past acceptance (:func:`accord.federation.services.prune_nonces`)."""
    from accord.federation.services import prune_nonces

    prune_nonces()


def pull_every() -> float:
    """Seconds between two scheduled catch-up pulls (``ACCORD_PEER_PULL_INTERVAL``; 0: off)."""
    from accord.federation.pull import pull_interval

    return float(pull_interval())
