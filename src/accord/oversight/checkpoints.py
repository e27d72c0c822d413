"""Signed checkpoints of the audit trail.

Every ``ACCORD_AUDIT_CHECKPOINT_EVERY`` entries (default 100) the node signs
``accord-audit-checkpoint:v1:{node}:{seq}:{chain_hash}`` with its Ed25519 key and stores the
signature in ``AuditCheckpoint``. The hash chain alone is unkeyed: someone who controls the
database can truncate the trail, or rewrite it and recompute every hash and the head row. A
signature they cannot make (the private key lives in the data directory, mode 0600, not in the
database) pins the chain at each checkpoint, so :func:`check_checkpoints` detects both.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings

from accord.oversight.models import AuditCheckpoint

__all__ = [
    "CheckpointProblem",
    "check_checkpoints",
    "checkpoint_every",
    "checkpoint_message",
    "maybe_checkpoint",
]

PRIVATE_KEY_FILE = "node_ed25519.pem"
PUBLIC_KEY_FILE = "node_ed25519.pub"


def checkpoint_every() -> int:
    return int(getattr(settings, "ACCORD_AUDIT_CHECKPOINT_EVERY", 100))


def checkpoint_message(node: str, seq: int, chain_hash: str) -> bytes:
    return f"accord-audit-checkpoint:v1:{node}:{seq}:{chain_hash}".encode()


@functools.lru_cache(maxsize=4)
def _private_key(path: str, mtime: float) -> Ed25519PrivateKey | None:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), None)
    return key if isinstance(key, Ed25519PrivateKey) else None


def _signing_key() -> Ed25519PrivateKey | None:
    path = Path(settings.DATA_DIR) / PRIVATE_KEY_FILE
    if not path.is_file():
        return None  # a data directory without a node key (not initialised): no checkpoints
    return _private_key(str(path), path.stat().st_mtime)


def maybe_checkpoint(seq: int, chain_hash: str, node: str) -> AuditCheckpoint | None:
    """Sign entry ``seq`` when it is a checkpoint position. Call inside the append's
    transaction, so that the entry and its checkpoint commit together."""
    every = checkpoint_every()
    if every <= 0 or seq % every:
        return None
    key = _signing_key()
    if key is None:
        return None
    signature = key.sign(checkpoint_message(node, seq, chain_hash)).hex()
    return AuditCheckpoint.objects.create(
        seq=seq,
        chain_hash=chain_hash,
        node=node,
        ts=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        signature=signature,
    )


def _public_key() -> Ed25519PublicKey | None:
    """The node's public key from its data directory (not from the database, which the
    attacker this defends against controls)."""
    path = Path(settings.DATA_DIR) / PUBLIC_KEY_FILE
    if not path.is_file():
        return None
    key = serialization.load_pem_public_key(path.read_bytes())
    return key if isinstance(key, Ed25519PublicKey) else None


@dataclass(frozen=True)
class CheckpointProblem:
    first_bad: int
    reason: str


def check_checkpoints(
    checked: int, chain_hash_at: Any, checkpoints: Iterable[AuditCheckpoint] | None = None
) -> tuple[int, CheckpointProblem | None]:
    """Check every checkpoint against the node's public key and the verified entries.

    ``checked`` is how many entries verified as a chain; ``chain_hash_at(seq)`` returns the
    stored chain hash of entry ``seq``. Returns (checkpoints verified, the first problem).
    """
    public = _public_key()
    rows = list(checkpoints if checkpoints is not None else AuditCheckpoint.objects.order_by("seq"))
    if public is None:
        if rows:
            return 0, CheckpointProblem(
                rows[0].seq, "signed checkpoints exist but the node's public key is missing"
            )
        return 0, None
    previous = 0
    for count, cp in enumerate(rows):
        try:
            public.verify(
                bytes.fromhex(cp.signature), checkpoint_message(cp.node, cp.seq, cp.chain_hash)
            )
        except (InvalidSignature, ValueError):
            return count, CheckpointProblem(
                cp.seq,
                f"entry {cp.seq}: its signed checkpoint does not verify (checkpoint forged or "
                "altered)",
            )
        if cp.seq > checked:
            return count, CheckpointProblem(
                checked + 1,
                f"entry {checked + 1}: missing; the log ends after {checked} entries but a "
                f"signed checkpoint vouches for {cp.seq} (entries deleted at the end)",
            )
        if chain_hash_at(cp.seq) != cp.chain_hash:
            # Entries up to the previous checkpoint are vouched for: the change lies after it.
            return count, CheckpointProblem(
                previous + 1,
                f"entry {previous + 1}: entries {previous + 1} to {cp.seq} do not match the "
                f"signed checkpoint at entry {cp.seq} (rewritten with recomputed hashes)",
            )
        previous = cp.seq
    return len(rows), None
