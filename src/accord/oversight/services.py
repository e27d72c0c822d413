"""Appending to and verifying the audit trail.

``audit(...)`` is called explicitly by every service function (never from a signal): inside the
service's transaction for writes, so that the write and its audit entry commit together, or on
its own for reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db import transaction

from accord.engine.audit.chain import (
    ENTRY_FIELDS,
    GENESIS,
    AuditEntry,
    ChainVerdict,
    chain_hash,
    leaf_hash,
    verify_chain,
)
from accord.oversight.checkpoints import check_checkpoints, maybe_checkpoint
from accord.oversight.models import AuditEvent, AuditHead

if TYPE_CHECKING:
    from accord.accounts.models import RequestUser

__all__ = ["Actor", "Outcome", "audit", "iter_entries", "verify_trail"]

#: Who an audit entry names: a user, a name standing for a process or a peer ("system" when
#: None).
Actor: TypeAlias = "RequestUser | str | None"


class Outcome:
    OK = "ok"
    DENIED = "denied"
    REFUSED = "refused"
    FAILED = "failed"


def _node_id() -> str:
    from accord.node.models import NodeIdentity

    node = NodeIdentity.current()
    return node.node_id if node else "uninitialised"


def _actor(user: Actor) -> tuple[str, str]:
    if user is None:
        return "system", "system"
    if isinstance(user, str):
        return user, "system"
    return str(getattr(user, "username", user)), str(getattr(user, "role", ""))


def _storable(value: Any) -> Any:
    """``value`` with NUL characters replaced (U+FFFD): a hostile string in a query must still
    be logged, and PostgreSQL text and JSON cannot hold U+0000."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def audit(
    user: Actor,
    action: str,
    *,
    object_ids: Iterable[str] = (),
    purpose: str = "",
    case: str = "",
    outcome: str = Outcome.OK,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit trail and return it.

    Legal effect: records who acted, when, why (purpose and case), on what and with what outcome,
    as the Law Enforcement Directive (Art 25) requires of every consultation, disclosure,
    alteration and erasure of personal data.
    """
    actor, role = _actor(user)
    actor, purpose, case = _storable(actor), _storable(purpose or ""), _storable(case or "")
    object_ids = [_storable(str(i)) for i in object_ids]
    detail = _storable(detail or {})
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditHead.objects.create(pk=1, seq=0, chain_hash=GENESIS)
            head = AuditHead.objects.select_for_update().get(pk=1)
        content = {
            "seq": head.seq + 1,
            "ts": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "actor": actor,
            "role": role,
            "node": _node_id(),
            "action": action,
            "object_ids": sorted(set(object_ids)),
            "purpose": purpose or "",
            "case": case or "",
            "outcome": outcome,
            "detail": detail or {},
        }
        leaf = leaf_hash(content)
        link = chain_hash(head.chain_hash, leaf)
        event = AuditEvent.objects.create(
            **content, prev_hash=head.chain_hash, leaf_hash=leaf, chain_hash=link
        )
        AuditHead.objects.filter(pk=1).update(seq=content["seq"], chain_hash=link)
        maybe_checkpoint(content["seq"], link, content["node"])
    return event


def iter_entries(batch: int = 5000) -> Iterator[AuditEntry]:
    """Every stored entry in storage order (by primary key: the order rows were written)."""
    last_pk = 0
    while True:
        rows = list(
            AuditEvent.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", *ENTRY_FIELDS, "prev_hash", "leaf_hash", "chain_hash")[:batch]
        )
        if not rows:
            return
        for row in rows:
            last_pk = row[0]
            yield AuditEntry(
                seq=row[1],
                ts=row[2],
                actor=row[3],
                role=row[4],
                node=row[5],
                action=row[6],
                object_ids=tuple(row[7]),
                purpose=row[8],
                case=row[9],
                outcome=row[10],
                detail=row[11],
                prev_hash=row[12],
                leaf_hash=row[13],
                chain_hash=row[14],
            )


def verify_trail() -> ChainVerdict:
    """Check the whole trail against itself, the head row and the signed checkpoints.

    Legal effect: none (a read of the trail's hashes, not of its content); the oversight
    officer's evidence that the log of processing (LED Art 25) is complete and unaltered.
    """
    verdict = _verify_chain_and_head()
    if not verdict.ok:
        return verdict

    def chain_hash_at(seq: int) -> str | None:
        return AuditEvent.objects.filter(seq=seq).values_list("chain_hash", flat=True).first()

    _count, problem = check_checkpoints(verdict.checked, chain_hash_at)
    if problem is not None:
        return ChainVerdict(
            False, verdict.checked, verdict.head_hash, problem.first_bad, problem.reason
        )
    return verdict


def _verify_chain_and_head() -> ChainVerdict:
    head = AuditHead.objects.filter(pk=1).first()
    expected = head.seq if head else 0
    verdict = verify_chain(iter_entries(), expected_count=expected)
    position = verdict.checked + 1
    if (
        not verdict.ok
        and verdict.first_bad is not None
        and verdict.first_bad > position
        and AuditEvent.objects.filter(seq=position).exists()
    ):
        # The missing number is stored further on: the entries were moved, not deleted.
        return ChainVerdict(
            False,
            verdict.checked,
            verdict.head_hash,
            verdict.first_bad,
            f"entry {verdict.first_bad}: stored where entry {position} belongs "
            "(entries were reordered)",
        )
    if verdict.ok and verdict.checked > expected:
        return ChainVerdict(
            False,
            verdict.checked,
            verdict.head_hash,
            expected + 1,
            f"entry {expected + 1}: not covered by the head record, which ends at entry "
            f"{expected} (an entry was inserted after the last recorded one)",
        )
    if verdict.ok and head is not None and verdict.head_hash != head.chain_hash:
        return ChainVerdict(
            False,
            verdict.checked,
            verdict.head_hash,
            expected,
            f"entry {expected}: the head record does not match the last entry",
        )
    return verdict
