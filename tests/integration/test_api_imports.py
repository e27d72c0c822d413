"""REST API: ``POST /api/imports`` (multipart) and ``GET /api/imports/{id}`` (owner only).
Tasks run immediately in tests (ImmediateBackend), so the job is done when the 202 returns."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accord.accounts.services import create_token
from accord.intel.factories import person_object
from accord.intel.models import ImportJob, Record

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    return body


@pytest.fixture(autouse=True)
def run_tasks(settings, django_capture_on_commit_callbacks):
    """Tasks run in the request (immediate backend), once its transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        yield


@pytest.fixture
def client_for(make_user):
    def make(username="ana", role="analyst"):
        raw, _ = create_token(None, make_user(username, role=role), name="t")
        client = Client()
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        return client

    return make


def bundle(*objects) -> bytes:
    return json.dumps(
        {"type": "bundle", "id": "bundle--6f1d2c8e-6c4b-4c53-9d5e-2d5a6c1f0a01", "objects": objects}
    ).encode()


def upload(client, data: bytes, fmt="stix", name="bundle.json", **extra):
    return client.post(
        "/api/imports",
        {"file": SimpleUploadedFile(name, data, "application/json"), "format": fmt, **extra},
    )


def test_import_is_accepted_with_location_and_runs(client_for):
    ana = client_for()
    objects = [person_object(n) for n in range(3)]
    response = upload(ana, bundle(*objects), purpose="counter-terrorism")
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == f"/api/imports/{body['id']}" == body["location"]
    job = ana.get(response["Location"])
    assert job.status_code == 200
    report = job.json()
    assert report["status"] == "done"
    assert report["filename"] == "bundle.json"
    assert report["progress"] == 1.0
    assert report["report"]["imported"] == 3
    assert Record.objects.filter(stix_id__in=[o["id"] for o in objects]).count() == 3


def test_large_upload_goes_through_a_temporary_file(client_for, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100  # forces Django's TemporaryUploadedFile
    ana = client_for()
    response = upload(ana, bundle(person_object(1)))
    assert response.status_code == 202, response.content
    assert ana.get(response["Location"]).json()["report"]["imported"] == 1


def test_refused_bundle_is_reported_on_the_job(client_for):
    ana = client_for()
    bad = person_object(1)
    bad["object_marking_refs"] = ["marking-definition--00000000-0000-4000-8000-000000000000"]
    response = upload(ana, bundle(person_object(2), bad))
    assert response.status_code == 202
    report = ana.get(response["Location"]).json()["report"]
    assert report["ok"] is False
    assert report["refused"][0]["path"] == "object_marking_refs[0]"
    assert Record.objects.count() == 0


def test_only_the_owner_sees_a_job(client_for):
    ana, bob = client_for("ana"), client_for("bob")
    location = upload(ana, bundle(person_object(1)))["Location"]
    body = assert_problem(bob.get(location), 404)
    assert body["instance"] == location
    assert_problem(ana.get("/api/imports/999999"), 404)
    assert_problem(ana.get("/api/imports/not-a-number"), 422)


def test_too_large_upload_is_413(client_for, settings):
    settings.ACCORD_MAX_UPLOAD_BYTES = 50
    body = assert_problem(upload(client_for(), bundle(person_object(1))), 413)
    assert "50 bytes" in body["detail"]
    assert ImportJob.objects.count() == 0


def test_json_body_is_415(client_for):
    response = client_for().post(
        "/api/imports", data=json.dumps({"format": "stix"}), content_type="application/json"
    )
    assert_problem(response, 415)


def test_missing_file_and_unknown_format_are_422(client_for):
    response = client_for().post("/api/imports", {"format": "csv"})
    body = assert_problem(response, 422)
    assert {e["path"] for e in body["errors"]} == {"form:file", "form:format"}


def test_roles_without_import_are_403(client_for):
    for role in ("admin", "oversight", "liaison"):
        assert_problem(upload(client_for(f"u-{role}", role), bundle(person_object(1))), 403)
    assert ImportJob.objects.count() == 0


def test_anonymous_import_is_401():
    assert_problem(upload(Client(), bundle(person_object(1))), 401)


@pytest.mark.django_db(transaction=True)
def test_import_in_a_real_transaction(client_for):
    """Committed for real (and the database flushed afterwards, audit trail included)."""
    ana = client_for()
    response = upload(ana, bundle(person_object(1)))
    assert response.status_code == 202
    assert ana.get(response["Location"]).json()["status"] == "done"


def test_an_import_cannot_rewrite_a_record_its_user_may_not_read(client_for, make_user):
    """A file import is a write path like any other: a version of another agency's TLP:RED
    record, stripped of its markings, is refused and the whole file with it."""
    from accord.intel.services import ingest_objects
    from accord.intel.writes import NOT_YOURS

    owner = make_user("olivia", role="analyst", agency="alpha")
    red = person_object(7, tlp="red")
    assert ingest_objects(owner, [red], source="test").ok
    stripped = {**red, "modified": "2026-09-01T00:00:00.000Z"}
    stripped.pop("object_marking_refs")
    bob = client_for("bob")
    response = upload(bob, bundle(person_object(8), stripped))
    assert response.status_code == 202
    report = bob.get(response["Location"]).json()["report"]
    assert report["ok"] is False
    assert [(r["path"], r["message"]) for r in report["refused"]] == [("id", NOT_YOURS)]
    record = Record.objects.get(stix_id=red["id"])
    assert (record.tlp, record.version_count) == ("red", 1)
    assert not Record.objects.filter(stix_id=person_object(8)["id"]).exists()
