"""Export round trip (canonical JSON equal), import jobs and their failure path."""

from __future__ import annotations

import gzip
import json

import pytest
from django.conf import settings

from accord.engine.stix.canonical import canonical_json
from accord.intel.factories import person_object, synthetic_objects
from accord.intel.models import ImportJob, Record
from accord.intel.search import SearchQuery
from accord.intel.services import export_bundle, ingest_objects, iter_export
from accord.intel.tasks import start_import
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Run enqueued tasks at once (whatever backend the process started with)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _by_id(objects):
    return {o["id"]: canonical_json(o) for o in objects}


def test_export_round_trips_our_own_objects_exactly():
    objects = list(synthetic_objects(40))
    objects[0]["x_custom"] = {"nested": [1, 2.5, "ü", None, True]}
    assert ingest_objects(None, objects, source="own").ok
    bundle = export_bundle(None, purpose="")
    assert bundle["type"] == "bundle" and bundle["id"].startswith("bundle--")
    assert _by_id(bundle["objects"]) == _by_id(objects)
    event = AuditEvent.objects.filter(action="record.export").order_by("-seq").first()
    assert event.detail["count"] == 40 and len(event.object_ids) == 40


@pytest.mark.parametrize("name", ["apt1.json", "poisonivy.json", "using-marking-definitions.json"])
def test_oasis_example_round_trips(shared_data, name):
    path = shared_data / "stix21-examples" / "cti-documentation" / name
    objects = json.loads(path.read_text())["objects"]
    report = ingest_objects(None, objects, source=name)
    assert report.ok, report.refused[:3]
    exported = export_bundle(None, purpose="")["objects"]
    latest: dict[str, dict] = {}
    for obj in objects:
        latest[obj["id"]] = obj
    assert _by_id(exported) == _by_id(latest.values())
    # Importing the export again changes nothing.
    again = ingest_objects(None, exported, source="again")
    assert again.ok and again.unchanged == len(exported) and again.imported == 0


def test_user_export_is_restricted_and_filtered(make_user):
    owner = make_user("exp1", agency="a")
    other = make_user("exp2", agency="b")
    red = person_object(1, tlp="red")
    green = person_object(2, tlp="green")
    assert ingest_objects(owner, [red, green], source="t").ok
    mine = {o["id"] for o in export_bundle(owner, purpose="counter-terrorism")["objects"]}
    theirs = {o["id"] for o in export_bundle(other, purpose="counter-terrorism")["objects"]}
    assert mine == {red["id"], green["id"]}
    assert theirs == {green["id"]}
    only_green = export_bundle(owner, purpose="", query=SearchQuery(tlp=["green"]))
    assert [o["id"] for o in only_green["objects"]] == [green["id"]]
    streamed = json.loads(b"".join(iter_export(owner, purpose="")))
    assert len(streamed["objects"]) == 2


def _bundle_bytes(objects):
    return json.dumps(
        {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objects}
    ).encode()


def test_import_job_runs_reports_and_deletes_the_upload(make_user):
    user = make_user("jobber")
    objects = list(synthetic_objects(30))
    job = start_import(
        user,
        filename="../../etc/passwd.json",
        data_or_path=gzip.compress(_bundle_bytes(objects)),
        format="stix",
        purpose="counter-terrorism",
    )
    assert job.status == ImportJob.Status.DONE, job.report
    assert job.report["imported"] == 30 and job.report["ok"] is True
    assert job.report["by_type"] == {"identity": 24, "indicator": 3, "relationship": 3}
    assert job.total == job.done == 30
    assert job.finished_at is not None
    assert job.filename == "passwd.json"
    uploads = settings.DATA_DIR / "uploads"
    assert str(uploads) in job.path and not (uploads / job.path).exists()
    assert Record.objects.count() == 30


def test_import_job_refusal_stores_nothing(make_user):
    user = make_user("jobber2")
    objects = [person_object(n) for n in range(10)]
    objects[4]["created"] = "yesterday"
    job = start_import(user, filename="x.json", data_or_path=_bundle_bytes(objects), format="stix")
    assert job.status == ImportJob.Status.FAILED
    assert job.report["refused_count"] >= 1
    assert job.report["refused"][0]["index"] == 4
    assert Record.objects.count() == 0


def test_import_job_unreadable_file_fails_with_message(make_user):
    user = make_user("jobber3")
    job = start_import(user, filename="bad.json", data_or_path=b"{not json", format="stix")
    assert job.status == ImportJob.Status.FAILED
    assert job.report["error"]
    assert Record.objects.count() == 0
