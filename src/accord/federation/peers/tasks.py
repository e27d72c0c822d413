"""Outbox delivery in the background.

- ``deliver_outbox()``: a django-tasks task: one delivery pass
  (:func:`accord.federation.peers.delivery.deliver_pending`).
- ``request_delivery()``: queue a pass unless one is already waiting (called after
  :func:`~accord.federation.peers.services.enqueue` commits, for low latency).
- ``start_scheduler(interval=1, worker_id=...)``: a daemon thread, started in the worker
  process by ``accord serve``, that every second queues a pass whenever items are due
  (retries after back-off, and items claimed more than ``STALE_CLAIM`` ago by a process that
  cannot be judged) and runs the other apps' ``SCHEDULE_HOOKS`` (dissemination: due signed
  notices); every 5 seconds it beats the worker's heartbeat and takes back the work of dead
  processes (:func:`accord.federation.peers.workers.recover`: outbox items they left
  ``sending``, tasks they left running), every minute it prunes expired nonces, and every
  ``ACCORD_PEER_PULL_INTERVAL`` seconds (300) it queues ``pull_peers()``.
- ``pull_peers()``: a django-tasks task: one catch-up pull (``added_after`` the cursor, only
  what the peer's pushes have not delivered yet) from every enabled peer that receives on its
  Accord inbox
  (:func:`accord.federation.peers.pull.pull_from`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

__all__ = [
    "SCHEDULE_HOOKS",
    "deliver_outbox",
    "pull_peers",
    "request_delivery",
    "start_scheduler",
]

log = logging.getLogger(__name__)
_pending: list[Any] = []
_lock = threading.Lock()
#: Callables run on every tick of the delivery schedule (after the outbox check), registered by
#: other apps that send over the same transport (dissemination: acknowledgements and consent
#: notices, docs/dissemination.md). Each one's failure is logged and does not stop the others.
SCHEDULE_HOOKS: list[Callable[[], None]] = []


@task()
def deliver_outbox() -> dict[str, int]:
    """One delivery pass; the outcome of each item is on its ``OutboxItem`` row."""
    from accord.federation.peers.delivery import deliver_pending

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
    from accord.federation.peers.models import Peer
    from accord.federation.peers.pull import pull_from

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


def _due() -> bool:
    """Whether a delivery pass has work: items queued, failed and past their back-off, or
    claimed so long ago (``STALE_CLAIM``) that the claimer is taken for dead."""
    from accord.federation.peers.delivery import STALE_CLAIM
    from accord.federation.peers.models import OutboxItem

    now = timezone.now()
    waiting = Q(
        status__in=(OutboxItem.Status.QUEUED, OutboxItem.Status.FAILED),
        next_attempt_at__lte=now,
    )
    stale = Q(status=OutboxItem.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    return OutboxItem.objects.filter(peer__enabled=True).filter(waiting | stale).exists()


#: Ticks of the schedule between two heartbeats (and recoveries), and between two prunings.
BEAT_EVERY = 5
PRUNE_EVERY = 60


def start_scheduler(interval: float = 1.0, *, worker_id: str = "") -> threading.Thread:
    """Start the delivery schedule's thread (daemon: it ends with the worker process);
    ``worker_id``: the worker's identity, whose heartbeat it beats. A tick costs a few
    indexed reads; one a second keeps a retry due after its back-off from waiting longer."""

    def loop() -> None:
        from accord.federation.peers.pull import pull_interval
        from accord.federation.peers.services import prune_nonces
        from accord.federation.peers.workers import beat, recover

        stop = threading.Event()
        ticks = 0
        last_pull = time.monotonic()
        while ticks == 0 or not stop.wait(interval):  # the first tick at once
            ticks += 1
            try:
                close_old_connections()
                if ticks % BEAT_EVERY == 1:  # the first tick too
                    if worker_id:
                        beat(worker_id)
                    recover()
                if _due():
                    request_delivery()
                every = pull_interval()
                if every > 0 and time.monotonic() - last_pull >= every:
                    last_pull = time.monotonic()
                    pull_peers.enqueue()
                for hook in list(SCHEDULE_HOOKS):
                    try:
                        hook()
                    except Exception:
                        log.exception("peers: a schedule hook failed; retrying next tick")
                if ticks % PRUNE_EVERY == 0:
                    prune_nonces()
            except Exception:
                log.exception("peers: the delivery tick failed; retrying")
            finally:
                close_old_connections()

    thread = threading.Thread(target=loop, name="accord-peer-delivery", daemon=True)
    thread.start()
    return thread
