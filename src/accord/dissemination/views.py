"""Dissemination pages: share a record (form, preview of each recipient's decision, send), the
disseminations list with delivery status, the supervisors' approval queue. Every action goes
through :mod:`accord.dissemination.services`. Also: revoke a record this node originated (or
order its deletion) with a confirm step, and the liaison officer's page of incoming consent
requests (onward sharing)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from accord.dissemination.forms import (
    ApprovalForm,
    ConsentAnswerForm,
    PersonRecordForm,
    RevokeForm,
    ShareForm,
)
from accord.dissemination.models import ApprovalRequest, ConsentRequest, Dissemination
from accord.dissemination.services import (
    UNSIGNABLE_CODE,
    DisseminationError,
    answer_consent,
    can_approve,
    decide_approval,
    preview,
    revoke,
    share,
)
from accord.http.access import member_required, working_context
from accord.http.requests import MemberRequest
from accord.oversight.services import Outcome, audit

__all__ = [
    "approvals",
    "consents",
    "dissemination_detail",
    "dissemination_list",
    "person_new",
    "revoke_record",
    "share_new",
]


@member_required
@require_http_methods(["GET", "POST"])
def share_new(request: MemberRequest) -> HttpResponse:
    """GET/POST /disseminations/new/?record=<id>[&record=<id>...]: the share form for one or
    more records. "add" checks pasted record ids and adds them to the list; "preview" shows,
    per record, each recipient's decision and reasons (nothing is sent); "send" shares.

    Every record id is read through the restricted record service: an id the analyst may not
    see is refused next to the field with the message of a missing one."""
    from accord.intel.services import RecordNotFound

    ctx = working_context(request)
    if not request.user.can("record.share"):
        raise PermissionDenied
    form = ShareForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        purpose=ctx.purpose,
        records=request.GET.getlist("record"),
    )
    groups = None
    action = request.POST.get("action", "preview")
    if request.method == "GET":
        form.check_linked()
    elif form.is_valid():
        data = form.cleaned_data
        form.merge_added()
        args = (request.user, data["all_records"], data["recipients"], data["purpose"])
        try:
            if action == "send":
                d = share(*args, assurance_reference=data["assurance_reference"])
                messages.success(request, "Shared: each recipient's outcome is below.")
                return redirect("web:dissemination:detail", pk=d.pk)
            if action == "preview":
                decided = preview(*args, assurance_reference=data["assurance_reference"])
                groups = _by_record(form.selected(), decided)
        except RecordNotFound as exc:
            # Visible under the working purpose (checked above), not under the disclosure's.
            form.add_error(
                "purpose",
                f"The record {exc} may not be used for this purpose (its markings restrict it "
                "to other purposes): leave it out or choose another purpose.",
            )
        except DisseminationError as exc:
            form.add_error(None, str(exc))
    # A send refused is a 400; adding ids or previewing re-shows the form to go on working.
    status = 400 if request.method == "POST" and action == "send" and form.errors else 200
    return render(
        request,
        "dissemination/share.html",
        {"form": form, "groups": groups, "working": ctx},
        status=status,
    )


def _by_record(records: list[Any], decided: list[Any]) -> list[dict[str, Any]]:
    """The preview's decisions grouped per record, each row with the recipient peer (for its
    name and jurisdiction), and the blocking reason of a record this node cannot sign (shown
    once above its table: it holds for every recipient)."""
    from accord.federation.models import Peer

    peers = {p.node_id: p for p in Peer.objects.filter(node_id__in={d.recipient for d in decided})}
    groups = []
    for record in records:
        rows = [
            {**d.to_dict(), "peer": peers.get(d.recipient)}
            for d in decided
            if d.record == record.stix_id
        ]
        groups.append(
            {
                "record": record,
                "rows": rows,
                "blocked": [
                    r for row in rows for r in row["reasons"] if r["code"] == UNSIGNABLE_CODE
                ][:1],
            }
        )
    return groups


@member_required
@require_http_methods(["GET", "POST"])
def person_new(request: MemberRequest) -> HttpResponse:
    """GET/POST /disseminations/person/new/: record a person of interest on this node (names,
    birth date, nationality, passport, TLP, handling code, purposes), then go on to share it.
    The object is stored through the validated, audited import path; a refusal is shown next
    to the field it concerns, with everything typed kept."""
    from accord.dissemination.person_records import PersonEntry, record_person
    from accord.intel.services import RecordRefused

    if not request.user.can("record.create"):
        raise PermissionDenied
    ctx = working_context(request)
    form = PersonRecordForm(request.POST or None, initial={"purposes": [ctx.purpose]})
    if request.method == "POST" and not form.is_valid():
        # Refused input is audited (which fields, not what was typed: it may be personal data).
        audit(
            request.user,
            "record.create",
            purpose=ctx.purpose,
            outcome=Outcome.REFUSED,
            detail={"what": "person form", "fields": sorted(form.errors)},
        )
    elif request.method == "POST":
        data = form.cleaned_data
        entry = PersonEntry(
            name=data["name"].strip(),
            tlp=data["tlp"],
            handling_code=data["handling_code"],
            purposes=tuple(data["purposes"]),
            other_name=data["other_name"].strip(),
            other_script=data["other_script"],
            aliases=tuple(data["aliases"]),
            birth_date=data["birth_date"],
            nationality=data["nationality"],
            passport_number=data["passport_number"].strip(),
            passport_country=data["passport_country"],
        )
        try:
            record = record_person(request.user, entry, purpose=ctx.purpose)
        except RecordRefused as exc:
            for refusal in exc.refusals:
                form.add_error(None, f"Not stored: {refusal.path or 'record'}: {refusal.message}")
        except DisseminationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Recorded {record.display_name}. Choose the recipients to share it."
            )
            share_url = reverse("web:dissemination:new")
            return redirect(f"{share_url}?{urlencode({'record': record.stix_id})}")
    return render(request, "dissemination/person_new.html", {"form": form, "working": ctx})


@member_required
@require_GET
def dissemination_list(request: MemberRequest) -> HttpResponse:
    """GET /disseminations/: the user's disseminations (all of them for supervisors)."""
    rows = Dissemination.objects.select_related("requested_by")
    if not can_approve(request.user):
        rows = rows.filter(requested_by=request.user)
    return render(request, "dissemination/list.html", {"rows": rows[:200]})


@member_required
@require_GET
def dissemination_detail(request: MemberRequest, pk: str) -> HttpResponse:
    import uuid

    try:
        key = uuid.UUID(pk)
    except ValueError as exc:
        raise Http404 from exc
    # Its requester, supervisors and the oversight officer (as the API answers).
    d = get_object_or_404(Dissemination.objects.restrict(request.user), pk=key)
    entries = list(d.entries.select_related("peer", "outbox_item"))
    names = _visible_names(request, [e.stix_id for e in entries])
    return render(
        request, "dissemination/detail.html", {"d": d, "entries": entries, "names": names}
    )


def _visible_names(request: HttpRequest, stix_ids: list[str]) -> dict[str, str]:
    """The display names of those records that the user may see under the working purpose
    (the restricted queryset, as everywhere): a supervisor who may not see a record sees its
    id only, never its name."""
    from accord.intel.models import Record

    purpose = working_context(request).purpose
    rows = Record.objects.restrict(request.user, purpose=purpose).filter(stix_id__in=stix_ids)
    return {sid: name for sid, name in rows.values_list("stix_id", "display_name") if name}


@member_required
@require_http_methods(["GET", "POST"])
def approvals(request: MemberRequest) -> HttpResponse:
    """GET/POST /disseminations/approvals/: the supervisors' queue (four-eyes)."""
    if not can_approve(request.user):
        raise PermissionDenied
    if request.method == "POST":
        approval = get_object_or_404(ApprovalRequest, pk=request.POST.get("approval"))
        form = ApprovalForm(request.POST)
        if form.is_valid():
            try:
                decide_approval(
                    request.user,
                    approval,
                    approve=form.cleaned_data["decision"] == "approve",
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, "Decision recorded.")
            except (PermissionDenied, DisseminationError) as exc:
                messages.error(request, str(exc) or "not allowed")
        return redirect("web:dissemination:approvals")
    pending = list(
        ApprovalRequest.objects.filter(status="pending").select_related(
            "entry", "entry__peer", "entry__dissemination__requested_by"
        )
    )
    names = _visible_names(request, [a.entry.stix_id for a in pending])
    return render(
        request,
        "dissemination/approvals.html",
        {"pending": pending, "form": ApprovalForm(), "names": names},
    )


@member_required
@require_http_methods(["GET", "POST"])
def revoke_record(request: MemberRequest) -> HttpResponse:
    """GET/POST /disseminations/revoke/?record=<id>&action=revoke|delete: the confirm step,
    then the originator's revocation (or deletion order) to every recipient."""
    from accord.intel.services import RecordNotFound, get_record

    stix_id = request.GET.get("record", "")
    ctx = working_context(request)
    if not request.user.can("record.revoke"):
        raise PermissionDenied
    try:
        record = get_record(request.user, stix_id, purpose=ctx.purpose, case=ctx.case)
    except RecordNotFound as exc:
        raise Http404("no such record") from exc
    initial = {"action": "delete" if request.GET.get("action") == "delete" else "revoke"}
    form = RevokeForm(request.POST or None, initial=initial)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        delete = form.cleaned_data["action"] == "delete"
        try:
            orders = revoke(
                request.user,
                stix_id,
                purpose=ctx.purpose,
                delete=delete,
                reason=form.cleaned_data["reason"],
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or "not allowed")
            status = 403
        except (DisseminationError, RecordNotFound) as exc:
            form.add_error(None, str(exc) or "not allowed")
        else:
            told = ", ".join(o.peer.node_id for o in orders) or "no recipient"
            what = "Revoked and deletion ordered" if delete else "Revoked"
            messages.success(request, f"{what}; told: {told}.")
            return redirect("web:record", stix_id=stix_id)
    return render(
        request, "dissemination/revoke.html", {"record": record, "form": form}, status=status
    )


@member_required
@require_http_methods(["GET", "POST"])
def consents(request: MemberRequest) -> HttpResponse:
    """GET/POST /disseminations/consents/: the liaison officer's incoming consent requests
    (recipients asking to pass this node's records on), answered grant or refuse with a
    reason."""
    if not request.user.can("consent.answer"):
        raise PermissionDenied
    if request.method == "POST":
        consent = get_object_or_404(ConsentRequest, pk=request.POST.get("consent"), direction="in")
        form = ConsentAnswerForm(request.POST)
        if form.is_valid():
            try:
                answer_consent(
                    request.user,
                    consent,
                    grant=form.cleaned_data["decision"] == "grant",
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, "Answer recorded; it is sent to the requester.")
            except (PermissionDenied, DisseminationError) as exc:
                messages.error(request, str(exc) or "not allowed")
        else:
            messages.error(request, "Choose grant or refuse and give a reason.")
        return redirect("web:dissemination:consents")
    rows = ConsentRequest.objects.filter(direction="in").select_related("peer")
    return render(
        request,
        "dissemination/consents.html",
        {
            "pending": rows.filter(status="pending"),
            "answered": rows.exclude(status="pending")[:50],
            "form": ConsentAnswerForm(),
        },
    )
