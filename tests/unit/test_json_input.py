"""The one JSON reader of every entry point: depth, integers, non-JSON numbers, encodings."""

from __future__ import annotations

import pytest

from accord.engine.json_input import (
    MAX_JSON_DEPTH,
    JsonInputError,
    json_depth,
    parse_json,
)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "too deeply"),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "more than 64 levels"),
        (b'{"n": ' + b"9" * 5000 + b"}", "outside the accepted range"),
        (b'{"n": 18446744073709551615}', "outside the accepted range"),
        (b'{"n": 18446744073709551616}', "outside the accepted range"),
        (b'{"n": -9223372036854775809}', "outside the accepted range"),
        (b'{"a" 1}', "expected ':' after key"),
        (b"[1e999]", "outside the accepted range"),
        (b"[NaN]", "not valid JSON at line 1 column 2"),
        (b'{"a": 1,}', "trailing comma"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"", "not valid JSON"),
    ],
)
def test_refusals_say_why_in_words(data: bytes, words: str) -> None:
    with pytest.raises(JsonInputError) as caught:
        parse_json(data, what="request body")
    message = str(caught.value)
    assert words in message
    assert message.startswith("The request body")
    for internal in ("Exceeds the limit", "sys.set_int_max_str_digits", "RecursionError"):
        assert internal not in message


def test_accepts_what_is_within_the_limits() -> None:
    deep = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_depth(parse_json(deep)) == MAX_JSON_DEPTH
    assert parse_json(b'{"n": 9223372036854775807, "s": "\xc3\xa9"}') == {
        "n": 9223372036854775807,
        "s": "é",
    }
    assert parse_json("3") == 3


def test_depth_counts_objects_and_arrays() -> None:
    assert json_depth(1) == 0
    assert json_depth({"a": [1, {"b": []}]}) == 4
    assert json_depth([[[[]]]], limit=2) == 3  # stops counting past the limit
