"""The record store's pages, mounted by :mod:`accord.intel.urls`.

Records: search and list, one record's page, its version history. Every read goes through
``accord.intel.services`` with the session's purpose and case, so that it is restricted by role,
agency, case and markings and written to the audit trail.

Imports: upload a file, watch its progress (htmx polling), read the report (the job's owner
only).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accord.http.access import content_access, member_required, working_context
from accord.http.requests import MemberRequest
from accord.intel.forms import ImportForm, SearchForm
from accord.intel.presenters import marking_banner, person_view, pretty_json, version_views

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from accord.intel.models import ImportJob, Record
    from accord.intel.presenters import MarkingBanner
    from accord.intel.search import SearchQuery

__all__ = [
    "import_detail",
    "import_new",
    "import_progress",
    "record_detail",
    "record_history",
    "record_list",
]

PER_PAGE = 25
_P = ParamSpec("_P")


def _query(data: dict[str, Any]) -> SearchQuery:
    from accord.intel.services import SearchQuery

    return SearchQuery(
        text=data.get("q") or "",
        identifier=data.get("identifier") or "",
        stix_type=data.get("type") or "",
        tlp=tuple(data.get("tlp") or ()),
        handling_code=data.get("handling_code") or "",
        birth_year=data.get("birth_year"),
        personal_only=bool(data.get("personal_only")),
    )


def _page_links(request: HttpRequest, page: int, has_next: bool) -> dict[str, str]:
    """Links to the previous and next pages (none past ``MAX_PAGE``: a page beyond it is
    answered with a request to narrow the search)."""
    from accord.intel.search import MAX_PAGE

    params = request.GET.copy()
    links = {}
    if page > 1:
        params["page"] = str(page - 1)
        links["previous"] = "?" + params.urlencode()
    if has_next and page < MAX_PAGE:
        params["page"] = str(page + 1)
        links["next"] = "?" + params.urlencode()
    return links


@member_required
@require_GET
def record_list(request: MemberRequest) -> HttpResponse:
    """GET /records/: the search form and the results; an htmx request gets the table only."""
    from accord.intel.services import SearchError, search_records

    ctx = working_context(request)
    denied = content_access(request.user, ctx.purpose)
    form = SearchForm(request.GET or None)
    results: Any = None
    links: dict[str, str] = {}
    problem = ""
    if not denied and (form.is_valid() or not request.GET):
        data = form.cleaned_data if request.GET else {}
        page = data.get("page") or 1
        try:
            results = search_records(
                request.user,
                _query(data),
                purpose=ctx.purpose,
                case=ctx.case,
                page=page,
                per_page=PER_PAGE,
            )
        except SearchError as exc:
            problem = str(exc)
        else:
            links = _page_links(request, page, results.has_next)
    context = {
        "form": form,
        "results": results,
        "links": links,
        "denied": denied,
        "problem": problem,
        "can_create": request.user.can("record.create"),
        "can_share": request.user.can("record.share"),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "accord/records/_results.html" if partial else "accord/records/list.html"
    return render(request, template, context)


def _content_page(
    view: Callable[Concatenate[MemberRequest, _P], HttpResponse],
) -> Callable[Concatenate[MemberRequest, _P], HttpResponse]:
    """A page of one record's content: when the user may not read record content under the
    session's purpose (:func:`content_access`), the 403 page that says why instead."""

    @wraps(view)
    def page(request: MemberRequest, *args: _P.args, **kwargs: _P.kwargs) -> HttpResponse:
        denied = content_access(request.user, working_context(request).purpose)
        if denied:
            return render(request, "accord/denied.html", {"denied": denied}, status=403)
        return view(request, *args, **kwargs)

    return page


def _read(request: MemberRequest, stix_id: str) -> Record:
    from accord.intel.services import RecordNotFound, get_record

    ctx = working_context(request)
    try:
        return get_record(request.user, stix_id, purpose=ctx.purpose, case=ctx.case)
    except RecordNotFound:
        raise Http404("no such record, or not visible to you") from None


def _related(request: MemberRequest, stix_id: str) -> list[dict[str, Any]]:
    """Relationships and sightings that point at ``stix_id`` and that the user may see,
    with the record at their other end (when visible too): restricted and audited."""
    from accord.intel.services import related_records

    ctx = working_context(request)
    return related_records(request.user, stix_id, purpose=ctx.purpose, case=ctx.case)


def _banner(record: Record) -> MarkingBanner:
    marks = list(record.marking_rows.values_list("kind", "value"))
    return marking_banner(
        record.tlp,
        record.handling_code,
        sorted(v for k, v in marks if k == "release"),
        sorted(v for k, v in marks if k == "purpose"),
    )


@member_required
@require_GET
@_content_page
def record_detail(request: MemberRequest, stix_id: str) -> HttpResponse:
    """GET /records/<id>/: markings banner, person details, relationships, versions, JSON."""
    from accord.intel.services import record_versions

    ctx = working_context(request)
    record = _read(request, stix_id)
    obj = json.loads(record.data)
    versions = record_versions(request.user, stix_id, purpose=ctx.purpose, case=ctx.case)
    return render(
        request,
        "accord/records/detail.html",
        {
            "record": record,
            "obj": obj,
            "banner": _banner(record),
            "person": person_view(obj),
            "related": _related(request, stix_id),
            "versions": list(reversed(versions)),
            "raw_json": pretty_json(obj),
            "back": "/records/?" + urlencode({"q": record.display_name}),
        },
    )


@member_required
@require_GET
@_content_page
def record_history(request: MemberRequest, stix_id: str) -> HttpResponse:
    """GET /records/<id>/history/: every version's JSON and what changed between them."""
    from accord.intel.services import record_versions

    ctx = working_context(request)
    record = _read(request, stix_id)
    versions = record_versions(request.user, stix_id, purpose=ctx.purpose, case=ctx.case)
    return render(
        request,
        "accord/records/history.html",
        {
            "record": record,
            "banner": _banner(record),
            "versions": list(reversed(version_views(list(versions)))),
        },
    )


# --------------------------------------------------------------------------------------------
# Imports


def _upload_source(upload: UploadedFile[Any]) -> bytes | str:
    """What ``start_import`` reads: the bytes of a small upload, or the path of a large one
    (Django has already streamed it to a temporary file under the data directory)."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path()
    return upload.read()


def _detect(upload: UploadedFile[Any]) -> str | None:
    """The format of an upload, from its first 64 KiB (None when it cannot be told)."""
    from accord.engine.imports.files import detect_format

    upload.seek(0)
    head = upload.read(1 << 16)
    upload.seek(0)
    return detect_format(head)


@member_required
@require_http_methods(["GET", "POST"])
def import_new(request: MemberRequest) -> HttpResponse:
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


def _job_context(job: ImportJob) -> dict[str, Any]:
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


def _finished(job: ImportJob) -> bool:
    return job.status in ("done", "failed")


@member_required
@require_GET
def import_detail(request: MemberRequest, pk: int) -> HttpResponse:
    """GET /imports/<pk>/: progress while the import runs, then its report."""
    from accord.intel.models import ImportJob

    job = get_object_or_404(ImportJob, pk=pk, user=request.user)
    return render(request, "accord/imports/detail.html", _job_context(job))


@member_required
@require_GET
def import_progress(request: MemberRequest, pk: int) -> HttpResponse:
    """GET /imports/<pk>/progress/: the partial that htmx polls every second until done."""
    from accord.intel.models import ImportJob

    job = get_object_or_404(ImportJob, pk=pk, user=request.user)
    return render(request, "accord/imports/_progress.html", _job_context(job))
