"""Imports: upload a file, watch its progress (htmx polling), read the report."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accord.web.access import member_required
from accord.web.forms import ImportForm

__all__ = ["import_detail", "import_new", "import_progress"]


def _upload_source(upload: Any) -> Any:
    """What ``start_import`` reads: the bytes of a small upload, or the path of a large one
    (Django has already streamed it to a temporary file under the data directory)."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path()
    return upload.read()


def _detect(upload: Any) -> str | None:
    """The format of an upload, from its first 64 KiB (None when it cannot be told)."""
    from accord.engine.imports.files import detect_format

    upload.seek(0)
    head = upload.read(1 << 16)
    upload.seek(0)
    return detect_format(head)


@member_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    """GET/POST /imports/new/: the upload form; a valid upload starts a background import."""
    from accord.intel.models import ImportJob

    allowed = request.user.can("record.import")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and allowed and form.is_valid():
        from accord.intel.tasks import ImportFailed, start_import

        upload = form.cleaned_data["file"]
        fmt = form.cleaned_data["format"]
        if fmt == "auto":
            fmt = _detect(upload)
        if fmt is None:
            form.add_error(
                "format",
                "The format could not be told from the file's start; choose it in the list.",
            )
        else:
            try:
                job = start_import(
                    request.user,
                    filename=upload.name,
                    data_or_path=_upload_source(upload),
                    format=fmt,
                    purpose=form.cleaned_data["purpose"],
                )
            except ImportFailed as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("web:import-detail", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and not allowed:
        status = 403
    jobs = ImportJob.objects.filter(user=request.user).order_by("-created_at")[:10]
    return render(
        request,
        "accord/imports/new.html",
        {
            "form": form,
            "allowed": allowed,
            "jobs": jobs,
            "max_upload": settings.ACCORD_MAX_UPLOAD_BYTES,
        },
        status=status,
    )


def _job_context(job: Any) -> dict[str, Any]:
    report = job.report if isinstance(job.report, dict) else {}
    percent = int(100 * job.done / job.total) if job.total else (100 if _finished(job) else 0)
    problems = report.get("problems") or []
    return {
        "job": job,
        "report": report,
        "finished": _finished(job),
        "percent": max(0, min(100, percent)),
        "by_type": sorted((report.get("by_type") or {}).items()),
        "refused": report.get("refused") or [],
        "problems": problems,
    }


def _finished(job: Any) -> bool:
    return job.status in ("done", "failed")


@member_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET /imports/<pk>/: progress while the import runs, then its report."""
    from accord.intel.models import ImportJob

    job = get_object_or_404(ImportJob, pk=pk, user=request.user)
    return render(request, "accord/imports/detail.html", _job_context(job))


@member_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """GET /imports/<pk>/progress/: the partial that htmx polls every second until done."""
    from accord.intel.models import ImportJob

    job = get_object_or_404(ImportJob, pk=pk, user=request.user)
    return render(request, "accord/imports/_progress.html", _job_context(job))
