"""Feed pulls in the background.

- ``run_feed_pull(run_id)``: a django-tasks task; the worker that ``accord serve`` starts runs
  it (tests use the immediate backend).
- ``run_due_feeds()``: queue a pull of every feed that is due (``accord feed run-due`` runs it
  once; the task worker's schedule entry ``feeds.poll``, registered by
  :meth:`accord.feeds.apps.FeedsConfig.ready`, every :data:`POLL_EVERY` seconds,
  the first time soon after the worker starts, for the feeds that fell due while it was
  stopped).
"""

from __future__ import annotations

import logging
from typing import Final

from django_tasks import task

__all__ = ["FIRST_POLL_AFTER", "POLL_EVERY", "run_due_feeds", "run_feed_pull"]

log = logging.getLogger(__name__)

#: Seconds between two looks for the feeds that are due.
POLL_EVERY: Final = 60.0
#: Seconds after the worker starts before the first look.
FIRST_POLL_AFTER: Final = 5.0


@task()
def run_feed_pull(run_id: int) -> str:
    """Run one queued pull; the outcome is on the ``FeedRun`` row."""
    from accord.feeds.models import FeedRun
    from accord.feeds.services import FeedBusy, pull_feed

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
    from accord.feeds.services import enqueue_due_feeds

    queued = len(enqueue_due_feeds())
    if queued:
        log.info("feeds: %d scheduled pull(s) queued", queued)
    return queued
