"""``accord import`` refuses a file it cannot read as the format named: an empty file, a file of
another kind, JSON past the node's limits; a message saying what the file looks like, exit
status 2 (the file cannot be read at all), nothing stored, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.cli.main import main
from accord.intel.models import Record

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


@pytest.fixture
def node_dir(tmp_path):
    data_dir = tmp_path / "node"
    assert (
        main(["init", "--data-dir", str(data_dir), "--node-id", "cli-r", "--jurisdiction", "FR"])
        == 0
    )
    return data_dir


@pytest.mark.parametrize(
    ("fmt", "content", "words"),
    [
        ("ftm", b"", "empty"),
        ("ftm", b"\n\n", "empty"),
        ("ftm", (FIXTURES / "stix_bundle.json").read_bytes(), "looks like STIX"),
        ("ftm", (FIXTURES / "un_small.xml").read_bytes(), "UN Security Council"),
        ("stix", b"", "empty"),
        ("stix", (FIXTURES / "ftm_entities.jsonl").read_bytes(), "FollowTheMoney"),
        ("stix", b'[{"type": "note", "n": ' + b"7" * 5000 + b"}]", "outside the accepted range"),
        ("un-xml", (FIXTURES / "stix_array.json").read_bytes(), "looks like STIX"),
    ],
)
def test_unreadable_as_the_format_named_is_refused(node_dir, tmp_path, capsys, fmt, content, words):
    source = tmp_path / "input.dat"
    source.write_bytes(content)
    before = Record.objects.count()
    code = main(["import", "--data-dir", str(node_dir), "--format", fmt, str(source)])
    out = capsys.readouterr()
    assert code == 2, out
    assert "input.dat" in out.err and words in out.err
    assert "Traceback" not in out.err and "Read 0 objects" not in out.out
    assert Record.objects.count() == before
