"""Canonical JSON of STIX objects (RFC 8785, JSON Canonicalization Scheme) and its digest.

Signatures, content hashes and version comparisons are taken over these bytes, so that two nodes
that hold the same object compute the same digest whatever their key order or number formatting.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

__all__ = ["canonical_equal", "canonical_json", "sha256_hex"]


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 bytes of ``obj`` (sorted keys, no whitespace, ECMAScript number form, UTF-8).

    Raises ``rfc8785.CanonicalizationError`` (a ``ValueError``) for values JSON cannot carry
    faithfully: NaN, infinities and integers beyond the IEEE 754 double range.
    """
    return bytes(rfc8785.dumps(obj))


def canonical_equal(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` are the same JSON value (key order and 1 vs 1.0 do not count)."""
    return canonical_json(a) == canonical_json(b)


def sha256_hex(obj: Any) -> str:
    """Lower-case hex SHA-256 of ``canonical_json(obj)``."""
    return hashlib.sha256(canonical_json(obj)).hexdigest()
