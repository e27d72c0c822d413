"""The learned transliteration likelihood (``translit``) and how accord-name-v4 uses it."""

from __future__ import annotations

import time

import pytest

from accord.engine.matching import Person
from accord.engine.matching import translit as t
from accord.engine.matching.algorithm import V3, V4, calibrated
from accord.engine.matching.calibrate import fit_logistic_newton
from accord.engine.matching.features import Pair, name_transliteration, transliteration


def _p(latin: str, other: str) -> float:
    tokens = tuple(latin.lower().split())
    reverse = t.model_letters(tuple(reversed(tokens)))
    return t.probability(t.model_letters(tokens), reverse, t.covered(other))


@pytest.mark.parametrize(
    ("latin", "other"),
    [
        ("gauck", "高克"),  # ICU: gao ke
        ("levinson", "李文森"),  # li wen sen
        ("milic", "ミリーチ"),
        ("sokuseiin", "速成院"),  # a Japanese reading; ICU gives the Chinese one
        ("putin", "Путин"),
        ("abbondanzieri", "أبوندازيري"),
    ],
)
def test_transliterations_the_rules_miss_are_likely(latin: str, other: str) -> None:
    assert _p(latin, other) > 0.7


@pytest.mark.parametrize(
    ("latin", "other"),
    [("gauck", "李文森"), ("levinson", "高克"), ("smith", "Путин"), ("milic", "速成院")],
)
def test_other_names_are_unlikely(latin: str, other: str) -> None:
    assert _p(latin, other) < 0.3


def test_hebrew_hangul_and_latin_are_not_covered() -> None:
    assert t.covered("נתניהו") == t.covered("김정은") == t.covered("Putin") == ""
    assert t.covered("Путин") == "путин"
    assert t.covered("ミリーチ") == "ミリーチ"  # the long-vowel mark is kept


def test_the_feature_is_neutral_where_it_does_not_apply() -> None:
    for a, b in [("Benjamin Netanyahu", "בנימין נתניהו"), ("John Smith", "Jane Smith")]:
        pair = Pair(Person((a,)), Person((b,)))
        assert name_transliteration(pair).score == 0.0
        # no transliteration evidence: v4 scores these pairs as v3 does
        assert V4.score(Person((a,)), Person((b,))) == V3.score(Person((a,)), Person((b,)))


def test_v4_matches_what_v3_missed_and_explains_it() -> None:
    result = V4.compare(Person(("Gauck",)), Person(("高克",)))
    assert result.match and not V3.compare(Person(("Gauck",)), Person(("高克",))).match
    reason = result.explanation["name_transliteration"]
    assert reason["score"] > 0.8 and "Gauck / 高克" in str(reason["reason"])
    assert not V4.compare(Person(("Levinson",)), Person(("高克",))).match


def test_names_of_several_words_are_compared_part_by_part() -> None:
    # every part must be likely: the weakest decides
    assert transliteration(("vladimir", "putin"), t.covered("Владимир Путин")) > 0.8
    assert transliteration(("putin", "vladimir"), t.covered("Владимир Путин")) > 0.8
    assert transliteration(("muhamad", "ali"), t.covered("احمد علي")) < 0.3
    # a part more or less: neutral, the rules compare those
    assert transliteration(("vladimir", "putin"), t.covered("Владимир Владимирович Путин")) == 0
    # particles are left out on both sides (بن: bin)
    assert t.covered("محرز بن محمود") == "محرز محمود"
    assert t.covered("唐纳德·特朗普") == "唐纳德 特朗普"


def test_a_family_name_first_is_read_either_way() -> None:
    assert _p("shinzo abe", "安倍晋三") == _p("abe shinzo", "安倍晋三")


def test_hostile_lengths_are_cut_and_fast() -> None:
    start = time.perf_counter()
    value = _p("a" * 5000, "高" * 5000)
    assert 0.0 <= value <= 1.0
    assert len(t.covered("高" * 5000)) == t.MAX_CHARS
    assert len(t.covered(" ".join(["Путин"] * 2000)).replace(" ", "")) == t.MAX_CHARS
    assert time.perf_counter() - start < 5  # generous: the cut bounds the forward pass
    assert t.probability("", "", "高克") == t.probability("gauck", "gauck", "") == 0.0


def test_crossed_pairs_have_their_own_calibration() -> None:
    assert V4.crossed_calibration and V4.calibration == V3.calibration
    assert V4.crossed_calibration[-1] == (1.0, 1.0)
    xs = [x for x, _ in V4.crossed_calibration]
    ys = [y for _, y in V4.crossed_calibration]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    assert calibrated(1.0, V4.crossed_calibration) == 1.0


def test_logistic_fit_with_offsets_fits_only_the_new_weight() -> None:
    # y depends on x through a known log-odds 2x + offset; the fit recovers 2 with no bias
    rows, labels, offsets = [], [], []
    for i in range(400):
        x = (i % 20) / 10 - 1.0
        off = ((i * 7) % 11) / 5 - 1.0
        z = 2.0 * x + off
        p = 1 / (1 + 2.718281828**-z)
        rows.append([x])
        labels.append(1 if (i * 37 % 100) / 100 < p else 0)
        offsets.append(off)
    (w,), bias = fit_logistic_newton(rows, labels, offsets=offsets, intercept=False)
    assert bias == 0.0
    assert 1.0 < w < 3.5
