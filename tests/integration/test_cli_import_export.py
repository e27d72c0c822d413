"""``accord import`` and ``accord export`` through the real command-line entry point."""

from __future__ import annotations

import json

import pytest

from accord.cli.main import main
from accord.engine.stix.canonical import canonical_json
from accord.intel.factories import person_object, synthetic_objects
from accord.intel.models import Record
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def node_dir(tmp_path):
    data_dir = tmp_path / "node"
    assert (
        main(["init", "--data-dir", str(data_dir), "--node-id", "cli-a", "--jurisdiction", "FR"])
        == 0
    )
    return data_dir


def _write_bundle(path, objects):
    path.write_text(
        json.dumps(
            {
                "type": "bundle",
                "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
                "objects": objects,
            }
        )
    )
    return path


def test_import_then_export_round_trip(node_dir, tmp_path, capsys):
    objects = list(synthetic_objects(50))
    source = _write_bundle(tmp_path / "in.json", objects)
    code = main(["import", "--data-dir", str(node_dir), "--format", "stix", str(source)])
    out = capsys.readouterr()
    assert code == 0, out
    assert "Stored 50 new records" in out.out
    assert "identity" in out.out and "40" in out.out
    assert "100%" in out.err
    assert Record.objects.filter(stix_id__in=[o["id"] for o in objects]).count() == 50

    target = tmp_path / "out.json"
    assert (
        main(["export", "--data-dir", str(node_dir), "--format", "stix", "--out", str(target)]) == 0
    )
    exported = {o["id"]: canonical_json(o) for o in json.loads(target.read_text())["objects"]}
    for obj in objects:
        assert exported[obj["id"]] == canonical_json(obj)
    assert AuditEvent.objects.filter(action="record.export", actor="system").exists()
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_import_refused_exits_1_and_stores_nothing(node_dir, tmp_path, capsys):
    objects = [person_object(n) for n in range(5)]
    objects[3]["object_marking_refs"] = ["marking-definition--00000000-0000-4000-8000-000000000001"]
    source = _write_bundle(tmp_path / "bad.json", objects)
    before = Record.objects.count()
    code = main(["import", "--data-dir", str(node_dir), "--format", "stix", str(source)])
    out = capsys.readouterr().out
    assert code == 1
    assert "REFUSED" in out and "object_marking_refs[0]" in out
    assert Record.objects.count() == before


def test_unreadable_file_exits_2(node_dir, tmp_path, capsys):
    bad = tmp_path / "broken.json"
    bad.write_text("{ this is not json")
    assert main(["import", "--data-dir", str(node_dir), "--format", "stix", str(bad)]) == 2
    assert "broken.json" in capsys.readouterr().err
    assert (
        main(["import", "--data-dir", str(node_dir), "--format", "stix", str(tmp_path / "nope")])
        == 2
    )


def test_import_as_user_sets_owner(node_dir, tmp_path, make_user, capsys):
    user = make_user("cliuser", agency="ctu")
    source = _write_bundle(tmp_path / "u.json", [person_object(77)])
    code = main(
        [
            "import",
            "--data-dir",
            str(node_dir),
            "--format",
            "stix",
            "--as",
            "cliuser",
            "--json",
            str(source),
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["imported"] == 1
    record = Record.objects.get(stix_id=person_object(77)["id"])
    assert record.owner == user and record.owner_agency == "ctu"
    assert (
        main(
            [
                "import",
                "--data-dir",
                str(node_dir),
                "--format",
                "stix",
                "--as",
                "ghost",
                str(source),
            ]
        )
        == 2
    )
