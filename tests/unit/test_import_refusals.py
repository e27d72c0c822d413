"""Importers refuse what they cannot read with a message a person can act on: JSON under the
node's one set of limits (``accord.engine.json_input``), and a file of another kind named for
what it looks like instead of being read as nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.engine.imports import ImportFormatError, detect_format, files, parse
from accord.engine.json_input import MAX_JSON_DEPTH

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
NODE = "identity--5a1c8f0e-2b7d-4c3e-9f1a-6d2e8b4c7a90"
HUGE = b"9" * 5000  # past Python's default limit of 4,300 digits for int()


def _parse(fmt: str, data: bytes):
    return parse(fmt, data, created_by_ref=NODE)


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("stix", b'{"type": "note", "id": "note--1", "x_n": ' + HUGE + b"}"),
        ("stix", b"[" + HUGE + b"]"),
        ("ftm", b'{"id": "a", "schema": "Person", "properties": {"n": [' + HUGE + b"]}}\n"),
        ("ftm", b'[{"id": "a", "schema": "Person", "x": ' + HUGE + b"}]"),
    ],
)
def test_integers_past_the_digit_limit_are_refused_in_words(fmt, data):
    with pytest.raises(ImportFormatError, match="number outside the accepted range") as err:
        _parse(fmt, data)
    assert "4300" not in str(err.value) and "sys.set_int_max_str_digits" not in str(err.value)


def test_integers_past_64_bits_and_deep_nesting_follow_the_shared_limits():
    with pytest.raises(ImportFormatError, match="outside the accepted range"):
        _parse("stix", b'{"type": "note", "x_n": 9223372036854775808}')
    deep = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(ImportFormatError, match="deep"):
        _parse("stix", deep)
    with pytest.raises(ImportFormatError, match="deep"):
        _parse("ftm", deep)


def test_detect_format_survives_huge_integers():
    assert detect_format(b'[{"type": "note", "n": ' + HUGE + b"}]") is None
    assert detect_format(b'{"type": "note", "n": 1}\n' + HUGE) == "stix"


def test_byte_order_mark_is_read():
    bundle = (FIXTURES / "stix_bundle.json").read_bytes()
    assert len(_parse("stix", b"\xef\xbb\xbf" + bundle).objects) == len(
        _parse("stix", bundle).objects
    )
    ftm = (FIXTURES / "ftm_array.json").read_bytes()
    assert _parse("ftm", b"\xef\xbb\xbf" + ftm).objects


@pytest.mark.parametrize("fmt", ["stix", "ftm", "un-xml"])
@pytest.mark.parametrize("data", [b"", b" \r\n\t", b"\xef\xbb\xbf\n"])
def test_empty_file_is_refused(fmt, data):
    with pytest.raises(ImportFormatError, match="empty"):
        _parse(fmt, data)


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("stix_bundle.json", "STIX"),
        ("stix_single.json", "STIX"),
        ("stix_array.json", "STIX"),
        ("un_small.xml", "UN Security Council"),
    ],
)
def test_ftm_refuses_another_kind_of_file_saying_what_it_looks_like(fixture, kind):
    with pytest.raises(ImportFormatError) as err:
        _parse("ftm", (FIXTURES / fixture).read_bytes())
    message = str(err.value)
    assert "no FollowTheMoney entities" in message and kind in message
    assert "format" in message  # which format to choose instead


def test_ftm_refuses_a_one_line_stix_bundle():
    data = b'{"type": "bundle", "id": "bundle--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061", "objects": '
    data += b"[]}"
    with pytest.raises(ImportFormatError, match="STIX"):
        _parse("ftm", data)


def test_ftm_reads_one_pretty_printed_entity():
    data = b'{\n  "id": "p1",\n  "schema": "Person",\n  "properties": {"name": ["Ann Tester"]}\n}\n'
    result = _parse("ftm", data)
    assert [o["name"] for o in result.objects] == ["Ann Tester"]


def test_ftm_entities_that_are_all_skipped_are_still_reported_not_refused():
    data = b'{"id": "x", "schema": "NoSuchSchema", "properties": {}}\n'
    result = _parse("ftm", data)
    assert result.objects == [] and "not a FollowTheMoney schema" in result.problems[0].message


@pytest.mark.parametrize(
    ("fmt", "fixture", "hint"),
    [
        ("stix", "ftm_entities.jsonl", "FollowTheMoney"),
        ("stix", "un_small.xml", "UN Security Council"),
        ("un-xml", "stix_bundle.json", "STIX"),
        ("un-xml", "ftm_entities.jsonl", "FollowTheMoney"),
    ],
)
def test_wrong_format_says_what_the_file_looks_like(fmt, fixture, hint):
    with pytest.raises(ImportFormatError) as err:
        _parse(fmt, (FIXTURES / fixture).read_bytes())
    assert hint in str(err.value)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\x00\x01binary", "neither JSON nor XML"),
        (b"<html><body/></html>", "XML"),
        (b'{"a": 1}', "JSON"),
    ],
)
def test_looks_like(data, words):
    assert words in files.looks_like(data)
