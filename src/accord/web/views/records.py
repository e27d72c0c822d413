"""Records: search and list, one record's page, its version history.

Every read goes through ``accord.intel.services`` with the session's purpose and case, so that it
is restricted by role, agency, case and markings and written to the audit trail.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accord.web.access import content_access, member_required, working_context
from accord.web.forms import SearchForm
from accord.web.presenters import marking_banner, person_view, pretty_json, version_views

__all__ = ["record_detail", "record_history", "record_list"]

PER_PAGE = 25


def _query(data: dict[str, Any]) -> Any:
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
def record_list(request: HttpRequest) -> HttpResponse:
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


def _read(request: HttpRequest, stix_id: str) -> Any:
    from accord.intel.services import RecordNotFound, get_record

    ctx = working_context(request)
    try:
        return get_record(request.user, stix_id, purpose=ctx.purpose, case=ctx.case)
    except RecordNotFound:
        raise Http404("no such record, or not visible to you") from None


def _related(request: HttpRequest, stix_id: str) -> list[dict[str, Any]]:
    """Relationships and sightings that point at ``stix_id`` and that the user may see,
    with the record at their other end (when visible too): restricted and audited."""
    from accord.intel.services import related_records

    ctx = working_context(request)
    return related_records(request.user, stix_id, purpose=ctx.purpose, case=ctx.case)


def _banner(record: Any) -> Any:
    marks = list(record.marking_rows.values_list("kind", "value"))
    return marking_banner(
        record.tlp,
        record.handling_code,
        sorted(v for k, v in marks if k == "release"),
        sorted(v for k, v in marks if k == "purpose"),
    )


@member_required
@require_GET
def record_detail(request: HttpRequest, stix_id: str) -> HttpResponse:
    """GET /records/<id>/: markings banner, person details, relationships, versions, JSON."""
    from accord.intel.services import record_versions

    ctx = working_context(request)
    denied = content_access(request.user, ctx.purpose)
    if denied:
        return render(request, "accord/denied.html", {"denied": denied}, status=403)
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
def record_history(request: HttpRequest, stix_id: str) -> HttpResponse:
    """GET /records/<id>/history/: every version's JSON and what changed between them."""
    from accord.intel.services import record_versions

    ctx = working_context(request)
    denied = content_access(request.user, ctx.purpose)
    if denied:
        return render(request, "accord/denied.html", {"denied": denied}, status=403)
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
