"""The fast RFC 8785 path (orjson with sorted keys) gives the reference library's bytes exactly,
on generated JSON documents and on the cases where the two serialisers differ (floats,
non-ASCII keys, big integers), which must take the reference path."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.engine.stix.canonical import _fast_path_applies, canonical_json
from accord.intel.factories import person_object

_INT_MAX = 2**53 - 1

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-_INT_MAX, max_value=_INT_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=30,
)


def _reference(value: object) -> bytes:
    return bytes(rfc8785.dumps(value))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(documents)
def test_same_bytes_as_the_reference_on_generated_documents(doc):
    assert canonical_json(doc) == _reference(doc)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127)), st.text()))
def test_fast_path_taken_for_ascii_keys_and_strings(doc):
    assert _fast_path_applies(doc)
    assert canonical_json(doc) == _reference(doc)


def test_stix_objects_take_the_fast_path_with_identical_bytes():
    for n in range(1, 50):
        obj = person_object(n, created_by_ref="identity--00000000-0000-5000-8000-000000000001")
        assert _fast_path_applies(obj)
        assert canonical_json(obj) == _reference(obj)


@pytest.mark.parametrize(
    "value",
    [
        {"x": 1.0},  # ECMAScript writes 1, orjson 1.0
        {"x": 1e21},
        {"\U0001f600": 1, "\uff61": 2},  # UTF-16 and UTF-8 orders differ
        {"x": [2**53 - 1, -(2**53) + 1]},
        ("tuple", 1),
    ],
)
def test_values_where_orjson_differs_take_the_reference_path(value):
    assert canonical_json(value) == _reference(value)


@pytest.mark.parametrize(
    "value",
    [{"x": float("nan")}, {"x": float("inf")}, {"x": 2**53}, {1: "non-string key"}],
)
def test_values_without_a_canonical_form_raise_value_error(value):
    with pytest.raises(ValueError):
        canonical_json(value)


def test_lone_surrogate_goes_to_the_reference():
    value = {"x": "\ud800"}
    try:
        expected = _reference(value)
    except (ValueError, UnicodeEncodeError) as exc:
        with pytest.raises(type(exc)):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected
