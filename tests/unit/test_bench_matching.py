# ruff: noqa: RUF001  (Cyrillic names are the point of the fixture)
"""``accord bench matching --pairs FILE.csv``: the metrics on fixed scores (hand-computed, not
tied to the matcher's current weights), the JSON it prints, its errors, and nomenklatura's
baseline (when installed): the check on obvious pairs, and bulk scores that match single ones."""

from __future__ import annotations

import csv
import json

import pytest

from accord.cli.main import main
from accord.engine.matching import Person, pairs_bench
from accord.engine.matching.pairs_bench import (
    LabelledPair,
    PairsBenchError,
    best_threshold,
    check_baseline,
    figures,
    measure,
    read_pairs,
    run_pairs_bench,
    script_pair,
)

HEADER = ["left", "right", "is_match", "schema", "left_birth_date", "right_birth_date"]
ROWS = [
    ["Vladimir Putin", "Владимир Путин", "1", "Person", "1952-10-07", "1952-10-07"],
    ["Angela Merkel", "Ангела Меркель", "yes", "", "", ""],
    ["John Smith", "John Smith", "true", "Person", "", ""],
    ["Maria Garcia", "Владимир Путин", "0", "Person", "", ""],
    ["John Smith", "Maria Garcia", "no", "Person", "", ""],
    ["Сергей Иванов", "Сергей Иванов", "1", "person", "", ""],
    ["Сергей Иванов", "Иван Петров", "false", "", "", ""],
    ["Gazprom", "Gazprom", "1", "Organization", "", ""],
    ["Acme Bakery", "Gazprom", "0", "Organization", "", ""],
]
KEYS = {
    "pairs",
    "precision",
    "recall",
    "f1",
    "threshold",
    "best_threshold",
    "best_f1",
    "by_schema",
    "by_script",
    "pairs_per_s",
    "baseline",
}
GROUP_KEYS = {"pairs", "positives", "precision", "recall", "f1"}


def write_csv(path, rows, header=HEADER):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def pairs_file(tmp_path):
    return write_csv(tmp_path / "pairs.csv", ROWS)


def labelled(schema, left, right, is_match):
    return LabelledPair(
        0, schema, Person((left,)), Person((right,)), is_match, script_pair(left, right)
    )


# -- metrics on fixed scores -----------------------------------------------------------------


def test_figures_hand_computed():
    scores = [0.9, 0.8, 0.6, 0.4, 0.3, 0.1]
    labels = [True, False, True, True, False, False]
    # at 0.5: tp 2 (0.9, 0.6), fp 1 (0.8), fn 1 (0.4)
    assert figures(scores, labels, 0.5) == {
        "pairs": 6,
        "positives": 3,
        "precision": 0.6667,
        "recall": 0.6667,
        "f1": 0.6667,
    }
    # a score equal to the threshold is a match
    assert figures(scores, labels, 0.4)["recall"] == 1.0
    # nothing predicted, nothing to find: 0.0, never a division by zero
    assert figures(scores, labels, 0.95) == {
        "pairs": 6,
        "positives": 3,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    assert figures([0.2], [False], 0.5)["f1"] == 0.0


def test_best_threshold_hand_computed():
    scores = [0.9, 0.8, 0.6, 0.4, 0.3, 0.1]
    labels = [True, False, True, True, False, False]
    # F1 at each observed score: 0.5, 0.4, 0.667, 0.857 (tp 3, fp 1), 0.75, 0.667
    assert best_threshold(scores, labels) == (0.4, 0.8571)
    # tied scores go together: at 0.5 both pairs are matches (F1 0.5); at 0.2 F1 is 0.8
    assert best_threshold([0.5, 0.5, 0.2], [True, False, True]) == (0.2, 0.8)
    # on equal F1 the higher threshold wins
    assert best_threshold([0.9, 0.1], [True, False]) == (0.9, 1.0)
    assert best_threshold([], []) == (0.0, 0.0)
    assert best_threshold([0.3, 0.7], [False, False]) == (0.7, 0.0)


def test_measure_by_schema_and_script_on_fixed_scores():
    pairs = [
        labelled("Person", "John Smith", "Jon Smith", True),  # 0.9, tp
        labelled("Person", "Angela Merkel", "Ангела Меркель", True),  # 0.2, fn
        labelled("Person", "Иван Петров", "Иван Петров", True),  # 0.8, tp
        labelled("Person", "John Smith", "Maria Garcia", False),  # 0.6, fp
        labelled("Organization", "Gazprom", "Газпром", True),  # 0.7, tp
        labelled("Organization", "Acme", "Gazprom", False),  # 0.1, tn
    ]
    scores = [0.9, 0.2, 0.8, 0.6, 0.7, 0.1]
    result = measure(pairs, scores, 0.5, seconds=2.0)
    assert KEYS - {"baseline"} <= set(result)
    assert result["pairs"] == 6
    assert (result["precision"], result["recall"], result["f1"]) == (0.75, 0.75, 0.75)
    assert result["threshold"] == 0.5
    assert result["pairs_per_s"] == 3.0
    assert list(result["by_schema"]) == ["Person", "Organization"]
    assert result["by_schema"]["Person"] == {
        "pairs": 4,
        "positives": 3,
        "precision": 0.6667,
        "recall": 0.6667,
        "f1": 0.6667,
    }
    assert result["by_schema"]["Organization"]["f1"] == 1.0
    assert list(result["by_script"]) == ["latin/latin", "latin/other", "other/other"]
    assert result["by_script"]["latin/latin"] == {
        "pairs": 3,
        "positives": 1,
        "precision": 0.5,
        "recall": 1.0,
        "f1": 0.6667,
    }
    assert result["by_script"]["latin/other"]["recall"] == 0.5  # Merkel missed, Gazprom found
    assert result["by_script"]["other/other"]["f1"] == 1.0


def test_script_pair():
    assert script_pair("John Smith", "Jon Smith") == "latin/latin"
    assert script_pair("Владимир Путин", "Vladimir Putin") == "latin/other"
    assert script_pair("Vladimir Putin", "Владимир Путин") == "latin/other"
    assert script_pair("محمد علي", "Сергей") == "other/other"
    # mostly Latin: one Cyrillic letter does not make a name Cyrillic
    assert script_pair("Mаria Garcia", "Maria Garcia") == "latin/latin"


# -- reading the file ------------------------------------------------------------------------


def test_read_pairs(pairs_file):
    pairs = read_pairs(pairs_file)
    assert len(pairs) == len(ROWS)
    assert [p.is_match for p in pairs] == [True, True, True, False, False, True, False, True, False]
    assert pairs[1].schema == "Person"  # empty schema: Person
    assert pairs[5].schema == "Person"  # case-insensitive
    assert pairs[7].schema == "Organization"
    assert pairs[0].left == Person(("Vladimir Putin",), "1952-10-07", schema="Person")
    assert pairs[0].row == 1


# -- through the CLI -------------------------------------------------------------------------


def test_cli_json(pairs_file, capsys, monkeypatch):
    monkeypatch.setattr(pairs_bench, "PROGRESS_MIN_PAIRS", 1)  # progress even on 9 pairs
    code = main(["bench", "matching", "--pairs", str(pairs_file), "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1, "one JSON object on stdout, progress on stderr"
    result = json.loads(lines[0])
    assert set(result) >= KEYS
    assert result["pairs"] == len(ROWS)
    assert result["positives"] == 5
    for key in ("precision", "recall", "f1", "best_f1"):
        assert 0.0 <= result[key] <= 1.0
    assert result["best_f1"] >= result["f1"]
    assert result["pairs_per_s"] > 0
    assert set(result["by_schema"]) == {"Person", "Organization"}
    assert set(result["by_script"]) == {"latin/latin", "latin/other", "other/other"}
    assert result["by_script"]["latin/other"]["pairs"] == 3
    for group in (*result["by_schema"].values(), *result["by_script"].values()):
        assert set(group) == GROUP_KEYS
    assert sum(g["pairs"] for g in result["by_schema"].values()) == len(ROWS)
    assert isinstance(result["baseline"], dict)
    assert "%" in err  # the progress bar


def test_cli_table(pairs_file, capsys):
    assert main(["bench", "matching", "--pairs", str(pairs_file)]) == 0
    out = capsys.readouterr().out
    assert "precision" in out
    assert "schema Organization" in out
    assert "script latin/other" in out


def test_no_baseline_says_so(pairs_file, monkeypatch):
    monkeypatch.setattr(pairs_bench, "nomenklatura_baseline", lambda pairs, progress=None: None)
    result = run_pairs_bench(pairs_file)
    assert result["baseline"] == {}
    assert "nomenklatura not installed" in result["baseline_skipped"]
    assert "nomenklatura not installed" in pairs_bench.table(result)


@pytest.mark.parametrize(
    ("rows", "header", "words"),
    [
        (None, None, ["cannot read", "missing.csv"]),
        ([], [], ["is empty", "left, right, is_match"]),
        ([], HEADER, ["no pairs"]),
        ([["a", "b"]], ["left", "right"], ["lacks column(s) is_match", "found: left, right"]),
        ([["a", "b", "1"]], ["name", "other", "is_match"], ["lacks column(s) left, right"]),
        (
            [["John Smith", "Jon Smith", "1"], ["Ann Lee", "Anne Lee", "maybe"]],
            ["left", "right", "is_match"],
            ["row 2 (line 3)", "'maybe'", "1/0, true/false or yes/no"],
        ),
        ([["John Smith", "", "1"]], ["left", "right", "is_match"], ["row 1", "right is empty"]),
        (
            [["John Smith", "Jon Smith", "1", "Spaceship"]],
            ["left", "right", "is_match", "schema"],
            ["row 1", "'Spaceship'", "Person, Organization"],
        ),
    ],
)
def test_cli_errors(tmp_path, capsys, rows, header, words):
    path = tmp_path / "missing.csv"
    if rows is not None:
        write_csv(path, rows, header)
    assert main(["bench", "matching", "--pairs", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("accord bench matching: ")
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_cli_needs_pairs_and_a_known_algorithm(pairs_file, capsys):
    assert main(["bench", "matching"]) == 2
    assert "give --pairs FILE.csv" in capsys.readouterr().err
    assert main(["bench", "matching", "--pairs", str(pairs_file), "--algorithm", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown algorithm 'nope'" in err
    assert "accord-name-v2" in err


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("left,right,is_match\nJosé,Jose,1\n".encode("latin-1"))
    with pytest.raises(PairsBenchError, match="not UTF-8"):
        read_pairs(path)


# -- the baseline's guard --------------------------------------------------------------------


def test_check_baseline_refuses_a_broken_harness():
    # every pair 0 (the symptom of a broken bulk run)
    with pytest.raises(PairsBenchError, match="obvious pairs"):
        check_baseline(lambda schema, left, right: 0.0, "zeros")
    # stale answers (names cached under a reused id): non-matches score like matches
    with pytest.raises(PairsBenchError, match="obvious pairs"):
        check_baseline(lambda schema, left, right: 0.9, "stale")
    # a sound scorer passes and says what it scored
    scored = check_baseline(lambda schema, left, right: float(left == right or "Merkel" in left))
    assert scored["Gazprom / Gazprom"] == 1.0
    assert scored["Maria Garcia / Vladimir Putin"] == 0.0


def test_nomenklatura_baseline_scores_matches():
    pytest.importorskip("nomenklatura")
    from followthemoney import model
    from nomenklatura.matching import get_algorithm

    for name in ("logic-v1", "logic-v2"):
        score = pairs_bench._nomenklatura_scorer(get_algorithm(name))
        scored = check_baseline(pairs_bench._by_names(model, score), name)
        for _, left, right in pairs_bench.OBVIOUS_MATCHES:
            assert scored[f"{left} / {right}"] > 0, (name, left, right)
    pairs = [
        labelled("Person", "John Smith", "Jon Smith", True),
        labelled("Person", "Angela Merkel", "Ангела Меркель", True),
        labelled("Person", "Vladimir Putin", "Владимир Путин", True),
        labelled("Person", "John Smith", "Maria Garcia", False),
        labelled("Organization", "Gazprom", "Gazprom", True),
        labelled("Company", "Rosneft Oil Company", "Rosneft Oil Company", True),
    ]
    result = pairs_bench.nomenklatura_baseline(pairs)
    assert set(result) == {"logic-v1", "logic-v2"}
    for name, figures_ in result.items():
        assert "error" not in figures_, figures_
        assert KEYS - {"baseline"} <= set(figures_)
        assert figures_["threshold"] == 0.7
        assert figures_["version"].startswith("nomenklatura ")
        assert figures_["precision"] == 1.0, name
        assert figures_["recall"] >= 0.6, name  # most obvious matches at 0.7
        assert "warning" not in figures_
    # in bulk, Merkel and Putin after John Smith: with a reused entity id logic-v2 read John
    # Smith's cached names and scored them 0.5; fresh ids give each pair its own names
    assert result["logic-v2"]["by_script"]["latin/other"]["recall"] == 1.0


def test_nomenklatura_guard_catches_reused_ids():
    pytest.importorskip("nomenklatura")
    from followthemoney import model
    from nomenklatura.matching import get_algorithm

    algorithm = get_algorithm("logic-v2")
    config = algorithm.default_config()

    def reused_ids(schema, left, right):  # the old harness: the same two ids for every pair
        query, result = model.make_entity(schema), model.make_entity(schema)
        query.id, result.id = "test-reused-q", "test-reused-r"
        query.add("name", left)
        result.add("name", right)
        return algorithm.compare(query, result, config).score

    with pytest.raises(PairsBenchError, match="obvious pairs"):
        check_baseline(reused_ids, "logic-v2")
