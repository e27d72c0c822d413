"""Low latency after an enqueue: a delivery pass is queued unless one is waiting to start; a
pass that is already running may have claimed its items before the new ones were committed,
so another one is queued rather than leaving the new items to the scheduler's next tick."""

from __future__ import annotations

import pytest

from accord.federation import tasks

pytestmark = pytest.mark.django_db


class _Result:
    """The part of a django-tasks result that ``request_delivery`` reads: its status, as the
    database backend reports it for a task waiting (READY) or in progress (RUNNING)."""

    def __init__(self, status: str) -> None:
        self.status = status

    def refresh(self) -> None:
        """Nothing to reload: the status is the one under test."""


@pytest.mark.parametrize(
    ("status", "queues_another"),
    [("READY", False), ("RUNNING", True), ("SUCCESSFUL", True), ("FAILED", True)],
)
def test_request_delivery_queues_unless_a_pass_waits_to_start(db, status, queues_another):
    previous = _Result(status)
    tasks._pending[:] = [previous]
    try:
        tasks.request_delivery()
        assert (tasks._pending[0] is not previous) is queues_another
    finally:
        tasks._pending.clear()
