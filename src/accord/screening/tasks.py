"""Large screening batches run in the background worker (``django-tasks``), as imports do
(:mod:`accord.intel.tasks`): the upload is read and checked in the request (a refused file is
answered at once), saved under ``DATA_DIR/uploads/``, and screened by :func:`run_screening_job`,
which reports progress on its :class:`ScreeningJob` row.

- ``start_screening_job(user, *, data, format, filename, purpose, case) -> ScreeningJob``
- ``run_screening_job(job_id)``: the task (the file is deleted when it ends).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tasks import task

from accord.engine.manifests import ManifestError, read_manifest
from accord.http.schemas import file_job_out
from accord.node.jobs import fail_job
from accord.screening.models import ScreeningJob

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = [
    "BACKGROUND_ABOVE",
    "RESULT_LIMIT",
    "background_above",
    "job_out",
    "run_screening_job",
    "start_screening_job",
]

#: Batches with more travellers than this run in the background (smaller ones answer at once);
#: ``ACCORD_SCREENING_BACKGROUND_ABOVE`` in the settings replaces it.
BACKGROUND_ABOVE: Final = 1000
#: Result lines kept on a job (rows with matches or errors; the counts are always complete).
RESULT_LIMIT: Final = 10_000


def background_above() -> int:
    """How many travellers a batch may have and still be screened in the request."""
    return int(getattr(settings, "ACCORD_SCREENING_BACKGROUND_ABOVE", BACKGROUND_ABOVE))


def start_screening_job(
    user: User | None,
    *,
    data: bytes,
    format: str,
    filename: str,
    purpose: str,
    case: str = "",
) -> ScreeningJob:
    """Save an uploaded manifest under a generated name and queue its screening.

    Legal effect: none until the job runs; then as
    :func:`accord.screening.services.screen` (a consultation of the watchlist for ``purpose``,
    audited as the user who started it; hits queued for review). The file is deleted when the
    job ends.
    """
    from accord.screening.services import can_screen

    if user is None or not can_screen(user):
        raise PermissionDenied("this role may not screen people against the watchlist")
    if not purpose:
        raise ValidationError("a purpose is required to screen")
    if len(data) > int(settings.ACCORD_MAX_UPLOAD_BYTES):
        raise ManifestError("the file is larger than this node screens")
    uploads = Path(settings.DATA_DIR) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    target = uploads / f"screening-{secrets.token_hex(16)}.bin"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    job = ScreeningJob.objects.create(
        user=user,
        purpose=purpose[:64],
        case=case[:64],
        format=format[:16],
        filename=Path(filename).name[:255],
        path=str(target),
    )
    run_screening_job.enqueue(job.pk)
    job.refresh_from_db()
    return job


def fail_screening_job(args_kwargs: dict[str, Any], reason: str) -> None:
    """Settle a screening job whose worker died while running it: failed, with the reason in
    words (the screening is stored in one transaction at its end, so nothing of it was)."""
    error = f"The screening stopped: {reason}. Nothing was stored; send the file again."
    fail_job(ScreeningJob, args_kwargs, {"error": error})


@task()
def run_screening_job(job_id: int) -> str:
    """Screen one queued batch; progress on the job row, then the report."""
    from accord.screening.services import screen

    job = ScreeningJob.objects.select_related("user").get(pk=job_id)
    job.status = ScreeningJob.Status.RUNNING
    job.save(update_fields=["status"])

    def progress(done: int, total: int) -> None:
        ScreeningJob.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        travellers = read_manifest(
            Path(job.path).read_bytes(),
            job.format,
            max_bytes=int(settings.ACCORD_MAX_UPLOAD_BYTES),
        )
        ScreeningJob.objects.filter(pk=job.pk).update(total=len(travellers))
        results = screen(
            job.user,
            travellers,
            purpose=job.purpose,
            case=job.case,
            format=job.format,
            filename=job.filename,
            progress=progress,
            job=job,
        )
        kept = [r.as_dict() for r in results if r.matches or r.error]
        job.report = {
            "format": job.format,
            "count": len(results),
            "hits": sum(1 for r in results if r.hit),
            "results": kept[:RESULT_LIMIT],
            "results_omitted": max(0, len(kept) - RESULT_LIMIT),
        }
        job.status = ScreeningJob.Status.DONE
    except (ManifestError, OSError) as exc:
        job.report = {"error": f"the file was refused: {exc}"}
        job.status = ScreeningJob.Status.FAILED
    except (PermissionDenied, ValidationError) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        job.report = {"error": text or "not allowed"}
        job.status = ScreeningJob.Status.FAILED
    finally:
        if job.path:
            Path(job.path).unlink(missing_ok=True)
    job.refresh_from_db(fields=["total", "done", "screening"])
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "report", "finished_at"])
    return job.status


def job_out(job: ScreeningJob) -> dict[str, Any]:
    """A job as the REST API and the page show it."""
    return {
        **file_job_out(job),
        "screening": job.screening_id,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "report": job.report or None,
        "depersonalise_after": (
            job.depersonalise_after.isoformat() if job.depersonalise_after else None
        ),
        "depersonalised_at": job.depersonalised_at.isoformat() if job.depersonalised_at else None,
    }
