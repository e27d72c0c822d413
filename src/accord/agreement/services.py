"""Agreement and profile services. Every write checks the role, runs in a transaction and writes
its audit entry; a refused write is audited and stores nothing.

- ``load_default_profiles(user) -> int``: the shipped profiles, for jurisdictions not yet held.
- ``update_profile(user, data, note="") -> JurisdictionProfileRecord``: a new profile version.
- ``save_agreement(user, data) -> AgreementVersion``: a new agreement version from its JSON.
- ``current_profiles()``, ``current_agreements()``, ``policy_engine()``: what the policy engine
  decides with now (the latest version of each; the engine is rebuilt when any of them changes).

Only the legal officer (``agreement.manage``, ``profile.manage``) edits; ``user=None`` is the
node's operator at the command line (audited as the system actor).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max

from accord.accounts.choices import role_can
from accord.agreement.models import AgreementVersion, JurisdictionProfileRecord
from accord.engine.policy.agreements import Agreement, AgreementError, load_agreement
from accord.engine.policy.engine import PolicyEngine
from accord.engine.policy.profiles import (
    ProfileError,
    ProfileSet,
    default_profiles,
    profile_from_dict,
)
from accord.oversight.services import Outcome, audit

__all__ = [
    "AgreementError",
    "ProfileError",
    "current_agreements",
    "current_profiles",
    "load_default_profiles",
    "policy_engine",
    "save_agreement",
    "update_profile",
]


def _allowed(user: Any, permission: str, action: str) -> None:
    if user is None:
        return
    if not role_can(getattr(user, "role", ""), permission):
        audit(user, action, outcome=Outcome.DENIED, detail={"permission": permission})
        raise PermissionDenied(f"only the legal officer may do this ({permission})")


def load_default_profiles(user: Any = None) -> int:
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


def update_profile(user: Any, data: dict[str, Any], note: str = "") -> JurisdictionProfileRecord:
    """Store a new version of one jurisdiction's profile.

    Legal effect: changes what the safeguards require for every later disclosure to that
    jurisdiction (e.g. a raised torture risk makes disclosures of personal data wait for a
    supervisor's approval and an assurance reference).
    """
    _allowed(user, "profile.manage", "profile.update")
    try:
        profile = profile_from_dict(data)
    except ProfileError as exc:
        audit(user, "profile.update", outcome=Outcome.REFUSED, detail={"error": str(exc)})
        raise
    with transaction.atomic():
        latest = (
            JurisdictionProfileRecord.objects.select_for_update()
            .filter(code=profile.code)
            .order_by("-version")
            .first()
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


def save_agreement(user: Any, data: Any) -> AgreementVersion:
    """Validate an agreement's JSON and store it as a new version.

    Refused (``AgreementError`` naming the JSON path; audited; nothing stored) when it does not
    match the schema, names an unknown jurisdiction, or its version is not above the latest.
    Legal effect: from now on, disclosures are decided under this version (a withdrawn or
    suspended status stops the next disclosure).
    """
    _allowed(user, "agreement.manage", "agreement.save")
    try:
        agreement = load_agreement(data, current_profiles())
        latest = AgreementVersion.objects.filter(agreement_id=agreement.id).aggregate(
            v=Max("version")
        )["v"]
        if latest is not None and agreement.version <= latest:
            raise AgreementError(
                "$.version", f"{agreement.version} is not above the latest version {latest}"
            )
    except AgreementError as exc:
        ident = data.get("id") if isinstance(data, dict) else None
        audit(
            user,
            "agreement.save",
            object_ids=[str(ident)] if isinstance(ident, str) else [],
            outcome=Outcome.REFUSED,
            detail={"path": exc.path, "error": exc.message},
        )
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
        audit(
            user,
            "agreement.save",
            object_ids=[agreement.id],
            detail={
                "version": agreement.version,
                "status": agreement.status,
                "parties": list(agreement.parties),
                "sharing_mode": agreement.sharing_mode,
            },
        )
    return row


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
