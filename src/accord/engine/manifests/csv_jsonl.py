"""Batch files of people to screen: CSV and JSON lines.

CSV: a header row, then one person per row. Columns (any order, unknown columns ignored):
``id``, ``full_name`` or ``first_name``/``middle_name``/``last_name``, then ``gender``,
``date_of_birth``, ``place_of_birth``, ``nationality``, ``document_number``. JSON lines: one
object per line with the same keys (``names`` may be a list of name forms, ``nationality`` and
``document_number`` may be lists).

A row that cannot be screened (no name, not a JSON object) becomes a traveller with a
``problem`` and the rest of the file is read; a file without a usable header, not UTF-8 or
larger than the limit is refused. Control and zero-width characters are removed from values.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from accord.engine.json_input import JsonInputError, parse_json
from accord.engine.manifests.traveller import (
    DEFAULT_MAX_BYTES,
    MAX_NAME_LENGTH,
    MAX_TRAVELLERS,
    Document,
    ManifestError,
    Traveller,
    check_size,
    country_code,
    gender_code,
    screened_name,
)

__all__ = ["clean_value", "normalise_birth_date", "read_csv", "read_jsonl"]

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES: Final = str.maketrans("\t\r\n", "   ")
_DMY: Final = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_ISO: Final = re.compile(r"^~?\d{4}(-\d{2}(-\d{2})?)?$|^\d{4}\.\.\d{4}$")
_MAX_VALUE: Final = 500


def clean_value(value: Any, limit: int = _MAX_VALUE) -> str:
    """A string with control, bidi and zero-width characters removed, space-collapsed, at most
    ``limit`` characters."""
    if value is None:
        return ""
    text = str(value)[: limit * 4].translate(_SPACES)
    text = _CONTROL.sub("", text)
    return " ".join(text.split())[:limit]


def normalise_birth_date(value: str) -> str:
    """``YYYY-MM-DD`` (also from ``DD.MM.YYYY`` and ``DD/MM/YYYY``), ``YYYY-MM``, ``YYYY``,
    ``~YYYY``, ``YYYY..YYYY``; '' when unreadable."""
    text = value.strip()
    if _ISO.match(text):
        return text
    m = _DMY.match(text)
    if m:
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    return ""


def _many(value: Any) -> list[str]:
    if isinstance(value, list):
        return [clean_value(v) for v in value if not isinstance(v, dict | list)]
    text = clean_value(value)
    return [p.strip() for p in re.split(r"[;|]", text) if p.strip()] if text else []


def _traveller(row: int, values: Mapping[str, Any]) -> Traveller:
    names: list[str] = []
    raw_names = values.get("names")
    if isinstance(raw_names, list):
        names.extend(clean_value(n, MAX_NAME_LENGTH) for n in raw_names if isinstance(n, str))
    full = clean_value(values.get("full_name"), MAX_NAME_LENGTH)
    if full:
        names.insert(0, full)
    parts = [
        clean_value(values.get(k), MAX_NAME_LENGTH)
        for k in ("first_name", "middle_name", "last_name")
    ]
    if any(parts):
        names.append(" ".join(p for p in parts if p))
    names = list(dict.fromkeys(n for n in map(screened_name, names) if n))
    ident = clean_value(values.get("id"))[:100] or str(row)
    documents = tuple(Document(n[:100]) for n in _many(values.get("document_number")))
    nationalities = tuple(
        dict.fromkeys(c for c in (country_code(n) for n in _many(values.get("nationality"))) if c)
    )
    return Traveller(
        row=row,
        id=ident,
        names=tuple(names),
        birth_date=normalise_birth_date(clean_value(values.get("date_of_birth"))),
        gender=gender_code(clean_value(values.get("gender"))),
        nationalities=nationalities,
        documents=documents,
        place_of_birth=clean_value(values.get("place_of_birth"))[:200],
        problem="" if names else "no name to screen",
    )


def _text(data: bytes, max_bytes: int) -> str:
    check_size(data, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ManifestError(f"not UTF-8 (byte {exc.start})", f"line {line}") from None


def _limit(rows: Iterable[Traveller]) -> list[Traveller]:
    out: list[Traveller] = []
    for t in rows:
        if len(out) >= MAX_TRAVELLERS:
            raise ManifestError(f"more than {MAX_TRAVELLERS:,} people in one file (split it)")
        out.append(t)
    return out


def read_csv(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Traveller]:
    """The people of a batch CSV, in file order (``row`` 1 is the first line after the header)."""
    text = _text(data, max_bytes)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ManifestError("the file is empty") from None
    except csv.Error as exc:
        raise ManifestError(str(exc), "line 1") from None
    columns = [clean_value(h).lower().replace(" ", "_") for h in header]
    if "full_name" not in columns and not {"first_name", "last_name"} & set(columns):
        raise ManifestError(
            "the header needs a full_name column or first_name/last_name columns", "line 1"
        )

    def rows() -> Iterable[Traveller]:
        number = 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ManifestError(str(exc), f"line {reader.line_num}") from None
            if not any(v.strip() for v in record):
                continue
            number += 1
            yield _traveller(number, dict(zip(columns, record, strict=False)))

    return _limit(rows())


def read_jsonl(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Traveller]:
    """The people of a JSON lines file (one object per line), in file order; a line that is not
    a JSON object becomes a traveller with a problem."""
    text = _text(data, max_bytes)

    def rows() -> Iterable[Traveller]:
        number = 0
        for line_no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            number += 1
            try:
                value = parse_json(line, what="line")
            except JsonInputError as exc:
                reason = str(exc).rstrip(".")
                yield Traveller(
                    number, str(number), (), problem=f"line {line_no}: not JSON ({reason})"
                )
                continue
            if not isinstance(value, dict):
                yield Traveller(
                    number, str(number), (), problem=f"line {line_no}: not a JSON object"
                )
                continue
            yield _traveller(number, value)

    return _limit(rows())
