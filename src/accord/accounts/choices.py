"""Roles (BRIEF section 2) and what each may do."""

from __future__ import annotations

from django.db import models

__all__ = ["ROLE_PERMISSIONS", "Role", "role_can"]


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
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ANALYST: frozenset(
        {
            "record.view",
            "record.create",
            "record.import",
            "record.export",
            "record.search",
            "record.share",
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            "record.view",
            "record.create",
            "record.import",
            "record.export",
            "record.search",
            "record.share",
            "disclosure.approve",
        }
    ),
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
