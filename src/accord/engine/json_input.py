"""JSON from outside the node, read with one set of limits at every entry point.

Every JSON document that arrives from outside (a REST body, a TAXII envelope, a signed federation
envelope, an imported file, a batch to screen) is decoded by :func:`parse_json`, so that one rule
holds everywhere:

- nesting deeper than :data:`MAX_JSON_DEPTH` arrays or objects is refused (Python's own decoder
  raises ``RecursionError`` on deep input, which a server turns into a 500);
- numbers outside the signed 64-bit range are refused, integers and decimals alike (STIX
  integer properties are far smaller; Python's unbounded integers would otherwise reach its
  digit limit, a ``ValueError`` with interpreter internals in its message, and the decoder reads
  a longer integer literal as a decimal with its digits lost);
- ``NaN`` and ``Infinity``, which are not JSON (RFC 8259 section 6), are refused;
- text that is not UTF-8 is refused.

Each refusal is a :class:`JsonInputError` whose message a person can act on; it never quotes
interpreter internals. Decoding uses ``orjson`` (fast, strict RFC 8259).
"""

from __future__ import annotations

from typing import Any, Final

import orjson

__all__ = ["MAX_JSON_DEPTH", "MAX_JSON_INTEGER", "JsonInputError", "json_depth", "parse_json"]

#: The deepest nesting of arrays and objects accepted. STIX objects with extensions nest about
#: eight levels; 64 leaves room for any real document.
MAX_JSON_DEPTH: Final = 64
#: The largest integer magnitude accepted (signed 64-bit).
MAX_JSON_INTEGER: Final = 2**63 - 1


class JsonInputError(ValueError):
    """A JSON document was refused; the message says why and where, in words."""


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """The nesting depth of ``value`` (0 for a scalar), counted without recursion; stops
    counting (and returns ``limit + 1``) as soon as it passes ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        stack.extend((child, depth) for child in children if isinstance(child, (dict, list)))
    return deepest


def _largest_number(value: Any) -> float:
    """The largest magnitude of a number in ``value`` (integers and decimals alike: the decoder
    reads an integer literal beyond 64 bits as a decimal, which would otherwise pass
    silently with its digits lost)."""
    biggest: float = 0
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            biggest = max(biggest, abs(item))
    return biggest


def _describe(exc: orjson.JSONDecodeError, what: str) -> str:
    message = str(exc.msg) if hasattr(exc, "msg") else str(exc)
    lowered = message.lower()
    if "recursion" in lowered or "depth" in lowered:
        return (
            f"The {what} nests arrays or objects too deeply "
            f"(at most {MAX_JSON_DEPTH} levels are accepted)."
        )
    if (
        "integer" in lowered
        or "infinity" in lowered
        or ("number" in lowered and "range" in lowered)
    ):
        return (
            f"The {what} holds a number outside the accepted range (integers up to "
            f"±{MAX_JSON_INTEGER}, finite decimals)."
        )
    if "utf-8" in lowered or "surrogate" in lowered:
        return f"The {what} is not UTF-8 text; send or save it as UTF-8."
    where = ""
    lineno, colno = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if lineno is not None and colno is not None:
        where = f" at line {lineno} column {colno}"
    reason = message.strip().rstrip(".") or "malformed"
    return f"The {what} is not valid JSON{where}: {reason}."


def parse_json(data: bytes | str, *, what: str = "body", max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode one JSON document under the node's limits, or raise :class:`JsonInputError`.

    ``what`` names the document in the message ("request body", "STIX file", "envelope").
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JsonInputError(_describe(exc, what)) from None
    if isinstance(value, (dict, list)):
        if json_depth(value, max_depth) > max_depth:
            raise JsonInputError(
                f"The {what} nests arrays or objects more than {max_depth} levels deep; refused."
            )
        if _largest_number(value) > MAX_JSON_INTEGER:
            raise JsonInputError(
                f"The {what} holds a number outside the accepted range (±{MAX_JSON_INTEGER})."
            )
    return value
