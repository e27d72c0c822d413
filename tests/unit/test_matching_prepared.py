"""The precomputed fast path (``prepared.py``) gives the feature functions' numbers exactly."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from accord.engine.matching import DEFAULT, Person, WatchlistIndex
from accord.engine.matching import features as f
from accord.engine.matching.algorithm import V1, V2_FEATURES, V3, V4, Algorithm, Weighted
from accord.engine.matching.normalize import name_form
from accord.engine.matching.prepared import FAST_FEATURES, feature_values, prepare
from accord.engine.matching.synthetic import generate, queries

#: Hand-made pairs for the corners: empty and particle-only names, initials, scripts, dates,
#: nationalities, genders, documents.
CORNERS = [
    (Person(("",)), Person(("",))),
    (Person(()), Person(("Ivan Petrov",))),
    (Person(("al bin abu",)), Person(("Muhammad",))),
    (Person(("S. Lasoin",)), Person(("Sergei Lasoin", "Сергей Ласоин"))),
    (Person(("محمد التميمي",), "1980-01-01"), Person(("Mohammed al-Tamimi",), "1980-01-01")),
    (Person(("Hdad Omar",), "1980-03-04"), Person(("حداد عمر",), "1980-04-03")),
    (Person(("Zhang Xiaoming",), "1980"), Person(("张小明",), "1980-05-06")),
    (Person(("Ivan Иванов",), "~1981"), Person(("Ivan Ivanov",), "1978..1982")),
    (Person(("Anna Smith",), "1970-01-01"), Person(("Anna Smith",), "1980-04-03")),
    (Person(("Anna Smith",), "1980-04-13"), Person(("Anna Smith",), "1980-04-03")),
    (Person(("Anna Smith",), "garbage"), Person(("Anna Smith",), "1980-13-45")),
    (
        Person(("x y",), nationalities=("sy ", "fr"), gender="m", documents=("ab-12 o34",)),
        Person(("x y",), nationalities=("SY",), gender="female", documents=("AB12034", "")),
    ),
    (
        Person(("Juan",), nationalities=("ES",), gender="M"),
        Person(("Juan",), nationalities=("RU",)),
    ),
    (Person(("Ahmed Khalil",)), Person(("Muhammad Khalil", "Mohammed Khalil", "محمد خليل"))),
    # names across the scripts the transliteration model covers (name_transliteration)
    (Person(("Gauck",)), Person(("高克", "Гаук"))),
    (Person(("李文森", "Levinson")), Person(("Levinson",), "1980")),
    (Person(("Milic Petrovic",)), Person(("ミリーチ", "Милич Петрович", "ميليتش"))),
    (Person(("Vladimir Ivanov", "Владимир Иванов")), Person(("Иванов Владимир",))),
    (Person(("נתניהו",)), Person(("Netanyahu", "김정은"))),
]


def _reference(query: Person, candidate: Person) -> tuple[float, ...]:
    pair = f.Pair(query, candidate)
    return tuple(fn(pair).score for fn in FAST_FEATURES)


def _synthetic_pairs(count: int) -> list[tuple[Person, Person]]:
    entries = list(generate(3000, seed=21))
    index = WatchlistIndex()
    index.add_many(e.person for e in entries)
    rng = random.Random(3)
    pairs = []
    for q in queries(entries, {e.identity for e in entries}, count, seed=22):
        for person in (q.person, replace(q.person, birth_date="", nationalities=())):
            for slot in index.candidates(person, 8):
                pairs.append((person, entries[slot].person))
            pairs.append((person, entries[rng.randrange(len(entries))].person))
    return pairs


def test_fast_features_equal_feature_functions() -> None:
    pairs = CORNERS + [(b, a) for a, b in CORNERS] + _synthetic_pairs(300)
    assert len(pairs) > 2000
    memo: dict[tuple[str, str, bool], float] = {}
    for query, candidate in pairs:
        assert feature_values(prepare(query), prepare(candidate), memo) == _reference(
            query, candidate
        ), (query, candidate)


@pytest.mark.parametrize("algorithm", [DEFAULT, V3, V1], ids=lambda a: a.name)
def test_score_prepared_equals_score(algorithm: Algorithm) -> None:
    assert algorithm.supports_prepared
    memo: dict[tuple[str, str, bool], float] = {}
    for query, candidate in CORNERS + _synthetic_pairs(60):
        fast = algorithm.score_prepared(prepare(query), prepare(candidate), memo)
        assert fast == algorithm.score(query, candidate)


def test_aliases_with_the_same_tokens_are_prepared_once() -> None:
    names = ("Mohammed Khalil", "MOHAMMED  khalil", "Muhammad Khalil", "محمد خليل", "Khalil")
    p = prepare(Person(names))
    forms = [name_form(n) for n in names]
    distinct = {(f._content(form)[0], form.script == "Arab") for form in forms}
    assert len(p.names) == len(distinct) < len(names)
    assert p.names[0].tokens == f._content(forms[0])[0]


def test_an_algorithm_with_other_features_falls_back_to_pairs() -> None:
    def first_letter(pair: f.Pair) -> f.FeatureResult:
        same = pair.query.names[0][:1] == pair.candidate.names[0][:1]
        return f.FeatureResult(float(same), "same first letter")

    features = (*DEFAULT.features, Weighted("first_letter", first_letter, 1.0))
    algorithm = Algorithm("test", "1", features, DEFAULT.bias, DEFAULT.threshold)
    assert not algorithm.supports_prepared
    with pytest.raises(ValueError, match="prepared form"):
        algorithm.score_prepared(prepare(Person(("a",))), prepare(Person(("a",))), {})
    index = WatchlistIndex(algorithm)
    index.add(Person(("Vladimir Ivanov",), id="v"))
    index.add(Person(("Boris Smirnov",), id="b"))
    query = Person(("Ivanov Vladimir",))
    top = index.search(query)
    assert top[0].person.id == "v"
    assert top[0].score == algorithm.score(query, top[0].person)


def test_feature_order_of_v2_is_the_fast_order() -> None:
    assert tuple(fn for _, fn in V2_FEATURES) == FAST_FEATURES[: len(V2_FEATURES)]


@pytest.mark.parametrize("algorithm", [V3, V4], ids=lambda a: a.name)
def test_v3_and_v4_are_scored_from_prepared_entries_in_the_fast_order(
    algorithm: Algorithm,
) -> None:
    assert algorithm.supports_prepared
    assert algorithm._fast_weights is not None  # its features follow FAST_FEATURES' order


def test_latin_and_covered_names_are_kept_for_the_transliteration() -> None:
    """The names that ``name_transliteration`` reads are kept apart from the aligned ones: a
    Cyrillic alias with a Latin alias's tokens is aligned once but read by the model."""
    p = prepare(Person(("Putin", "Путин", "PUTIN", "高克")))
    assert len(p.names) == 2  # Putin and Путин align alike: prepared once
    assert p.latin == (("putin",),)
    assert p.covered == ("путин", "高克")
