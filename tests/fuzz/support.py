"""What every fuzz target shares: the run profile, a time bound per input, and input strategies.

Profiles (``ACCORD_FUZZ_PROFILE``):

- ``ci`` (default, part of ``make test``): 200 inputs per parser and 50 per HTTP target,
  generated from a fixed seed (``derandomize``) so that a run is repeatable and never fails on a
  new random input in someone else's change;
- ``long`` (``make fuzz``): random inputs, 5,000 per parser and 1,250 per HTTP target (minutes
  per target);
- ``ACCORD_FUZZ_EXAMPLES=N`` sets the number of inputs per parser of either profile (the HTTP
  targets get a quarter of it).

Strategies are structure-aware: a real document from ``tests/fixtures/`` (and from
``../shared/data`` where present, read in place) mutated a few times: bytes dropped, duplicated,
swapped or garbled; units (segments, lines, elements) dropped, duplicated or shuffled; separators
swapped; tokens known to hurt parsers spliced in (NUL and control characters, invalid UTF-8,
byte-order marks, huge and non-finite numbers, deep nesting); the document cut short. For JSON,
values anywhere in the tree are also replaced by hostile ones before serialising. Raw bytes are
drawn too.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = [
    "EXECUTIONS",
    "FIXTURES",
    "HOSTILE_TOKENS",
    "HTTP",
    "PARSER",
    "SHARED_DATA",
    "HangError",
    "check_refusal",
    "check_text",
    "hostile_json",
    "json_documents",
    "mutated",
    "seeds",
    "serialised",
    "time_bound",
    "tree_mutated",
]

FIXTURES: Final = Path(__file__).resolve().parents[1] / "fixtures"
SHARED_DATA: Final = Path(__file__).resolve().parents[3] / "shared" / "data"

PROFILE: Final = os.environ.get("ACCORD_FUZZ_PROFILE", "ci")
if PROFILE not in ("ci", "long"):
    raise RuntimeError(f"ACCORD_FUZZ_PROFILE={PROFILE!r}: choose ci or long")
_EXAMPLES: Final = int(
    os.environ.get("ACCORD_FUZZ_EXAMPLES") or (200 if PROFILE == "ci" else 5_000)
)

#: The longest one input may take before the run fails as a hang (seconds): far above what any
#: input here costs, so that a slow shared machine does not fail the run, while a parser caught
#: in a loop does.
TIME_BOUND: Final = 20.0

_COMMON: Final[dict[str, Any]] = {
    "database": None,
    "derandomize": PROFILE == "ci",
    "print_blob": True,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
    ],
}
#: Settings of a parser target: the per-input deadline is hypothesis's own time bound (a slow
#: input is reported with the time it took); :func:`time_bound` stops a real hang.
PARSER: Final = settings(max_examples=_EXAMPLES, deadline=5000, **_COMMON)
#: Settings of a target reached over HTTP with a database behind it (fewer, slower inputs).
HTTP: Final = settings(max_examples=max(20, _EXAMPLES // 4), deadline=15000, **_COMMON)

#: Inputs run and seconds spent per test (the fuzz ``conftest`` prints them after the run).
EXECUTIONS: Final[dict[str, list[float]]] = {}


class HangError(AssertionError):
    """One input took longer than :data:`TIME_BOUND`."""


@contextmanager
def time_bound(seconds: float = TIME_BOUND) -> Iterator[None]:
    """Fail the input with :class:`HangError` when it runs longer than ``seconds`` (a real
    timer signal: a parser caught in a loop is interrupted, not waited for)."""

    def expire(signum: int, frame: Any) -> None:
        raise HangError(f"one input took longer than {seconds:.0f} s")

    test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.perf_counter()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        counts = EXECUTIONS.setdefault(test, [0, 0.0])
        counts[0] += 1
        counts[1] += time.perf_counter() - started


def seeds(*names: str, shared: str = "") -> list[bytes]:
    """The bytes of fixture files (paths under ``tests/fixtures/``), and of every file of the
    ``../shared/data/<shared>`` folder where it exists (read in place, never copied)."""
    out = [(FIXTURES / name).read_bytes() for name in names]
    folder = SHARED_DATA / shared if shared else None
    if folder is not None and folder.is_dir():
        out.extend(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())
    return out


#: Byte strings that break parsers: NUL and other control characters, invalid UTF-8 (a lone
#: continuation byte, a cut sequence, an encoded surrogate, an over-long form), byte-order marks,
#: the typographic apostrophe, huge and odd numbers, markup and quoting characters.
HOSTILE_TOKENS: Final[tuple[bytes, ...]] = (
    b"\x00",
    b"\x01",
    b"\x1a",
    b"\x7f",
    b"\t",
    b"\r\n",
    b"\n",
    b"\r",
    b"\x80",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    "\u2019".encode(),
    "\u202e".encode(),
    "\u200b".encode(),
    "\U0001f600".encode(),
    b"9" * 5000,  # past Python's digit limit for int()
    b"-" + b"9" * 40,
    b"18446744073709551616",
    b"9223372036854775808",
    b"1e999",
    b"-0",
    b"NaN",
    b"Infinity",
    b"\\u0000",
    b"\\ud800",
    b'"',
    b"\\",
    b"'",
    b"?",
    b"+",
    b":",
    b"*",
    b"$",
    b",",
    b";",
    b"|",
    b"<",
    b">",
    b"&",
    b"]]>",
    b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
    b"&a;",
    b"{",
    b"}",
    b"[",
    b"]",
    b"[" * 70 + b"]" * 70,
    b'{"a":' * 70 + b"1" + b"}" * 70,
    b"[" * 5000,
    b"A" * 600,
    "\u0645\u062d\u0645\u062f".encode(),
)


def _span(data: bytes, a: int, b: int) -> tuple[int, int]:
    lo, hi = sorted((a % (len(data) + 1), b % (len(data) + 1)))
    return lo, hi


@st.composite
def _mutation(draw: st.DrawFn, data: bytes, units: bytes) -> bytes:
    op = draw(st.integers(0, 11))
    a, b = draw(st.integers(0, 1 << 20)), draw(st.integers(0, 1 << 20))
    lo, hi = _span(data, a, b)
    if op == 0:  # cut short
        return data[:lo]
    if op == 1:  # drop a span
        return data[:lo] + data[hi:]
    if op == 2:  # duplicate a span
        return data[:hi] + data[lo:hi] + data[hi:]
    if op == 3:  # splice in a hostile token
        return data[:lo] + draw(st.sampled_from(HOSTILE_TOKENS)) + data[lo:]
    if op == 4:  # overwrite bytes with random ones
        noise = draw(st.binary(min_size=1, max_size=8))
        return data[:lo] + noise + data[lo + len(noise) :]
    if op == 5:  # flip one bit
        if not data:
            return data
        i = lo % len(data)
        return data[:i] + bytes([data[i] ^ (1 << draw(st.integers(0, 7)))]) + data[i + 1 :]
    if op == 6:  # swap two spans
        c, d = _span(data, draw(st.integers(0, 1 << 20)), draw(st.integers(0, 1 << 20)))
        if hi <= c:
            return data[:lo] + data[c:d] + data[hi:c] + data[lo:hi] + data[d:]
        return data
    if op == 7:  # repeat the document (two in a row)
        return data + data[lo:]
    if not units:
        return data[:lo] + draw(st.sampled_from(HOSTILE_TOKENS)) + data[hi:]
    # unit-level: split on one of the separators, then drop / duplicate / shuffle / garble
    sep = bytes([draw(st.sampled_from(units))])
    parts = data.split(sep)
    if len(parts) < 2:
        return data.replace(sep, draw(st.sampled_from(HOSTILE_TOKENS)), 1)
    i, j = lo % len(parts), hi % len(parts)
    if op == 8:
        del parts[i]
    elif op == 9:
        parts.insert(j, parts[i])
    elif op == 10:
        parts[i], parts[j] = parts[j], parts[i]
    else:  # the separator replaced by another one, everywhere or once
        other = bytes([draw(st.sampled_from(units))])
        return data.replace(sep, other) if draw(st.booleans()) else data.replace(sep, other, 1)
    return sep.join(parts)


@st.composite
def _mutated(draw: st.DrawFn, documents: Sequence[bytes], units: bytes, most: int) -> bytes:
    data = draw(st.sampled_from(documents))
    for _ in range(draw(st.integers(1, most))):
        data = draw(_mutation(data, units))
    return data


def mutated(
    documents: Sequence[bytes],
    *,
    units: bytes = b"",
    most: int = 6,
    raw_size: int = 2048,
    extra: Sequence[st.SearchStrategy[bytes]] = (),
) -> st.SearchStrategy[bytes]:
    """A document of ``documents`` mutated 1 to ``most`` times (``units``: the separator
    characters of the format, for unit-level mutations), the documents unchanged, or raw
    bytes."""
    return st.one_of(
        _mutated(documents, units, most),
        st.sampled_from(list(documents)),
        st.binary(max_size=raw_size),
        *extra,
    )


# -- JSON --------------------------------------------------------------------------------------


def _long(n: int) -> st.SearchStrategy[str]:
    return st.builds(lambda c: c * n, st.sampled_from("Ax\u0645"))


_HOSTILE_SCALARS: Final = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.builds(
        lambda e, s: s * 10**e, st.sampled_from([18, 19, 20, 30, 400]), st.sampled_from([1, -1])
    ),
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 1e308, -0.0, float("nan"), float("inf")]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    _long(501),
    _long(1001),
    _long(70_000),
    st.sampled_from(
        [
            "",
            "\x00",
            "\ud800",
            "identity--00000000-0000-4000-8000-000000000000",
            "2026-02-30T00:00:00.000Z",
            "2026-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "bundle",
            "identity",
            "Person",
            "marking-definition--00000000-0000-4000-8000-000000000001",
        ]
    ),
)


def hostile_json(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """A JSON-like value built of hostile scalars, nested lists and objects."""
    return st.recursive(
        _HOSTILE_SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(
                st.one_of(st.text(max_size=12), st.sampled_from(["type", "id", "objects"])),
                inner,
                max_size=4,
            ),
        ),
        max_leaves=max_leaves,
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replace(v, rest, new) if k == head else v) for k, v in value.items()}
    return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(value)]


def _drop(value: Any, path: tuple[Any, ...]) -> Any:
    if len(path) == 1:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != path[0]}
        return [v for i, v in enumerate(value) if i != path[0]]
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_drop(v, rest) if k == head else v) for k, v in value.items()}
    return [(_drop(v, rest) if i == head else v) for i, v in enumerate(value)]


@st.composite
def tree_mutated(draw: st.DrawFn, values: Sequence[Any], most: int = 4) -> Any:
    """One of ``values`` (parsed JSON) with 1 to ``most`` values in its tree replaced by hostile
    ones, dropped, or wrapped in deep nesting."""
    value = draw(st.sampled_from(values))
    for _ in range(draw(st.integers(1, most))):
        paths = list(_paths(value))
        path = draw(st.sampled_from(paths))
        op = draw(st.integers(0, 3))
        if op == 0 and path:
            value = _drop(value, path)
        elif op == 1:
            depth = draw(st.sampled_from([8, 63, 64, 65, 200]))
            nested: Any = draw(_HOSTILE_SCALARS)
            for _ in range(depth):
                nested = [nested]
            value = _replace(value, path, nested)
        else:
            value = _replace(value, path, draw(hostile_json()))
    return value


def _dumps(value: Any, ascii_only: bool, indent: int | None) -> bytes:
    text = json.dumps(value, indent=indent, allow_nan=True, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


def serialised(values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """``values`` as JSON text: NaN and infinities written as Python does, non-ASCII written
    raw (a lone surrogate then becomes bytes that are not UTF-8) or escaped (``\\ud800``),
    compact or indented."""
    return st.builds(_dumps, values, st.booleans(), st.sampled_from([None, 1, 2]))


def json_documents(
    documents: Sequence[bytes], *, extra: Sequence[st.SearchStrategy[bytes]] = ()
) -> st.SearchStrategy[bytes]:
    """JSON documents: ``documents`` with hostile values in their trees, then perhaps mutated
    as bytes; the documents themselves mutated as bytes; raw bytes."""
    values = [json.loads(d) for d in documents if _loads(d)]
    tree = serialised(tree_mutated(values))
    return st.one_of(
        tree,
        tree.flatmap(lambda d: _mutated([d], b',:{}[]"\n', 3)),
        mutated(documents, units=b',:{}[]"\n'),
        *extra,
    )


def _loads(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def check_refusal(exc: Exception | str) -> None:
    """A refusal is a sentence for a person: not empty, no traceback, no interpreter internals."""
    message = str(exc)
    assert message.strip(), "an empty refusal message"
    for internal in ("Traceback", "sys.set_int_max_str_digits", "object at 0x", "Errno"):
        assert internal not in message, message


def check_text(value: Any, where: str = "") -> None:
    """Assert that every string in ``value`` is storable text (encodes as UTF-8: no lone
    surrogates)."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            item.encode("utf-8")
        elif isinstance(item, dict):
            stack.extend((v, f"{path}.{k}") for k, v in item.items())
            for key in item:
                if isinstance(key, str):
                    key.encode("utf-8")
        elif isinstance(item, list | tuple):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
