"""Hash-chained audit entries, ready for Merkle proofs.

Each entry has a *leaf hash* and a *chain hash*:

- ``leaf_hash = SHA-256(0x00 || canonical_json(entry))``: the RFC 6962 (Certificate
  Transparency) leaf hash, so that a Merkle tree over the leaves gives inclusion and consistency
  proofs later without re-hashing history;
- ``chain_hash = SHA-256(0x01 || prev_chain_hash || leaf_hash)``: links every entry to the one
  before it, so altering, deleting, inserting or reordering any entry breaks every later link.

``canonical_json`` is RFC 8785 (JCS), so that an independent verifier in any language gets the
same bytes. The first entry's ``prev_chain_hash`` is :data:`GENESIS`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from accord.engine.stix.canonical import canonical_json

__all__ = [
    "ENTRY_FIELDS",
    "GENESIS",
    "AuditEntry",
    "ChainVerdict",
    "chain_hash",
    "leaf_hash",
    "verify_chain",
]

GENESIS: Final = "0" * 64

#: The fields an entry's hash covers, in the order they are documented.
ENTRY_FIELDS: Final = (
    "seq",
    "ts",
    "actor",
    "role",
    "node",
    "action",
    "object_ids",
    "purpose",
    "case",
    "outcome",
    "detail",
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit event as stored: its content plus the hashes written with it."""

    seq: int
    ts: str
    actor: str
    role: str
    node: str
    action: str
    object_ids: tuple[str, ...]
    purpose: str
    case: str
    outcome: str
    detail: Mapping[str, Any]
    prev_hash: str
    leaf_hash: str
    chain_hash: str

    def content(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "role": self.role,
            "node": self.node,
            "action": self.action,
            "object_ids": list(self.object_ids),
            "purpose": self.purpose,
            "case": self.case,
            "outcome": self.outcome,
            "detail": dict(self.detail),
        }


def leaf_hash(content: Mapping[str, Any]) -> str:
    """RFC 6962 leaf hash of an entry's content (canonical JSON, RFC 8785)."""
    missing = [f for f in ENTRY_FIELDS if f not in content]
    if missing:
        raise ValueError(f"audit entry lacks {', '.join(missing)}")
    body = {f: content[f] for f in ENTRY_FIELDS}
    return hashlib.sha256(b"\x00" + canonical_json(body)).hexdigest()


def chain_hash(prev_hash: str, leaf: str) -> str:
    """The link of an entry to its predecessor."""
    return hashlib.sha256(b"\x01" + bytes.fromhex(prev_hash) + bytes.fromhex(leaf)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """The result of checking a chain. ``first_bad`` is the seq of the first bad entry."""

    ok: bool
    checked: int
    head_hash: str
    first_bad: int | None = None
    reason: str = ""


def verify_chain(
    entries: Iterable[AuditEntry],
    *,
    start_seq: int = 1,
    start_hash: str = GENESIS,
    expected_count: int | None = None,
    expected_head: str | None = None,
) -> ChainVerdict:
    """Check every entry, in storage order, against its content and its predecessor.

    Detects an altered entry (its leaf hash no longer matches its content), a deleted, inserted
    or reordered entry (a sequence gap or a broken link) and a truncated tail (when the
    expected count or head hash, e.g. from a signed checkpoint, is given).
    """
    expected_seq = start_seq
    prev = start_hash
    checked = 0
    for entry in entries:
        if entry.seq != expected_seq:
            kind = "deleted" if entry.seq > expected_seq else "inserted or reordered"
            return ChainVerdict(
                False,
                checked,
                prev,
                entry.seq,
                f"entry {entry.seq}: expected sequence number {expected_seq}; an entry was {kind}",
            )
        if leaf_hash(entry.content()) != entry.leaf_hash:
            return ChainVerdict(
                False,
                checked,
                prev,
                entry.seq,
                f"entry {entry.seq}: content does not match its hash (altered)",
            )
        if entry.prev_hash != prev:
            return ChainVerdict(
                False,
                checked,
                prev,
                entry.seq,
                f"entry {entry.seq}: does not link to entry {entry.seq - 1} "
                "(an entry before it was altered, deleted, inserted or reordered)",
            )
        if chain_hash(prev, entry.leaf_hash) != entry.chain_hash:
            return ChainVerdict(
                False,
                checked,
                prev,
                entry.seq,
                f"entry {entry.seq}: chain hash does not match (altered)",
            )
        prev = entry.chain_hash
        expected_seq += 1
        checked += 1
    if expected_count is not None and checked < expected_count:
        return ChainVerdict(
            False,
            checked,
            prev,
            start_seq + checked,
            f"entry {start_seq + checked}: missing; the log ends after {checked} entries but "
            f"{expected_count} were recorded (entries deleted at the end)",
        )
    if expected_head is not None and expected_count is not None and prev != expected_head:
        return ChainVerdict(False, checked, prev, start_seq + checked - 1, "head hash mismatch")
    return ChainVerdict(True, checked, prev)
