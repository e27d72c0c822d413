"""The compiled matching engine (``accord.engine.matching.native``): used only when fresh, and
giving the same results as the Python sources."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from accord.engine.matching import native
from accord.engine.matching.algorithm import DEFAULT
from accord.engine.matching.features import BirthDate, FeatureResult, Person, parse_birth_date
from accord.engine.matching.index import Candidate

_SCREEN = """
import json, sys
from accord.engine.matching import native
from accord.engine.matching.index import WatchlistIndex
from accord.engine.matching.synthetic import generate, queries
entries = list(generate(3000, seed=3))
index = WatchlistIndex()
index.add_many(e.person for e in entries)
qs = queries(entries, {e.identity for e in entries}, 400, seed=4)
out = [[(c.slot, c.score) for c in index.search(q.person, limit=3)] for q in qs]
out += [[(c.slot, c.score) for c in r] for r in index.search_many([q.person for q in qs], 3)]
print(json.dumps({"engine": native.status(), "results": out}))
"""


def _screen(native_on: bool) -> dict[str, object]:
    env = {**os.environ, "ACCORD_MATCHING_NATIVE": "1" if native_on else "0"}
    done = subprocess.run(
        [sys.executable, "-c", _SCREEN], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_compiled_engine_screens_as_the_python_sources() -> None:
    if not native.status().startswith("compiled"):
        pytest.skip(f"no fresh compiled build here: {native.status()}")
    compiled, python = _screen(True), _screen(False)
    assert str(compiled["engine"]).startswith("compiled")
    assert python["engine"] == "pure Python (ACCORD_MATCHING_NATIVE=0)"
    assert compiled["results"] == python["results"]


def test_a_stale_or_missing_build_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(native, "_status", native.status())  # restored afterwards
    monkeypatch.setattr(native, "NATIVE_DIR", tmp_path)
    monkeypatch.delenv("ACCORD_MATCHING_NATIVE", raising=False)
    assert native.load() is False
    assert native.status() == "pure Python (no compiled build: make native)"
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "cache_tag": sys.implementation.cache_tag,
                "sources": dict.fromkeys(native.MODULES, "0" * 64),
            }
        )
    )
    assert native.load() is False
    assert "stale" in native.status() and "index.py changed" in native.status()
    (tmp_path / "manifest.json").write_text(json.dumps({"cache_tag": "cpython-00"}))
    assert native.load() is False
    assert native.status() == "pure Python (compiled for another interpreter)"
    monkeypatch.setenv("ACCORD_MATCHING_NATIVE", "0")
    assert native.load() is False


def test_engine_values_pickle_and_copy() -> None:
    """Results cross process boundaries (batch workers): compiled or not, they pickle."""
    person = Person(("Ali Hassan", "علي حسن"), "1980-02-03", ("IQ",), "m", ("A123",), "id-1")
    birth = parse_birth_date("1980-02-03")
    assert isinstance(birth, BirthDate)
    company = Person(("Acme Trading GmbH",), schema="Company")
    values = [
        person,
        company,
        birth,
        FeatureResult(0.5, "why"),
        Candidate(7, person, 0.9),
        DEFAULT.compare(person, person),
    ]
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.deepcopy(value) == value
