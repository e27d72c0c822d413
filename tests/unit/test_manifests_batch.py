"""Batch CSV and JSON lines readers: columns, order, hostile values, refused files."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.engine.manifests import ManifestError, read_csv, read_jsonl, read_manifest
from accord.engine.manifests.csv_jsonl import normalise_birth_date

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"


def test_csv_columns_and_order():
    rows = read_csv((FIXTURES / "batch.csv").read_bytes())
    assert [t.id for t in rows] == ["p-1", "p-2", "p-3", "p-4"]
    assert [t.row for t in rows] == [1, 2, 3, 4]
    assert rows[0].names == ("Anna Maria Tester",)
    assert rows[0].place_of_birth == "Utrecht"
    assert rows[1].birth_date == "1981-03-12"  # DD.MM.YYYY
    assert rows[1].nationalities == ("IQ",)  # alpha-3 to alpha-2
    assert rows[1].documents[0].number == "A1234567"
    assert rows[2].problem == "no name to screen"


def test_csv_full_name_and_semicolons():
    data = b"full_name;date_of_birth;nationality\nKarim Mansour;1988;FR|DZ\n"
    (row,) = read_csv(data)
    assert row.names == ("Karim Mansour",) and row.birth_date == "1988"
    assert row.nationalities == ("FR", "DZ") and row.id == "1"


def test_jsonl_bad_lines_kept_in_order_and_control_characters_removed():
    rows = read_jsonl((FIXTURES / "batch.jsonl").read_bytes())
    assert [t.row for t in rows] == [1, 2, 3, 4]
    assert rows[2].problem.startswith("line 3: not JSON")
    assert rows[3].names == ("Peter Quietman",)  # NUL, BEL and zero-width space removed
    assert rows[3].gender == "male"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"id,gender\n1,M\n", "full_name"),
        (b"full_name\n\xff\xfe bad\n", "not UTF-8"),
    ],
)
def test_refused_files(data, message):
    with pytest.raises(ManifestError, match=message):
        read_csv(data)


def test_size_limit_and_unknown_format():
    with pytest.raises(ManifestError, match="at most 10 bytes"):
        read_manifest(b"full_name\nA very long name\n", "csv", max_bytes=10)
    with pytest.raises(ManifestError, match="unknown format"):
        read_manifest(b"", "xlsx")


def test_birth_dates():
    assert normalise_birth_date("1981-03-12") == "1981-03-12"
    assert normalise_birth_date("12/03/1981") == "1981-03-12"
    assert normalise_birth_date("~1980") == "~1980"
    assert normalise_birth_date("1975..1980") == "1975..1980"
    assert normalise_birth_date("yesterday") == ""
