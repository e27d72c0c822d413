"""Roles (BRIEF section 2) and what each may do."""

from __future__ import annotations

from django.db import models

from accord.engine.stix.markings import PURPOSES

__all__ = [
    "OVERSIGHT_PURPOSE",
    "ROLE_PERMISSIONS",
    "Role",
    "declarable_purposes",
    "role_can",
    "role_may_declare",
]

#: The purpose of an independent oversight review. It opens record content to a reviewer past
#: the records' purpose restrictions, so only roles that review (``record.review``) may declare
#: it.
OVERSIGHT_PURPOSE = "oversight-review"


class Role(models.TextChoices):
    ANALYST = "analyst", "Analyst"
    SUPERVISOR = "supervisor", "Supervisor"
    LIAISON = "liaison", "Liaison officer"
    COMMANDER = "commander", "Operations commander"
    LEGAL = "legal", "Legal officer"
    OVERSIGHT = "oversight", "Oversight officer"
    ADMIN = "admin", "Node administrator"
    PEER = "peer", "Peer node (service account)"


#: Deny by default: a role may do only what is listed here. ``record.view`` is reading record
#: content; oversight officers read content only in a declared review (purpose
#: ``oversight-review``), and node administrators never do.
_ANALYST: frozenset[str] = frozenset(
    {
        "record.view",
        "record.create",
        "record.import",
        "record.export",
        "record.search",
        "record.share",
        "record.revoke",
    }
)
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ANALYST: _ANALYST,
    # What an analyst may do, and approve: disclosures, and versions that lower a protection.
    Role.SUPERVISOR: _ANALYST | {"record.lower_protection", "disclosure.approve"},
    Role.LIAISON: frozenset(
        {"record.view", "record.search", "record.export", "record.share", "consent.answer"}
    ),
    Role.COMMANDER: frozenset({"record.view", "record.search"}),
    Role.LEGAL: frozenset({"record.view", "record.search", "agreement.manage", "profile.manage"}),
    Role.OVERSIGHT: frozenset({"record.review", "audit.view", "audit.verify"}),
    Role.ADMIN: frozenset({"user.manage", "node.manage", "audit.verify"}),
    # A partner node's service user: pushes objects and reads what collections grant it.
    Role.PEER: frozenset({"record.create", "record.view"}),
}


def role_can(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def role_may_declare(role: str, purpose: str) -> bool:
    """Whether a user of ``role`` may work under ``purpose`` (one of the PURPOSES; the oversight
    review only for roles that review)."""
    if purpose not in PURPOSES:
        return False
    if purpose == OVERSIGHT_PURPOSE:
        return role_can(role, "record.review")
    return True


def declarable_purposes(role: str) -> list[str]:
    """The purposes a user of ``role`` may declare, in the PURPOSES order."""
    return [p for p in PURPOSES if role_may_declare(role, p)]
