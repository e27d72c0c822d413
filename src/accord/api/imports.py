"""Imports: ``POST /api/imports`` queues a file (multipart: ``file``, ``format``, ``purpose``) and
answers 202 with the job's address; ``GET /api/imports/{id}`` reports status, progress and, once
done, the import report. Only the job's owner sees it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.files import UploadedFile

from accord.api.auth import DEFAULT_PURPOSE
from accord.api.problems import ProblemError
from accord.api.schemas import (
    NO_CONTROL_CHARACTERS,
    ImportAcceptedSchema,
    ImportJobSchema,
    ProblemSchema,
)

__all__ = ["IMPORT_FORMATS", "router"]

router = Router(tags=["imports"])

IMPORT_FORMATS = ("stix", "ftm", "un-xml")
_ERRORS: dict[int | tuple[int, ...], Any] = {
    (400, 401, 403, 404, 413, 415, 422): ProblemSchema,
}


def _content(upload: UploadedFile) -> bytes | str:
    """The upload as bytes when held in memory, else the path of Django's temporary file
    (``start_import`` copies it into the data directory before the request ends)."""
    temporary = getattr(upload, "temporary_file_path", None)
    return temporary() if temporary is not None else upload.read()


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "format"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The file (gzip or single-file zip accepted).",
                        },
                        "format": {"type": "string", "enum": list(IMPORT_FORMATS)},
                        "purpose": {
                            "type": "string",
                            "maxLength": 64,
                            "pattern": NO_CONTROL_CHARACTERS,
                            "description": f"Why the records are imported (default "
                            f"{DEFAULT_PURPOSE}).",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/imports",
    response={202: ImportAcceptedSchema, **_ERRORS},
    summary="Queue a file for import (STIX 2.1 bundle, FollowTheMoney, UN list XML)",
    openapi_extra=_BODY,
)
def create(request: HttpRequest, response: HttpResponse) -> Any:
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ProblemError(415, "Send the file as multipart/form-data (fields file, format).")
    file = request.FILES.get("file")
    format = request.POST.get("format", "")
    purpose = request.POST.get("purpose", "")
    errors = []
    if file is None:
        errors.append({"path": "form:file", "message": "a file is required"})
    if format not in IMPORT_FORMATS:
        errors.append(
            {"path": "form:format", "message": f"choose one of {', '.join(IMPORT_FORMATS)}"}
        )
    if len(purpose) > 64 or not re.fullmatch(NO_CONTROL_CHARACTERS, purpose):
        errors.append(
            {"path": "form:purpose", "message": "at most 64 characters, no control characters"}
        )
    if errors or file is None:
        raise ProblemError(422, "The import request is incomplete.", errors=errors)
    if file.size is not None and file.size > settings.ACCORD_MAX_UPLOAD_BYTES:
        raise ProblemError(
            413,
            f"The file is larger than this node accepts "
            f"({settings.ACCORD_MAX_UPLOAD_BYTES} bytes).",
        )
    from accord.intel.tasks import ImportFailed, start_import

    try:
        job = start_import(
            request.auth,
            filename=Path(file.name or "upload").name,
            data_or_path=_content(file),
            format=format,
            purpose=purpose.strip() or DEFAULT_PURPOSE,
        )
    except ImportFailed as exc:
        raise ProblemError(422, str(exc)) from exc
    location = f"/api/imports/{job.pk}"
    response["Location"] = location
    return Status(202, {"id": job.pk, "status": job.status, "location": location})


@router.get("/imports/{job_id}", response={200: ImportJobSchema, **_ERRORS}, summary="An import")
def read(request: HttpRequest, job_id: int) -> Any:
    from accord.intel.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id, user=request.auth).first()
    if job is None:
        raise ProblemError(404, "No such import job of yours.")
    return {
        "id": job.pk,
        "status": job.status,
        "format": job.format,
        "filename": job.filename,
        "purpose": job.purpose,
        "total": job.total,
        "done": job.done,
        "progress": round(job.done / job.total, 4)
        if job.total
        else (1.0 if job.status == "done" else 0.0),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "report": job.report or {},
    }
