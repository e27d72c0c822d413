"""What the background jobs on a file (an import, a batch screening) share with the task
worker: settling a job whose worker died while running it (a :class:`~accord.node.extensions.
WorkerDeathSettler` of the job's task)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

__all__ = ["fail_job"]


def fail_job(jobs: Any, args_kwargs: dict[str, Any], report: dict[str, Any]) -> None:
    """Mark failed, with ``report``, the job a task was called for (its first argument or its
    ``job_id``), when it is still queued or running. ``jobs`` is the job model, whose
    ``Status`` has QUEUED, RUNNING and FAILED; a task that names no job settles nothing."""
    args = args_kwargs.get("args") or []
    job_id = args[0] if args else (args_kwargs.get("kwargs") or {}).get("job_id")
    if job_id is None:
        return
    jobs.objects.filter(pk=job_id, status__in=(jobs.Status.QUEUED, jobs.Status.RUNNING)).update(
        status=jobs.Status.FAILED, report=report, finished_at=timezone.now()
    )
