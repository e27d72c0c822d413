"""Agreement and profile services. Every write checks the role, runs in a transaction and writes
its audit entry; a refused write is audited and stores nothing.

- ``load_default_profiles(user) -> int``: the shipped profiles, for jurisdictions not yet held.
- ``update_profile(user, data, note="") -> JurisdictionProfileRecord``: a new profile version.
- ``save_agreement(user, data) -> AgreementVersion``: a new agreement version from its JSON.
- ``save_agreement_text(user, text, expected_id=None, new=False)``: the same from the text of
  a JSON file (the web form), a syntax error refused with its line and column.
- ``current_profiles()``, ``current_agreements()``, ``policy_engine()``: what the policy engine
  decides with now (the latest version of each; the engine is rebuilt when any of them changes).
- ``contradictions()``: agreements in force that overlap and disagree (the stricter one wins).
- ``profile_history(code)``, ``agreement_history(agreement_id)``: every version, newest first,
  with what changed (the shipped profile counts as version 1 until it is first edited).

Only the legal officer (``agreement.manage``, ``profile.manage``) edits; ``user=None`` is the
node's operator at the command line (audited as the system actor).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max

from accord.accounts.choices import role_can
from accord.agreement.models import AgreementVersion, JurisdictionProfileRecord
from accord.engine.policy.agreements import Agreement, AgreementError, load_agreement
from accord.engine.policy.contradictions import Contradiction, find_contradictions
from accord.engine.policy.engine import PolicyEngine
from accord.engine.policy.profiles import (
    ProfileError,
    ProfileSet,
    default_profiles,
    profile_from_dict,
)
from accord.oversight.services import Outcome, audit

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.engine.policy.profiles import JurisdictionProfile

__all__ = [
    "SHIPPED_NOTE",
    "AgreementError",
    "Change",
    "Contradiction",
    "ProfileError",
    "VersionView",
    "agreement_history",
    "check_permission",
    "contradictions",
    "current_agreements",
    "current_profiles",
    "load_default_profiles",
    "policy_engine",
    "profile_history",
    "refuse_form",
    "save_agreement",
    "save_agreement_text",
    "update_profile",
]

#: The note of a shipped profile stored as version 1 (by ``load_default_profiles`` or before the
#: first edit of a jurisdiction that had none stored).
SHIPPED_NOTE = "shipped default"


def _allowed(user: User | None, permission: str, action: str) -> None:
    if user is None:
        return
    if not role_can(getattr(user, "role", ""), permission):
        audit(user, action, outcome=Outcome.DENIED, detail={"permission": permission})
        raise PermissionDenied(f"only the legal officer may do this ({permission})")


def check_permission(user: User | None, permission: str, action: str) -> None:
    """Refuse (``PermissionDenied``, audited as denied ``action``) a user whose role lacks
    ``permission``: for a page that must refuse before it calls the service (deny by
    default)."""
    _allowed(user, permission, action)


def refuse_form(user: User | None, action: str, object_id: str, errors: dict[str, Any]) -> None:
    """Audit a form refused before the service was reached (``profile.update`` without a change
    note or with a value outside the lists, ``agreement.save`` with no text or a file that is
    not UTF-8): bad input is recorded even though nothing is stored."""
    audit(
        user,
        action,
        object_ids=[object_id] if object_id else [],
        outcome=Outcome.REFUSED,
        detail={"errors": errors},
    )


def load_default_profiles(user: User | None = None) -> int:
    """Store the shipped profiles (``accord/engine/policy/data/profiles.json``) as version 1 of
    every jurisdiction that has none yet; returns how many were stored.

    Legal effect: sets the initial death-penalty, treaty and torture-risk assessment that the
    human-rights safeguards apply, for the legal officer to review (Directive (EU) 2016/680
    Art 35: assessment before a third-country transfer).
    """
    _allowed(user, "profile.manage", "profile.load")
    actor = getattr(user, "username", "system")
    with transaction.atomic():
        held = set(JurisdictionProfileRecord.objects.values_list("code", flat=True))
        new = [p for code, p in sorted(default_profiles().profiles.items()) if code not in held]
        JurisdictionProfileRecord.objects.bulk_create(
            JurisdictionProfileRecord(
                code=p.code, version=1, data=p.to_dict(), changed_by=actor, note="shipped default"
            )
            for p in new
        )
        audit(user, "profile.load", object_ids=[p.code for p in new], detail={"count": len(new)})
    return len(new)


class _Conflict(ProfileError):
    """The profile changed after the editor opened it (refused; the caller reviews it)."""


def update_profile(
    user: User | None, data: dict[str, Any], note: str = "", *, expected_version: int | None = None
) -> JurisdictionProfileRecord:
    """Store a new version of one jurisdiction's profile.

    Legal effect: changes what the safeguards require for every later disclosure to that
    jurisdiction (e.g. a raised torture risk makes disclosures of personal data wait for a
    supervisor's approval and an assurance reference).

    A jurisdiction whose shipped profile was never stored gets it stored first as version 1
    (note ``shipped default``), so the edit becomes version 2 and the history is complete.

    ``expected_version`` (from a page): the version the editor started from; if another version
    was saved since, the edit is refused (``$.version``, audited) rather than silently replacing
    a change the editor has not seen. A save that changes no field is kept (a recorded review).
    """
    _allowed(user, "profile.manage", "profile.update")
    try:
        profile = profile_from_dict(data)
    except ProfileError as exc:
        code = data.get("code") if isinstance(data, dict) else None
        audit(
            user,
            "profile.update",
            object_ids=[code] if isinstance(code, str) and code else [],
            outcome=Outcome.REFUSED,
            detail={"error": str(exc)},
        )
        raise
    try:
        return _store_profile(user, profile, note, expected_version)
    except _Conflict as exc:
        audit(
            user,
            "profile.update",
            object_ids=[profile.code],
            outcome=Outcome.REFUSED,
            detail={"error": str(exc)},
        )
        raise


def _store_profile(
    user: User | None, profile: JurisdictionProfile, note: str, expected_version: int | None
) -> JurisdictionProfileRecord:
    with transaction.atomic():
        latest = (
            JurisdictionProfileRecord.objects.select_for_update()
            .filter(code=profile.code)
            .order_by("-version")
            .first()
        )
        shipped = default_profiles().get(profile.code)
        current = latest.version if latest else (1 if shipped is not None else 0)
        if expected_version is not None and expected_version != current:
            by = latest.changed_by if latest else "system"
            raise _Conflict(
                f"$.version: the profile changed after you opened it: version {current} by "
                f"{by} is now current; read it in the history, then save again"
            )
        if latest is None and shipped is not None:
            # Before this first stored edit the engine decided with the shipped profile: keep
            # it as version 1 so that the history shows what the legal officer changed.
            latest = JurisdictionProfileRecord.objects.create(
                code=profile.code,
                version=1,
                data=shipped.to_dict(),
                changed_by="system",
                note=SHIPPED_NOTE,
            )
        before = latest.data if latest else {}
        row = JurisdictionProfileRecord.objects.create(
            code=profile.code,
            version=(latest.version + 1) if latest else 1,
            data=profile.to_dict(),
            changed_by=getattr(user, "username", "system"),
            note=note,
        )
        changed = sorted(k for k, v in profile.to_dict().items() if before.get(k) != v)
        audit(
            user,
            "profile.update",
            object_ids=[profile.code],
            detail={"version": row.version, "changed": changed, "note": note},
        )
    return row


def _refuse_agreement(user: User | None, data: Any, exc: AgreementError) -> None:
    ident = data.get("id") if isinstance(data, dict) else None
    audit(
        user,
        "agreement.save",
        object_ids=[str(ident)] if isinstance(ident, str) else [],
        outcome=Outcome.REFUSED,
        detail={"path": exc.path, "error": exc.message},
    )


def save_agreement(
    user: User | None, data: Any, *, expected_id: str | None = None, new: bool = False
) -> AgreementVersion:
    """Validate an agreement's JSON and store it as a new version.

    Refused (``AgreementError`` naming the JSON path; audited; nothing stored) when it does not
    match the schema, names an unknown jurisdiction, or its version is not above the latest;
    from a page, also when ``expected_id`` is given and the JSON names another agreement, or
    ``new`` is set and the agreement already exists (a new version goes through its own page).
    Saved despite a contradiction with another agreement in force (the stricter clause wins in
    every decision); the audit entry lists the contradictions.

    Legal effect: from now on, disclosures are decided under this version (a withdrawn or
    suspended status stops the next disclosure).
    """
    _allowed(user, "agreement.manage", "agreement.save")
    try:
        agreement = load_agreement(data, current_profiles())
        if expected_id is not None and agreement.id != expected_id:
            raise AgreementError(
                "$.id",
                f"{agreement.id!r} is not this agreement ({expected_id!r}); a new agreement "
                "is added with “New agreement”",
            )
        latest = AgreementVersion.objects.filter(agreement_id=agreement.id).aggregate(
            v=Max("version")
        )["v"]
        if new and latest is not None:
            raise AgreementError(
                "$.id",
                f"agreement {agreement.id!r} already exists (version {latest}); add a version "
                "from its page",
            )
        if latest is not None and agreement.version <= latest:
            raise AgreementError(
                "$.version", f"{agreement.version} is not above the latest version {latest}"
            )
    except AgreementError as exc:
        _refuse_agreement(user, data, exc)
        raise
    with transaction.atomic():
        row = AgreementVersion.objects.create(
            agreement_id=agreement.id,
            version=agreement.version,
            title=agreement.title,
            status=agreement.status,
            data=agreement.to_dict(),
            created_by=getattr(user, "username", "system"),
        )
        clashes = [c for c in contradictions() if c.involves(agreement.id)]
        audit(
            user,
            "agreement.save",
            object_ids=[agreement.id],
            detail={
                "version": agreement.version,
                "status": agreement.status,
                "parties": list(agreement.parties),
                "sharing_mode": agreement.sharing_mode,
                "contradictions": [c.summary() for c in clashes],
            },
        )
    return row


#: The largest agreement text a page accepts (an agreement is a few kilobytes).
MAX_AGREEMENT_TEXT = 256 * 1024


def save_agreement_text(
    user: User | None, text: str, *, expected_id: str | None = None, new: bool = False
) -> AgreementVersion:
    """:func:`save_agreement` from the text of a JSON document (one agreement object).

    Text that is not JSON is refused with ``$`` and the line and column of the syntax error; a
    list is refused (the command line loads lists, a page one agreement); both audited.
    """
    _allowed(user, "agreement.manage", "agreement.save")
    try:
        if len(text) > MAX_AGREEMENT_TEXT:
            raise AgreementError("$", f"the text is larger than {MAX_AGREEMENT_TEXT // 1024} KiB")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AgreementError(
                "$", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
        if not isinstance(data, dict):
            raise AgreementError(
                "$",
                "one agreement object ({...}) is expected here; lists load with the command line",
            )
    except AgreementError as exc:
        _refuse_agreement(user, None, exc)
        raise
    return save_agreement(user, data, expected_id=expected_id, new=new)


def current_profiles() -> ProfileSet:
    """The latest version of every stored profile (the shipped ones where none is stored),
    with the shipped partnerships."""
    shipped = default_profiles()
    latest: dict[str, JurisdictionProfileRecord] = {}
    for row in JurisdictionProfileRecord.objects.order_by("code", "-version"):
        latest.setdefault(row.code, row)
    if not latest:
        return shipped
    profiles = dict(shipped.profiles)
    for code, row in latest.items():
        profiles[code] = profile_from_dict(row.data)
    return ProfileSet.of(profiles.values(), shipped.partnerships)


def current_agreements() -> list[Agreement]:
    """The latest version of every agreement (whatever its status: the engine denies under a
    withdrawn or suspended one and says so)."""
    latest: dict[str, AgreementVersion] = {}
    for row in AgreementVersion.objects.order_by("agreement_id", "-version"):
        latest.setdefault(row.agreement_id, row)
    profiles = current_profiles()
    return [load_agreement(row.data, profiles) for row in latest.values()]


_ENGINE: dict[str, PolicyEngine] = {}


def policy_engine() -> PolicyEngine:
    """The engine for the current agreements and profiles (rebuilt when either changes, so its
    decision cache never outlives the versions it was built on)."""
    agreements = current_agreements()
    profiles = current_profiles()
    key = (
        profiles.version
        + "|"
        + ",".join(f"{a.id}@{a.version}" for a in sorted(agreements, key=lambda a: a.id))
    )
    engine = _ENGINE.get(key)
    if engine is None:
        _ENGINE.clear()
        engine = _ENGINE[key] = PolicyEngine(agreements, profiles)
    return engine


def contradictions() -> list[Contradiction]:
    """Agreements in force (latest versions) that overlap and disagree; the engine lets the
    stricter clause win in each (see :mod:`accord.engine.policy.contradictions`)."""
    return find_contradictions(current_agreements(), current_profiles())


@dataclass(frozen=True)
class Change:
    """One field that differs from the previous version (values as text)."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class VersionView:
    """One version for a history page: who, when, why, the JSON and what changed."""

    version: int
    by: str
    at: datetime | None
    note: str
    data: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    stored: bool = True

    @property
    def json_text(self) -> str:
        return json.dumps(self.data, indent=2, ensure_ascii=False)


def _text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Change]:
    if before is None:
        return []
    keys = sorted(set(before) | set(after))
    return [
        Change(k, _text(before.get(k)), _text(after.get(k)))
        for k in keys
        if before.get(k) != after.get(k)
    ]


def _with_changes(views: list[VersionView]) -> list[VersionView]:
    """``views`` oldest first -> newest first, each with its changes from the one before."""
    out: list[VersionView] = []
    previous: dict[str, Any] | None = None
    for v in views:
        out.append(
            VersionView(v.version, v.by, v.at, v.note, v.data, _changes(previous, v.data), v.stored)
        )
        previous = v.data
    return list(reversed(out))


def profile_history(code: str) -> list[VersionView]:
    """Every version of a jurisdiction's profile, newest first. A shipped profile never stored
    shows as version 1 "shipped default" (``stored=False``): it is what the engine uses."""
    rows = JurisdictionProfileRecord.objects.filter(code=code).order_by("version")
    views = [VersionView(r.version, r.changed_by, r.changed_at, r.note, r.data) for r in rows]
    if not views:
        shipped = default_profiles().get(code)
        if shipped is None:
            return []
        views = [VersionView(1, "system", None, SHIPPED_NOTE, shipped.to_dict(), stored=False)]
    return _with_changes(views)


def agreement_history(agreement_id: str) -> list[VersionView]:
    """Every version of an agreement, newest first, with what changed from the one before."""
    rows = AgreementVersion.objects.filter(agreement_id=agreement_id).order_by("version")
    return _with_changes(
        [VersionView(r.version, r.created_by, r.created_at, "", r.data) for r in rows]
    )
