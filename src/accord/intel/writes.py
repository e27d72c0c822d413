"""Who may change a record: the write side of the record rules.

A new version, a revocation, a deletion, a share or a removal from a collection is allowed only
to the node that originated the record and, within it, to a user who

1. may read the record's current version (:meth:`RecordQuerySet.restrict`, the read rules), and
2. holds the right to change it: the record's owner, a user of the owner's agency (when the
   record has one), or a user named in a :class:`RecordGrant` with ``can_write``.

Records imported by the node itself (owner none: a CLI import, a feed) are changed only by the
node itself. A record received from another node is changed only by its originator, through
the federation (the originator's signature establishes who wrote the version).

A version never lowers the record's protection (TLP, handling code, purposes, releasability:
:func:`accord.engine.stix.markings.lowered_protection`) unless a supervisor makes the change
with a reason (:class:`ProtectionApproval`), which is audited. Versions received from the
originator are the originator's decision and are taken as they come.

A record the user may not read is refused exactly like one that does not exist where the route
addresses a record by id (404); where an object is written under an id that a hidden record
holds, the refusal does not say whose it is or what protects it (:data:`NOT_YOURS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord.engine.stix.markings import Protection, lowered_protection

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.intel.models import Record

__all__ = [
    "LOWER_PROTECTION_PERMISSION",
    "NOT_YOURS",
    "ProtectionApproval",
    "RecordState",
    "WriteContext",
    "change_denial",
    "may_change",
    "protection_of",
    "share_denial",
    "version_refusal",
]

#: The refusal for an id held by a record the writer may not read, or may not change: the same
#: words whichever it is, naming neither the record's owner nor its markings.
NOT_YOURS = (
    "this id belongs to a record you may not change: only the record's originator writes new "
    "versions, and there only its owner, the owner's agency or a user granted write access; "
    "a new object needs a new id"
)

#: The permission that lets a user write a version that lowers a record's protection.
LOWER_PROTECTION_PERMISSION = "record.lower_protection"


@dataclass(frozen=True, slots=True)
class ProtectionApproval:
    """A supervisor's reason for writing a version that lowers a record's protection."""

    reason: str


@dataclass(frozen=True, slots=True)
class WriteContext:
    """Who writes: ``user`` (None: the node itself), the node the versions come from
    (``origin``: '' for this node, a peer's or a feed's node id for federated writes) and an
    optional approval for lowering protection."""

    user: User | None
    origin: str = ""
    approval: ProtectionApproval | None = None

    @property
    def federated(self) -> bool:
        return bool(self.origin)


@dataclass(frozen=True, slots=True)
class RecordState:
    """What the write rules need to know of a stored record, as the writer sees it."""

    stix_type: str
    creator: str
    origin: str
    revoked: bool
    protection: Protection
    #: The writer may read the current version (always True for the node itself).
    visible: bool
    #: The writer holds the right to change it.
    writable: bool


def protection_of(tlp: str, handling_code: str, rows: Iterable[tuple[str, str]]) -> Protection:
    """A stored record's protection from its columns and its (kind, value) marking rows."""
    purposes: set[str] = set()
    release: set[str] = set()
    for kind, value in rows:
        if kind == "purpose":
            purposes.add(value)
        elif kind == "release":
            release.add(value)
    return Protection(tlp, handling_code, frozenset(purposes), frozenset(release))


def may_change(
    user: User | None, owner_id: int | None, owner_agency: str, granted_write: bool
) -> bool:
    """The right to change a record (given that the user may read it)."""
    if user is None:
        return owner_id is None
    if owner_id is not None and owner_id == user.pk:
        return True
    if owner_agency and owner_agency == (getattr(user, "agency", "") or ""):
        return True
    return granted_write


def version_refusal(
    ctx: WriteContext,
    state: RecordState,
    *,
    creator: str,
    newer: bool,
    protection: Protection,
) -> tuple[str, str, list[str]]:
    """Why ``ctx`` may not store a new version of a record in ``state``: (property path,
    message, []) — or ('', '', lowered) when it may, ``lowered`` listing how the version lowers
    the protection under an approval (empty when it does not)."""
    if ctx.federated:
        if state.origin != ctx.origin:
            return "id", NOT_YOURS, []
    else:
        if not state.visible:
            return "id", NOT_YOURS, []
        if state.origin:
            return (
                "id",
                f"this record was received from node {state.origin} and is read-only here: "
                "only its originator writes new versions",
                [],
            )
        if not state.writable:
            if ctx.user is None:
                return (
                    "id",
                    "this record belongs to a user of this node: an import may not change it",
                    [],
                )
            return (
                "id",
                "you may read this record but not change it: new versions are written by its "
                "owner, the owner's agency or a user granted write access",
                [],
            )
    if state.stix_type == "marking-definition":
        return (
            "id",
            "a marking definition is never versioned (STIX 2.1 section 7.2): define a new one",
            [],
        )
    if state.revoked and newer:
        return (
            "revoked",
            "this record is revoked: a revoked object is final and takes no newer version "
            "(STIX 2.1 section 3.6)",
            [],
        )
    if creator != state.creator:
        return (
            "created_by_ref",
            f"only the creator ({state.creator or 'no creator'}) writes new versions of this "
            f"object; this version is by {creator or 'no creator'}",
            [],
        )
    if ctx.federated:
        return "", "", []
    lowered = lowered_protection(state.protection, protection)
    if not lowered:
        return "", "", []
    user = ctx.user
    approved = ctx.approval is not None and ctx.approval.reason.strip()
    if approved and user is not None and user.can(LOWER_PROTECTION_PERMISSION):
        return "", "", lowered
    return (
        "object_marking_refs",
        "this version lowers the record's protection (" + "; ".join(lowered) + "): only a "
        "supervisor may make that change, with a reason",
        [],
    )


def share_denial(user: User | None, record: Record) -> str:
    """Why ``user`` may not disclose ``record`` from this node, or '' when they may (the policy
    then decides per recipient). A record of the node itself (owner none: an import) is
    disclosed by anyone whose role shares; a received record is passed on under the policy
    and the originator's consent; a user's record only by those who may change it."""
    if record.origin_node or record.owner_id is None:
        return ""
    return change_denial(user, record)


def change_denial(user: User | None, record: Record) -> str:
    """Why ``user`` may not change ``record`` (revoke it, order its deletion, remove it from a
    collection), or '' when they may: a user's record by its owner, the owner's agency or a
    write grantee; the node's own record (owner none) on the order of a user whose role
    revokes records. The caller has already read the record through the restricted
    queryset (a hidden record never gets this far)."""
    from accord.intel.models import RecordGrant

    if record.origin_node:
        return (
            f"this record was received from node {record.origin_node}: only its originator "
            "changes it"
        )
    if record.owner_id is None and user is not None and user.can("record.revoke"):
        return ""  # the node's own record: revoked on the order of those who may revoke
    granted = (
        user is not None
        and RecordGrant.objects.filter(record=record, user=user, can_write=True).exists()
    )
    if may_change(user, record.owner_id, record.owner_agency, granted):
        return ""
    return (
        "you may read this record but not change it: only its owner, the owner's agency or a "
        "user granted write access may"
    )
