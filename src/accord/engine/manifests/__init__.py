"""Manifest readers for screening (no Django): batch CSV and JSON lines, UN/EDIFACT PAXLST
(Advance Passenger Information) and PNRGOV (Passenger Name Record), all producing
:class:`Traveller` records in input order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from accord.engine.manifests.csv_jsonl import read_csv, read_jsonl
from accord.engine.manifests.paxlst import read_paxlst
from accord.engine.manifests.pnrgov import read_pnrgov
from accord.engine.manifests.traveller import (
    DEFAULT_MAX_BYTES,
    Document,
    ManifestError,
    Traveller,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "Document",
    "ManifestError",
    "Traveller",
    "read_csv",
    "read_jsonl",
    "read_manifest",
    "read_paxlst",
    "read_pnrgov",
]

#: Format name -> reader. ``json`` is JSON lines.
FORMATS: Final[dict[str, Callable[..., list[Traveller]]]] = {
    "csv": read_csv,
    "json": read_jsonl,
    "jsonl": read_jsonl,
    "paxlst": read_paxlst,
    "pnrgov": read_pnrgov,
}


def read_manifest(
    data: bytes, format: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Traveller]:
    """The travellers of one file in ``format`` (csv, json/jsonl, paxlst, pnrgov).

    Raises :class:`ManifestError` when the file is refused as a whole."""
    reader = FORMATS.get(format)
    if reader is None:
        raise ManifestError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    return reader(data, max_bytes=max_bytes)
