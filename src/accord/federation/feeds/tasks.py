"""Feed pulls in the background, and the schedule that starts them.

- ``run_feed_pull(run_id)``: a django-tasks task; the worker that ``accord serve`` starts runs
  it (tests use the immediate backend).
- ``run_due_feeds()``: one tick of the schedule: queue a pull of every feed that is due
  (``accord feed run-due`` runs it once).
- ``start_scheduler(interval=60)``: a daemon thread, started in the worker process by
  ``accord serve``, that runs the tick every ``interval`` seconds.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections
from django_tasks import task

__all__ = ["run_due_feeds", "run_feed_pull", "start_scheduler"]

log = logging.getLogger(__name__)


@task()
def run_feed_pull(run_id: int) -> str:
    """Run one queued pull; the outcome is on the ``FeedRun`` row."""
    from accord.federation.feeds.models import FeedRun
    from accord.federation.feeds.services import FeedBusy, pull_feed

    run = FeedRun.objects.select_related("feed").get(pk=run_id)
    if run.status != FeedRun.Status.QUEUED:
        return run.status
    try:
        run = pull_feed(run.feed, run=run, trigger=run.trigger)
    except FeedBusy as exc:
        FeedRun.objects.filter(pk=run_id).update(status=FeedRun.Status.FAILED, error=str(exc))
        return FeedRun.Status.FAILED
    return run.status


def run_due_feeds() -> int:
    """Queue the pulls that are due; how many were queued."""
    from accord.federation.feeds.services import enqueue_due_feeds

    return len(enqueue_due_feeds())


def start_scheduler(interval: float = 60.0) -> threading.Thread:
    """Start the schedule's thread (daemon: it ends with the worker process)."""

    def loop() -> None:
        stop = threading.Event()
        delay = min(interval, 5.0)  # a first tick soon after start: feeds due while stopped
        while not stop.wait(delay):
            delay = interval
            try:
                close_old_connections()
                queued = run_due_feeds()
                if queued:
                    log.info("feeds: %d scheduled pull(s) queued", queued)
            except Exception:
                log.exception("feeds: the schedule's tick failed; retrying next minute")
            finally:
                close_old_connections()

    thread = threading.Thread(target=loop, name="accord-feed-scheduler", daemon=True)
    thread.start()
    return thread
