"""Importers: real-world files in, STIX 2.1 objects (plain dicts) out, with per-record problems.

Formats: ``stix`` (a STIX 2.1 bundle, array or object, returned as parsed), ``ftm``
(FollowTheMoney entities) and ``un-xml`` (the UN Security Council Consolidated List). Read files
with :func:`~accord.engine.imports.files.read_limited` first: it refuses oversized input and
compression bombs. Nothing here imports Django or writes anywhere; the caller stores the objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from accord.engine.imports.files import detect_format, read_limited
from accord.engine.imports.ftm import parse_ftm
from accord.engine.imports.result import ImportFormatError, ParseProblem, ParseResult, Progress
from accord.engine.imports.stix_bundle import parse_stix
from accord.engine.imports.un_xml import parse_un_xml

__all__ = [
    "FORMATS",
    "ImportFormatError",
    "ParseProblem",
    "ParseResult",
    "detect_format",
    "parse",
    "parse_ftm",
    "parse_stix",
    "parse_un_xml",
    "read_limited",
]

FORMATS: Final = ("stix", "ftm", "un-xml")


def parse(
    format: str,
    data: bytes,
    *,
    created_by_ref: str,
    marking_refs: Sequence[str] = (),
    progress: Progress | None = None,
) -> ParseResult:
    """Parse ``data`` as ``format`` (``"stix"``, ``"ftm"`` or ``"un-xml"``).

    ``created_by_ref`` and ``marking_refs`` apply to the objects the ``ftm`` and ``un-xml``
    importers create; ``stix`` objects keep their own creator and markings, unchanged.
    """
    if format == "stix":
        return parse_stix(data, progress=progress)
    if format == "ftm":
        return parse_ftm(
            data, created_by_ref=created_by_ref, marking_refs=marking_refs, progress=progress
        )
    if format == "un-xml":
        return parse_un_xml(
            data, created_by_ref=created_by_ref, marking_refs=marking_refs, progress=progress
        )
    raise ImportFormatError(
        f"Unknown import format {format!r}; choose one of: {', '.join(FORMATS)}."
    )
