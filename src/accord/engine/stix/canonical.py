"""Canonical JSON of STIX objects (RFC 8785, JSON Canonicalization Scheme) and its digest.

Signatures, content hashes, audit leaf hashes and version comparisons are taken over these
bytes, so that two nodes that hold the same object compute the same digest whatever their key
order or number formatting.

Fast for the common case: signing and verifying every object version canonicalises it once,
and the pure-Python ``rfc8785`` serialiser costs many times the Ed25519 operation itself per
STIX object, enough to bound federation throughput.
For the values STIX objects almost always hold, RFC 8785 (section 3.2) and
``orjson.dumps(..., option=OPT_SORT_KEYS)`` produce the same bytes:

- strings: both write UTF-8, escape only ``"``, ``\\`` and the control characters below U+0020
  (``\\b \\t \\n \\f \\r`` by name, the others as lower-case ``\\u00xx``); neither escapes
  ``/``, DEL or U+2028/U+2029;
- integers in the IEEE 754 safe range (|n| < 2^53, the range ``rfc8785`` accepts): both write
  the plain decimal digits; ``true``, ``false``, ``null`` are the same;
- object members sorted by key: RFC 8785 sorts by UTF-16 code units, orjson by UTF-8 bytes;
  the two orders agree for keys of ASCII characters.

Anything else (a float, whose ECMAScript form differs from orjson's; a non-ASCII key; a big
integer; a tuple, a subclass, a lone surrogate) goes to the ``rfc8785`` library, which is the
reference and raises its ``CanonicalizationError`` (a ``ValueError``) where RFC 8785 has no
form. ``tests/unit/test_stix_canonical.py`` checks both paths give identical bytes on
generated documents.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import rfc8785

__all__ = ["canonical_equal", "canonical_json", "sha256_hex"]

_INT_MAX = 2**53 - 1


def _fast_path_applies(value: Any) -> bool:
    """Whether ``value`` holds only what orjson writes exactly as RFC 8785 does (see above)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_INT_MAX <= item <= _INT_MAX:
                continue
            return False
        if kind is dict:
            for key, member in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                stack.append(member)
            continue
        if kind is list:
            stack.extend(item)
            continue
        return False
    return True


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of ``value`` (sorted keys, no whitespace, ECMAScript number form, UTF-8).

    Raises ``rfc8785.CanonicalizationError`` (a ``ValueError``) for values JSON cannot carry
    faithfully: NaN, infinities and integers beyond the IEEE 754 double range.
    """
    if _fast_path_applies(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            # e.g. a lone surrogate in a string: the reference serialiser decides.
            return bytes(rfc8785.dumps(value))
    return bytes(rfc8785.dumps(value))


def canonical_equal(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` are the same JSON value (key order and 1 vs 1.0 do not count)."""
    return canonical_json(a) == canonical_json(b)


def sha256_hex(obj: Any) -> str:
    """Lower-case hex SHA-256 of ``canonical_json(obj)``."""
    return hashlib.sha256(canonical_json(obj)).hexdigest()
