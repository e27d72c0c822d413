"""Import jobs: a file is saved under ``DATA_DIR/uploads/``, then parsed and ingested by a
background task (``django-tasks``) that reports progress on its ``ImportJob`` row.

- ``start_import(user, *, filename, data_or_path, format, purpose) -> ImportJob``
- ``run_import_job(job_id)``: the task.
- ``import_bytes(user, data, *, format, ...) -> dict``: the same work done in the caller's
  process (the ``accord import`` command), returning the same JSON report.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tasks import task

from accord.engine.imports import parse
from accord.engine.imports.files import read_limited
from accord.engine.imports.result import ImportFormatError, ParseResult
from accord.engine.stix.markings import TLP_IDS
from accord.intel.bulk import refresh_after_bulk_import
from accord.intel.models import ImportJob
from accord.intel.services import ImportReport, ingest_objects
from accord.node.jobs import fail_job

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = [
    "FORMATS",
    "UNEXPECTED_FAILURE",
    "ImportFailed",
    "import_bytes",
    "import_report_json",
    "run_import_job",
    "start_import",
]

FORMATS = ("stix", "ftm", "un-xml")
#: The reason stored on a job that stopped on an unexpected error (its cause is in the log).
UNEXPECTED_FAILURE = (
    "The import stopped on an unexpected error and nothing was stored. Check that the file is "
    "a valid export in the chosen format; if it is, give an administrator the job number "
    "({job}): the node's log holds the cause."
)
logger = logging.getLogger("accord.intel")

#: Refusals and parse problems kept in a stored report (the counts are always complete).
REPORT_LIMIT = 1000


class ImportFailed(Exception):
    """The file could not be read at all (format, size, compression); nothing was stored."""


def _node_identity() -> str:
    from accord.node.models import NodeIdentity

    node = NodeIdentity.current()
    if node is None:
        raise ImportFailed("this node has no identity yet: run `accord init` first")
    return node.identity_id


def import_report_json(
    report: ImportReport | None, parsed: ParseResult | None, *, error: str = ""
) -> dict[str, Any]:
    """The report stored on an ``ImportJob`` and printed by ``accord import`` (plain JSON)."""
    out: dict[str, Any] = {"ok": bool(report and report.ok and not error)}
    if error:
        out["error"] = error
    if parsed is not None:
        out["format"] = parsed.format
        out["parsed"] = len(parsed.objects)
        out["parse_counts"] = dict(parsed.counts)
        out["problems"] = [
            {"where": p.where, "message": p.message} for p in parsed.problems[:REPORT_LIMIT]
        ]
        out["problem_count"] = len(parsed.problems)
    if report is not None:
        out.update(
            source=report.source,
            received=report.received,
            imported=report.imported,
            new_versions=report.new_versions,
            unchanged=report.unchanged,
            by_type=dict(sorted(report.by_type.items())),
            refused_count=len(report.refused),
            refused=[
                {"index": r.index, "id": r.stix_id, "path": r.path, "message": r.message}
                for r in report.refused[:REPORT_LIMIT]
            ],
        )
    return out


def import_bytes(
    user: User | None,
    data: bytes | str | os.PathLike[str],
    *,
    format: str,
    purpose: str = "",
    source: str,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Read (within the size limits), parse and ingest one file; the JSON report.

    Legal effect: as :func:`accord.intel.services.ingest_objects` (all or nothing). Raises
    :class:`ImportFailed` when the file cannot be read at all.
    """
    if format not in FORMATS:
        raise ImportFailed(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    try:
        raw = read_limited(
            data if isinstance(data, bytes) else Path(data),
            max_bytes=settings.ACCORD_MAX_UPLOAD_BYTES,
            max_expanded_bytes=settings.ACCORD_MAX_EXPANDED_BYTES,
        )
        # The UN list is a public document: TLP:CLEAR. Other formats carry no marking of their
        # own; the records stay unmarked until someone marks them.
        markings = [TLP_IDS["clear"]] if format == "un-xml" else []
        # Converted formats are written by this node; STIX objects keep their own creator.
        creator = "" if format == "stix" else _node_identity()
        parsed = parse(format, raw, created_by_ref=creator, marking_refs=markings)
    except ImportFormatError as exc:
        raise ImportFailed(str(exc)) from exc
    except OSError as exc:
        raise ImportFailed(f"cannot read the file: {exc.strerror or exc}") from exc
    report = ingest_objects(user, parsed.objects, source=source, purpose=purpose, progress=progress)
    refresh_after_bulk_import(report.imported + report.new_versions)
    return import_report_json(report, parsed)


def fail_import_job(args_kwargs: dict[str, Any], reason: str) -> None:
    """Settle an import job whose worker died while running it: failed, with the reason in
    words (nothing of it was stored: an import is all or nothing, in one transaction)."""
    error = f"The import stopped: {reason}. Nothing of the file was stored; import it again."
    fail_job(ImportJob, args_kwargs, import_report_json(None, None, error=error))


@task()
def run_import_job(job_id: int) -> str:
    """Run one queued import job: parse, ingest (all or nothing), store the report.

    The job always ends ``done`` or ``failed``: a failure of any kind fails it with a reason in
    words (an unexpected one is logged with its traceback, never shown)."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])
    last_saved = [-1]

    def progress(done: int, total: int) -> None:
        step = max(1, total // 100)
        if done // step != last_saved[0] or done >= total:
            last_saved[0] = done // step
            ImportJob.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        report = import_bytes(
            job.user,
            job.path,
            format=job.format,
            purpose=job.purpose,
            source=f"upload:{job.filename}",
            progress=progress,
        )
        job.report = report
        job.status = ImportJob.Status.DONE if report["ok"] else ImportJob.Status.FAILED
    except ImportFailed as exc:
        job.report = import_report_json(None, None, error=str(exc))
        job.status = ImportJob.Status.FAILED
    except PermissionDenied as exc:
        job.report = import_report_json(None, None, error=str(exc) or "not allowed")
        job.status = ImportJob.Status.FAILED
    except Exception:  # a defect or a database failure: the job fails, the log has the cause
        logger.exception("import job %s (%s, %s) failed", job.pk, job.format, job.filename)
        job.report = import_report_json(None, None, error=UNEXPECTED_FAILURE.format(job=job.pk))
        job.status = ImportJob.Status.FAILED
    finally:
        if job.path:
            Path(job.path).unlink(missing_ok=True)
    job.refresh_from_db(fields=["total", "done"])
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "report", "finished_at"])
    return job.status


def _safe_suffix(filename: str) -> str:
    name = Path(filename).name.lower()
    for suffix in (".json.gz", ".xml.gz", ".jsonl.gz", ".json", ".jsonl", ".xml", ".gz", ".zip"):
        if name.endswith(suffix):
            return suffix
    return ".bin"


def start_import(
    user: User | None,
    *,
    filename: str,
    data_or_path: bytes | str | os.PathLike[str],
    format: str,
    purpose: str = "",
) -> ImportJob:
    """Save an uploaded file under a generated name and queue its import.

    Legal effect: none until the job runs; then as ``ingest_objects`` (all or nothing, audited
    as the user who started it). The file is deleted when the job ends.
    """
    if user is None or not user.can("record.import"):
        raise PermissionDenied("this role may not import records")
    if format not in FORMATS:
        raise ImportFailed(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    uploads = Path(settings.DATA_DIR) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    target = uploads / f"import-{secrets.token_hex(16)}{_safe_suffix(filename)}"
    if isinstance(data_or_path, bytes):
        if len(data_or_path) > settings.ACCORD_MAX_UPLOAD_BYTES:
            raise ImportFailed("the file is larger than this node accepts")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data_or_path)
    else:
        source = Path(data_or_path)
        if source.stat().st_size > settings.ACCORD_MAX_UPLOAD_BYTES:
            raise ImportFailed("the file is larger than this node accepts")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle, source.open("rb") as src:
            while chunk := src.read(1 << 20):
                handle.write(chunk)
    job = ImportJob.objects.create(
        user=user,
        format=format,
        filename=Path(filename).name[:255],
        path=str(target),
        purpose=purpose[:64],
    )
    run_import_job.enqueue(job.pk)
    job.refresh_from_db()
    return job
