"""Fuzz the FollowTheMoney and UN XML importers and the file reader in front of them: any input
is converted or refused with :class:`ImportFormatError`; what is converted is STIX the store
accepts (the objects pass its validator), in storable text; nothing runs past the time bound."""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from typing import Final

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from accord.engine.imports import ImportFormatError, detect_format, parse_ftm, parse_un_xml
from accord.engine.imports.files import read_limited
from accord.engine.stix.validate import validate_object
from tests.fuzz.support import (
    HOSTILE_TOKENS,
    PARSER,
    check_refusal,
    check_text,
    json_documents,
    mutated,
    seeds,
    serialised,
    time_bound,
    tree_mutated,
)

pytestmark = pytest.mark.fuzz

NODE = "identity--5a1c8f0e-2b7d-4c3e-9f1a-6d2e8b4c7a90"
FALLBACK = "2026-01-01T00:00:00.000Z"

FTM_FILES = seeds(
    "imports/ftm_array.json", "imports/ftm_entities.jsonl", "imports/ftm_malformed.jsonl"
)
UN_FILES = seeds(
    "imports/un_small.xml",
    "imports/un_malformed.xml",
    "imports/un_bomb.xml",
    "imports/un_xxe.xml",
    "matching/un_aliases.xml",
)


def _entities() -> list[object]:
    out: list[object] = []
    for data in FTM_FILES:
        for line in data.splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            out.extend(value if isinstance(value, list) else [value])
    return out


ENTITIES = _entities()


@st.composite
def _ftm_files(draw: st.DrawFn) -> bytes:
    """Entities, some with hostile values in their trees, as a JSON array or JSON lines."""
    entity = tree_mutated(ENTITIES, most=2) | st.sampled_from(ENTITIES)
    if draw(st.booleans()):
        return draw(serialised(st.lists(entity, max_size=6)))
    lines = draw(st.lists(serialised(entity), max_size=6))
    return b"\n".join(line.replace(b"\n", b" ") for line in lines)


def _check_objects(objects: list[dict]) -> None:
    check_text(objects)
    for obj in objects:
        issues = validate_object(obj)
        assert not issues, (obj, issues)


@PARSER
@given(_ftm_files() | json_documents(FTM_FILES[:1]) | mutated(FTM_FILES, units=b'\n,:{}[]"'))
@example(b'[{"id": "a", "schema": [[null]], "properties": {}}]')
@example(b'{"id": "' + b"x" * 1001 + b'", "schema": "Person", "properties": {"name": ["A"]}}')
def test_ftm_importer(data):
    with time_bound():
        try:
            result = parse_ftm(data, created_by_ref=NODE, fallback_timestamp=FALLBACK)
        except ImportFormatError as exc:
            check_refusal(exc)
            return
    _check_objects(result.objects)
    check_text([(p.where, p.message) for p in result.problems])


_LEAF: Final = re.compile(rb"<([A-Z0-9_]+)>([^<]*)</\1>")
_LONG_TEXTS: Final = ["A" * 501, "B" * 1001, "C" * 70_000]


def _with_text(tag: bytes, text: bytes) -> bytes:
    """The small UN list with the first ``tag`` element's text replaced."""
    element = rb"<" + tag + rb">[^<]*</" + tag + rb">"
    return re.sub(element, b"<" + tag + b">" + text + b"</" + tag + b">", UN_FILES[0], count=1)


@st.composite
def _un_text_replaced(draw: st.DrawFn) -> bytes:
    """A UN list with the text of some elements replaced: hostile text (escaped for XML or
    raw), long text, dates and numbers that are not."""
    data = draw(st.sampled_from(UN_FILES))
    for _ in range(draw(st.integers(1, 4))):
        leaves = list(_LEAF.finditer(data))
        if not leaves:
            break
        leaf = draw(st.sampled_from(leaves))
        kind = draw(st.integers(0, 2))
        if kind == 0:
            text = draw(st.text(max_size=30) | st.sampled_from(["", " ", "1800-13-45", "0"]))
            raw = text.encode("utf-8", "surrogatepass").replace(b"&", b"&amp;")
            raw = raw.replace(b"<", b"&lt;")
        elif kind == 1:
            raw = draw(st.sampled_from(_LONG_TEXTS)).encode()
        else:
            raw = draw(st.sampled_from(HOSTILE_TOKENS))
        data = data[: leaf.start(2)] + raw + data[leaf.end(2) :]
    return data


@PARSER
@given(_un_text_replaced() | mutated(UN_FILES, units=b'<>/ \n="'))
@example(_with_text(b"REFERENCE_NUMBER", b"R" * 1001))
@example(_with_text(b"COMMENTS1", b"C" * 70_000))
@example(_with_text(b"DATAID", b"7" * 70_000))
def test_un_xml_importer(data):
    with time_bound():
        try:
            result = parse_un_xml(data, created_by_ref=NODE)
        except ImportFormatError as exc:
            check_refusal(exc)
            return
    _check_objects(result.objects)
    check_text([(p.where, p.message) for p in result.problems])


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _zip(data: bytes, name: str = "list.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _central_directory_misplaced() -> bytes:
    """A zip archive whose end record points past its central directory."""
    data = bytearray(_zip(b"[1,2,3]" * 10, name="a.json"))
    data[-6] = 0xFF
    return bytes(data)


ARCHIVES = [
    _gzip(FTM_FILES[1]),
    _zip(UN_FILES[0]),
    _gzip(b"A" * 300_000),
    _zip(b"[" * 1000, name="../x.json"),
]


@PARSER
@given(mutated(ARCHIVES, raw_size=512))
@example(_central_directory_misplaced())
def test_file_reader_and_detection(data):
    with time_bound():
        try:
            raw = read_limited(data, max_bytes=1 << 20, max_expanded_bytes=1 << 18)
        except ImportFormatError as exc:
            check_refusal(exc)
            return
        assert len(raw) <= max(len(data), 1 << 18)
        assert detect_format(raw) in (None, "stix", "ftm", "un-xml")
