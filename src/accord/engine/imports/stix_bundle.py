"""STIX 2.1 JSON as it arrives: a bundle, a bare array of objects, or one object.

STIX 2.1 section 8 (the ``bundle`` object) wraps objects for transport; files in the wild are also
plain arrays (the OASIS SCO examples) or a single object. This reader only unpacks JSON: it does not
validate STIX (the store does, on write) and returns each object exactly as parsed, unmodified, so
that exporting it again gives back the same object.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from accord.engine.imports.files import detect_format, looks_like, require_content
from accord.engine.imports.result import ImportFormatError, ParseProblem, ParseResult, Progress
from accord.engine.json_input import JsonInputError, parse_json

__all__ = ["load_json", "parse_stix"]


def load_json(data: bytes, what: str) -> Any:
    """Decode ``data`` as one JSON document under the node's JSON limits
    (:func:`accord.engine.json_input.parse_json`: depth, 64-bit integers, UTF-8, strict JSON), a
    leading UTF-8 byte-order mark allowed, or raise :class:`ImportFormatError` saying where."""
    try:
        return parse_json(data.removeprefix(b"\xef\xbb\xbf"), what=what)
    except JsonInputError as exc:
        message = str(exc)
        if "not valid JSON at line" in message:
            message += " Fix the file there (or export it again) and retry."
        raise ImportFormatError(message) from None


def parse_stix(data: bytes, *, progress: Progress | None = None) -> ParseResult:
    """The objects of a STIX 2.1 bundle, array or single object, as parsed.

    An empty bundle gives an empty result. Array items that are not JSON objects are skipped and
    reported; everything else is returned unchanged for the store to validate.
    """
    require_content(data, "STIX file")
    try:
        document = load_json(data, "STIX file")
    except ImportFormatError as exc:
        kind = detect_format(data)
        if kind is None or kind == "stix":
            raise
        raise ImportFormatError(f"{exc} The file is not STIX JSON: {looks_like(data)}.") from None
    items: list[Any]
    if isinstance(document, list):
        items = document
    elif isinstance(document, dict):
        kind = document.get("type")
        if kind == "bundle":
            objects = document.get("objects", [])
            if objects is None:
                objects = []
            if not isinstance(objects, list):
                raise ImportFormatError(
                    "The bundle's 'objects' is not an array; a STIX bundle holds its objects in "
                    "an array (STIX 2.1 section 8)."
                )
            items = objects
        elif isinstance(kind, str) and kind:
            items = [document]
        else:
            raise ImportFormatError(
                "The JSON object has no 'type': it is neither a STIX bundle nor a STIX object. "
                "If it is FollowTheMoney data, import it with the ftm format."
            )
    else:
        raise ImportFormatError(
            f"The file holds a JSON {type(document).__name__}, not a STIX bundle, an array of "
            "STIX objects or a STIX object."
        )
    result = ParseResult(format="stix")
    types: Counter[str] = Counter()
    total = len(items)
    for index, item in enumerate(items):
        if isinstance(item, dict):
            result.objects.append(item)
            types[str(item.get("type", "?"))] += 1
        else:
            result.problems.append(
                ParseProblem(
                    f"object {index}",
                    f"is a JSON {type(item).__name__}, not a STIX object; skipped.",
                )
            )
        if progress is not None:
            progress(index + 1, total)
    result.counts = dict(sorted(types.items()))
    result.counts["objects"] = len(result.objects)
    return result
