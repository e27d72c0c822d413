"""Fuzz the screening readers (PAXLST, PNRGOV, CSV, JSON lines): any input is read into
travellers or refused with :class:`ManifestError`; travellers are numbered in order, their
names within the store's name limit, every value storable text; nothing runs past the time
bound."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from accord.engine.manifests import ManifestError, read_csv, read_jsonl, read_paxlst, read_pnrgov
from accord.engine.stix.limits import MAX_NAME_LENGTH
from tests.fuzz.support import (
    PARSER,
    check_refusal,
    mutated,
    seeds,
    serialised,
    time_bound,
    tree_mutated,
)

pytestmark = pytest.mark.fuzz

PAXLST = seeds(
    "manifests/paxlst_una_crlf.edi",
    "manifests/paxlst_una_space_repetition.edi",
    "manifests/paxlst_malformed.edi",
    "manifests/paxlst_control.edi",
    shared="edifact/paxlst",
)
PNRGOV = seeds(
    "manifests/pnrgov_small.edi",
    "manifests/pnrgov_una_line_break.edi",
    "manifests/pnrgov_no_final_terminator.edi",
    shared="edifact/pnrgov",
)
#: Segment terminators, separators, release characters and line ends of the formats.
EDIFACT_UNITS = b"'+:?*$ \\\n\r"
CSV = seeds("manifests/batch.csv")
JSONL = seeds("manifests/batch.jsonl")


def _check_travellers(travellers) -> None:
    assert [t.row for t in travellers] == list(range(1, len(travellers) + 1))
    for t in travellers:
        orjson.dumps(t.as_dict())  # storable: no lone surrogates, JSON-ready values
        assert all(n and len(n) <= MAX_NAME_LENGTH for n in t.names)
        assert t.problem or t.names


def _read(reader, data: bytes) -> None:
    with time_bound():
        try:
            travellers = reader(data)
        except ManifestError as exc:
            check_refusal(exc)
            return
    _check_travellers(travellers)


@PARSER
@given(mutated(PAXLST, units=EDIFACT_UNITS, most=8))
@example(b"UNA:+.? 'UNB+UNOC:4+X+Y+1'UNH+1+PAXLST:D:05B:UN:IATA'NAD+FL+++M\xdcLLER:J'UNT+3+1'")
def test_paxlst_reader(data):
    _read(read_paxlst, data)


@PARSER
@given(mutated(PNRGOV, units=EDIFACT_UNITS, most=8))
def test_pnrgov_reader(data):
    _read(read_pnrgov, data)


@PARSER
@given(mutated(CSV, units=b',;\t|\n\r"', most=8))
def test_csv_reader(data):
    _read(read_csv, data)


def _rows() -> list[object]:
    out: list[object] = []
    for line in JSONL[0].splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


ROWS = _rows()


def _jsonl() -> st.SearchStrategy[bytes]:
    row = tree_mutated(ROWS, most=2) | st.sampled_from(ROWS)
    lines = st.lists(serialised(row), max_size=5)
    return lines.map(lambda ls: b"\n".join(line.replace(b"\n", b" ") for line in ls))


@PARSER
@given(_jsonl() | mutated(JSONL, units=b'\n,:{}[]"', most=8))
@example(b'{"full_name": "A", "n": ' + b"9" * 5000 + b"}")
def test_jsonl_reader(data):
    _read(read_jsonl, data)
