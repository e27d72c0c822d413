# ruff: noqa: RUF001, RUF003
"""Feature functions, normalisation bad input, the index, and the Arabic-Latin pairs."""

from __future__ import annotations

from accord.engine.matching import DEFAULT, Person, WatchlistIndex
from accord.engine.matching import features as f
from accord.engine.matching.normalize import clean, name_form, romanise, scripts_in


def pair(a: Person, b: Person) -> f.Pair:
    return f.Pair(a, b)


def test_birth_dates() -> None:
    p = lambda a, b: pair(Person(("x",), a), Person(("x",), b))  # noqa: E731
    assert f.birth_date_match(p("1980-03-04", "1980-03-04")).score == 1.0
    assert f.birth_date_match(p("1980-03-04", "1980-04-03")).score == 0.8
    assert f.birth_date_match(p("1980", "1980-04-03")).score == 0.5
    assert f.birth_date_match(p("1978..1982", "1980-04-03")).score == 0.5
    assert f.birth_date_match(p("~1981", "1980-04-03")).score == 0.5
    assert f.birth_date_mismatch(p("1970-01-01", "1980-04-03")).score == 1.0
    assert f.birth_date_match(p("garbage", "1980")).score == 0.0


def test_other_features() -> None:
    a = Person(("x",), nationalities=("SY",), gender="m", documents=("ab-12 o34",))
    b = Person(("x",), nationalities=("SY",), gender="female", documents=("AB12034",))
    assert f.nationality_match(pair(a, b)).score == 1.0
    assert f.gender_mismatch(pair(a, b)).score == 1.0
    assert f.document_match(pair(a, b)).score == 1.0
    c = Person(("x",), nationalities=("RU",))
    assert f.nationality_mismatch(pair(a, c)).score == 1.0


def test_bad_input() -> None:
    assert DEFAULT.compare(Person(("",)), Person(("",))).match is False
    assert DEFAULT.compare(Person(("al bin abu",)), Person(("Muhammad",))).match is False
    assert clean("Jo\u200bhn\u0000 Smith\u202e") == "john  smith"
    assert romanise("Аlexander") == "alexander"  # Cyrillic А folded
    assert scripts_in("Ivan Иванов") == ("Latn", "Cyrl")
    assert DEFAULT.compare(Person(("Ivan Иванов",)), Person(("Ivan Ivanov",))).match
    assert name_form("Muhammad").skeletons == name_form("محمد").skeletons


def test_index_add_revoke() -> None:
    index = WatchlistIndex()
    index.add(Person(("محمد التميمي",), "1980-01-01", id="a"))
    index.add(Person(("Владимир Иванов",), id="b"))
    assert index.search(Person(("Mohammed al-Tamimi",)))[0].person.id == "a"
    assert index.revoke("a") and not index.revoke("a")
    assert all(c.person.id != "a" for c in index.search(Person(("Mohammed al-Tamimi",))))
    index.add(Person(("Mohamed Tamimi",), id="a"))
    assert index.search(Person(("Mohammed al-Tamimi",)))[0].person.id == "a"
    assert len(index) == 2


def test_ar2en_pairs(shared_data) -> None:
    lines = (shared_data / "names-ar2en" / "ar2en-eval.txt").read_text("utf-8").splitlines()
    rows = [ln.split("\t") for ln in lines if "\t" in ln]
    hits = sum(DEFAULT.compare(Person((ar,)), Person((en,))).match for ar, en in rows)
    recall = hits / len(rows)
    print(f"ar2en recall {recall:.3f} on {len(rows)} pairs")
    assert recall >= RECALL_FLOOR


#: Measured 0.491 (1431 pairs) with accord-name-v2 (accord-name-v1: 0.784): a known regression,
#: the v2 threshold is fitted on synthetic hard negatives that make name-only matching strict
#: (docs/matching.md). The floor keeps a margin.
RECALL_FLOOR = 0.46
