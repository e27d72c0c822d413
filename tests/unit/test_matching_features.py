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
    # a year or a range that holds the date is as much evidence as the same year, no more
    assert f.birth_date_match(p("1980-01-30", "1980-04-03")).score == 0.3
    assert f.birth_date_match(p("1980", "1980-04-03")).score == 0.3
    assert f.birth_date_match(p("1978..1982", "1980-04-03")).score == 0.3
    assert f.birth_date_match(p("~1981", "1980-04-03")).score == 0.3
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
