"""RFC 8785 canonical JSON, fast for the common case of STIX objects.

Signing and verifying every object version canonicalises it once; the pure-Python ``rfc8785``
serialiser costs about as much as the Ed25519 operation itself, which capped federation
throughput. For the values STIX objects almost always hold, RFC 8785 (section 3.2) and
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
form. ``tests/unit/test_signing_canonical.py`` checks both paths give identical bytes on
generated documents.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

__all__ = ["canonical_bytes"]

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


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value``; raises ``ValueError`` where it has none (NaN,
    infinities, integers beyond the IEEE 754 safe range, non-string keys)."""
    if _fast_path_applies(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            # e.g. a lone surrogate in a string: the reference serialiser decides.
            return bytes(rfc8785.dumps(value))
    return bytes(rfc8785.dumps(value))
