"""The legal officer's pages, mounted at ``/legal/``: jurisdiction profiles (list, history, edit),
agreements (list, history with the Cedar policies generated from each, new agreement, new
version), contradictions between agreements in force, and every policy the node evaluates.

Who: the legal officer (``profile.manage``, ``agreement.manage``) reads and edits; the oversight
officer (``audit.view``) reads; every other role gets 403 (deny by default). Every write goes
through :mod:`accord.agreement.services`, which checks the role again, audits the change or the
refusal and stores nothing that is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accord.agreement import services
from accord.agreement.forms import (
    DEATH_PENALTY_LABELS,
    AgreementForm,
    NewProfileForm,
    ProfileForm,
)
from accord.engine.policy.agreements import AgreementError
from accord.engine.policy.cedar import build_policies
from accord.engine.policy.profiles import CT_INSTRUMENTS, ProfileError
from accord.http.access import member_required
from accord.http.requests import MemberRequest

if TYPE_CHECKING:
    from accord.agreement.models import AgreementVersion
    from accord.engine.policy.profiles import JurisdictionProfile

__all__ = [
    "READ_PERMISSIONS",
    "agreement_detail",
    "agreement_list",
    "agreement_new",
    "agreement_schema",
    "agreement_version_new",
    "policy_text",
    "profile_detail",
    "profile_edit",
    "profile_list",
    "profile_new",
]

#: Who may read these pages: the legal officer, and the oversight officer (audit.view).
READ_PERMISSIONS = ("agreement.manage", "profile.manage", "audit.view")


def _require_reader(request: MemberRequest) -> None:
    if not any(request.user.can(p) for p in READ_PERMISSIONS):
        raise PermissionDenied("only the legal officer and oversight read agreements and profiles")


def _require_editor(request: MemberRequest, permission: str, action: str) -> None:
    """Only the legal officer edits; a refused POST is audited as denied by the service."""
    if request.method == "POST":
        services.check_permission(request.user, permission, action)
    elif not request.user.can(permission):
        raise PermissionDenied("only the legal officer edits agreements and profiles")


def _base(request: MemberRequest, **extra: Any) -> dict[str, Any]:
    return {
        "can_edit_profiles": request.user.can("profile.manage"),
        "can_edit_agreements": request.user.can("agreement.manage"),
        **extra,
    }


# -- jurisdiction profiles ---------------------------------------------------------------------


def _profile_row(profile: JurisdictionProfile, version: int, stored: bool) -> dict[str, Any]:
    return {
        "profile": profile,
        "death_penalty": DEATH_PENALTY_LABELS.get(profile.death_penalty, profile.death_penalty),
        "torture_risk": profile.torture_risk,
        "instruments": len(profile.ct_instruments),
        "version": version,
        "stored": stored,
    }


@member_required
@require_GET
def profile_list(request: MemberRequest) -> HttpResponse:
    """GET /legal/profiles/: every jurisdiction the engine knows, with its current death-penalty
    status, instruments, torture risk and version (shipped defaults show as version 1)."""
    from accord.agreement.models import JurisdictionProfileRecord

    _require_reader(request)
    latest: dict[str, int] = {}
    for code, version in JurisdictionProfileRecord.objects.values_list("code", "version"):
        latest[code] = max(version, latest.get(code, 0))
    profiles = services.current_profiles()
    rows = [
        _profile_row(p, latest.get(code, 1), code in latest)
        for code, p in sorted(profiles.profiles.items())
    ]
    partnerships = sorted((k, sorted(v)) for k, v in profiles.partnerships.items())
    return render(
        request,
        "agreement/profile_list.html",
        _base(
            request,
            rows=rows,
            partnerships=partnerships,
            instrument_count=len(CT_INSTRUMENTS),
        ),
    )


def _current_profile(code: str) -> JurisdictionProfile:
    profile = services.current_profiles().get(code)
    if profile is None:
        raise Http404("no profile for this jurisdiction")
    return profile


@member_required
@require_GET
def profile_detail(request: MemberRequest, code: str) -> HttpResponse:
    """GET /legal/profiles/<code>/: the current profile and every version (who, when, why,
    what changed)."""
    _require_reader(request)
    profile = _current_profile(code)
    return render(
        request,
        "agreement/profile_detail.html",
        _base(
            request,
            profile=profile,
            death_penalty=DEATH_PENALTY_LABELS.get(profile.death_penalty, profile.death_penalty),
            instruments=[(k, CT_INSTRUMENTS[k]) for k in sorted(profile.ct_instruments)],
            history=services.profile_history(code),
        ),
    )


def _save_profile(
    request: MemberRequest, form: ProfileForm, code: str, expected_version: int
) -> Any:
    """Store the form's profile of ``code`` as the version after ``expected_version``
    (``update_profile``, which audits it, or its refusal); the stored row, or None when it was
    refused, the refusal then shown on the form."""
    try:
        return services.update_profile(
            request.user,
            form.profile_data(code),
            note=form.cleaned_data["change_note"],
            expected_version=expected_version,
        )
    except ProfileError as exc:
        form.add_profile_error(str(exc))
        return None


def _profile_form(
    request: MemberRequest, form: ProfileForm, profile: JurisdictionProfile | None
) -> HttpResponse:
    """The profile form (``profile`` None: a new one); after a POST that stored nothing, with
    its errors and status 400."""
    return render(
        request,
        "agreement/profile_form.html",
        _base(request, profile=profile, form=form),
        status=400 if request.method == "POST" else 200,
    )


@member_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: MemberRequest, code: str) -> HttpResponse:
    """GET/POST /legal/profiles/<code>/edit/: the legal officer's form; a valid one stores a
    new version (``update_profile``), an invalid one shows each error next to its field, is
    audited and stores nothing."""
    _require_editor(request, "profile.manage", "profile.update")
    profile = _current_profile(code)
    version = services.profile_history(code)[0].version
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_from(profile, version))
    if request.method == "POST":
        if form.is_valid():
            row = _save_profile(request, form, code, form.cleaned_data["based_on"])
            if row is not None:
                messages.success(request, f"Profile {code} saved as version {row.version}.")
                return redirect("web:legal:profile", code=code)
            form.rebase(version)
        else:
            services.refuse_form(request.user, "profile.update", code, form.errors.get_json_data())
    return _profile_form(request, form, profile)


@member_required
@require_http_methods(["GET", "POST"])
def profile_new(request: MemberRequest) -> HttpResponse:
    """GET/POST /legal/profiles/new/: a profile for a jurisdiction without one (an agreement may
    name only jurisdictions with a profile); stored as its version 1, audited."""
    _require_editor(request, "profile.manage", "profile.update")
    form = NewProfileForm(
        request.POST or None,
        initial={"based_on": 0, "death_penalty": "abolitionist", "torture_risk": "elevated"},
    )
    if request.method == "POST":
        code = str(request.POST.get("code", ""))[:16]
        if form.is_valid():
            code = form.cleaned_data["code"]
            if services.current_profiles().get(code) is not None:
                error = f"$.code: {code} has a profile already; edit it from its page"
                services.refuse_form(request.user, "profile.update", code, {"code": error})
                form.add_profile_error(error)
            elif _save_profile(request, form, code, 0) is not None:
                messages.success(request, f"Profile {code} saved as version 1.")
                return redirect("web:legal:profile", code=code)
        else:
            services.refuse_form(request.user, "profile.update", code, form.errors.get_json_data())
    return _profile_form(request, form, None)


# -- agreements ------------------------------------------------------------------------------


def _latest_rows() -> dict[str, Any]:
    from accord.agreement.models import AgreementVersion

    latest: dict[str, Any] = {}
    for row in AgreementVersion.objects.order_by("agreement_id", "-version"):
        latest.setdefault(row.agreement_id, row)
    return latest


@member_required
@require_GET
def agreement_list(request: MemberRequest) -> HttpResponse:
    """GET /legal/ and /legal/agreements/: every agreement's current version (status, parties,
    dates, mode) and the contradictions between agreements in force."""
    from datetime import date

    _require_reader(request)
    today = date.today()
    agreements = {a.id: a for a in services.current_agreements()}
    rows = [
        {
            "row": row,
            "agreement": agreements[aid],
            "in_force_today": agreements[aid].in_force_on(today),
        }
        for aid, row in sorted(_latest_rows().items())
    ]
    return render(
        request,
        "agreement/agreement_list.html",
        _base(request, rows=rows, contradictions=services.contradictions(), today=today),
    )


@member_required
@require_GET
def agreement_detail(request: MemberRequest, agreement_id: str) -> HttpResponse:
    """GET /legal/agreements/<id>/: the current version, the Cedar policies generated from it,
    its contradictions with other agreements and every earlier version."""
    from datetime import date

    _require_reader(request)
    history = services.agreement_history(agreement_id)
    if not history:
        raise Http404("no such agreement")
    agreement = next(a for a in services.current_agreements() if a.id == agreement_id)
    _, metas = build_policies([agreement], services.current_profiles())
    policies = "\n\n".join(m.text for m in metas if m.agreement_id == agreement_id)
    return render(
        request,
        "agreement/agreement_detail.html",
        _base(
            request,
            agreement=agreement,
            history=history,
            policies=policies,
            in_force_today=agreement.in_force_on(date.today()),
            profile_codes=set(services.current_profiles().profiles),
            categories=sorted(agreement.data_categories),
            purposes=sorted(agreement.permitted_purposes),
            contradictions=[c for c in services.contradictions() if c.involves(agreement_id)],
        ),
    )


def _save(
    request: MemberRequest, form: AgreementForm, *, expected_id: str | None, new: bool
) -> tuple[AgreementVersion | None, str]:
    """Save the form's agreement; (row, "") or (None, the path of the error)."""
    try:
        row = services.save_agreement_text(
            request.user, form.cleaned_data["text"], expected_id=expected_id, new=new
        )
    except AgreementError as exc:
        form.add_error("text", f"{exc.path}: {exc.message}")
        return None, exc.path
    return row, ""


def _saved(request: MemberRequest, row: AgreementVersion) -> HttpResponse:
    clashes = [c for c in services.contradictions() if c.involves(row.agreement_id)]
    messages.success(request, f"Agreement {row.agreement_id} saved as version {row.version}.")
    for c in clashes:
        messages.warning(request, "Contradiction: " + c.summary())
    return redirect("web:legal:agreement", agreement_id=row.agreement_id)


def _agreement_form_page(
    request: MemberRequest, *, agreement_id: str | None, initial_text: str
) -> HttpResponse:
    form = AgreementForm(
        request.POST or None, request.FILES or None, initial={"text": initial_text}
    )
    error_path = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            row, error_path = _save(
                request, form, expected_id=agreement_id, new=agreement_id is None
            )
            if row is not None:
                return _saved(request, row)
        else:
            services.refuse_form(
                request.user, "agreement.save", agreement_id or "", form.errors.get_json_data()
            )
        status = 400
    return render(
        request,
        "agreement/agreement_form.html",
        _base(request, form=form, agreement_id=agreement_id, error_path=error_path),
        status=status,
    )


_TEMPLATE = {
    "id": "",
    "version": 1,
    "title": "",
    "type": "bilateral_memorandum",
    "parties": [],
    "in_force": {"from": "", "until": None},
    "status": "in_force",
    "data_categories": ["persons"],
    "permitted_purposes": ["counter-terrorism"],
    "sharing_mode": "full",
    "onward_transfer": "with_consent",
    "max_retention_days": 730,
    "conditions": {"supervisor_approval": False, "assurance_reference_required": False},
    "clauses": {"scope": "", "sharing_mode": "", "onward_transfer": "", "duration": ""},
}


@member_required
@require_http_methods(["GET", "POST"])
def agreement_new(request: MemberRequest) -> HttpResponse:
    """GET/POST /legal/new-agreement/: a new agreement from its JSON (typed or uploaded)."""
    import json

    _require_editor(request, "agreement.manage", "agreement.save")
    return _agreement_form_page(
        request, agreement_id=None, initial_text=json.dumps(_TEMPLATE, indent=2)
    )


@member_required
@require_http_methods(["GET", "POST"])
def agreement_version_new(request: MemberRequest, agreement_id: str) -> HttpResponse:
    """GET/POST /legal/agreements/<id>/new-version/: the current JSON with the next version
    number, to edit and save (or a file to upload)."""
    import json

    _require_editor(request, "agreement.manage", "agreement.save")
    history = services.agreement_history(agreement_id)
    if not history:
        raise Http404("no such agreement")
    data = {**history[0].data, "version": history[0].version + 1}
    return _agreement_form_page(
        request,
        agreement_id=agreement_id,
        initial_text=json.dumps(data, indent=2, ensure_ascii=False),
    )


@member_required
@require_GET
def policy_text(request: MemberRequest) -> HttpResponse:
    """GET /legal/policies/: every Cedar policy the node evaluates now (markings, safeguards,
    agreements), as ``accord agreement policies`` prints it."""
    _require_reader(request)
    engine = services.policy_engine()
    return render(
        request,
        "agreement/policies.html",
        _base(request, text=engine.policy_text, version=engine.version),
    )


@member_required
@require_GET
def agreement_schema(request: MemberRequest) -> HttpResponse:
    """GET /legal/agreement.schema.json: the JSON Schema every agreement is checked against
    (the same as docs/schemas/agreement.schema.json)."""
    from accord.engine.policy.agreements import AGREEMENT_SCHEMA

    _require_reader(request)
    return JsonResponse(AGREEMENT_SCHEMA, json_dumps_params={"indent": 2})
