"""Large batches run as background jobs (django-tasks; the test settings run tasks at once):
REST answers 202 with the job's location, the batch page redirects to the job's page; progress
and results on the job, readable by its owner only, the read audited; a refused file is
answered at once and queues nothing; a job whose file cannot be read fails with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.integration.test_screening_service import HADDAD, PUBLIC

from accord.accounts.services import create_token
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent
from accord.screening.models import Hit, Screening, ScreeningJob
from accord.screening.tasks import run_screening_job
from accord.screening.watchlist import watchlist

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"
PURPOSE = "counter-terrorism"


@pytest.fixture(autouse=True)
def store(node_identity, settings):
    settings.ACCORD_SCREENING_BACKGROUND_ABOVE = 3  # the fixture's 6 rows make a job
    watchlist.invalidate()
    assert ingest_objects(None, [HADDAD, PUBLIC], source="test").ok
    yield
    watchlist.invalidate()


@pytest.fixture
def people(make_user):
    return {"ana": make_user("ana", role="analyst"), "bob": make_user("bob", role="analyst")}


def _api(user) -> Client:  # type: ignore[no-untyped-def]
    raw, _ = create_token(None, user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_X_ACCORD_PURPOSE=PURPOSE)


def _csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("batch.csv", (FIXTURES / "batch.csv").read_bytes())


def test_rest_large_batch_is_a_job_with_progress_and_results(people):
    api = _api(people["ana"])
    r = api.post("/api/screenings", {"file": _csv(), "format": "csv"})
    assert r.status_code == 202, r.content
    location = r["Location"]
    assert location == r.json()["location"] and location.startswith("/api/screenings/jobs/")
    got = api.get(location)
    assert got.status_code == 200
    job = got.json()
    assert job["status"] == "done" and job["total"] == job["done"] == job["report"]["count"]
    assert job["report"]["hits"] >= 1
    hit_rows = [row for row in job["report"]["results"] if row["hit"]]
    assert hit_rows and hit_rows[0]["matches"][0]["record_id"] == HADDAD["id"]
    assert Hit.objects.filter(pk__in=hit_rows[0]["review"]).exists()
    screening = Screening.objects.get(pk=job["screening"])
    assert (screening.format, screening.filename, screening.purpose) == ("csv", "batch.csv",
                                                                         PURPOSE)  # fmt: skip
    assert AuditEvent.objects.filter(action="screening.run", actor="ana").count() == 1
    read = AuditEvent.objects.get(action="screening.job_read")
    assert HADDAD["id"] in read.object_ids and read.purpose == PURPOSE
    # The upload is deleted once screened; another user cannot read the job.
    assert not Path(ScreeningJob.objects.get(pk=job["id"]).path).exists()
    assert _api(people["bob"]).get(location).status_code == 404


def test_small_batch_answers_at_once(people, settings):
    settings.ACCORD_SCREENING_BACKGROUND_ABOVE = 1000
    r = _api(people["ana"]).post("/api/screenings", {"file": _csv(), "format": "csv"})
    assert r.status_code == 200 and r.json()["count"] == len(r.json()["results"])
    assert not ScreeningJob.objects.exists()


def test_refused_file_queues_nothing(people):
    bad = SimpleUploadedFile("bad.edi", (FIXTURES / "paxlst_malformed.edi").read_bytes())
    r = _api(people["ana"]).post("/api/screenings", {"file": bad, "format": "paxlst"})
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    assert not ScreeningJob.objects.exists()


def test_admin_may_not_start_a_job(make_user):
    admin = make_user("root", role="admin")
    r = _api(admin).post("/api/screenings", {"file": _csv(), "format": "csv"})
    assert r.status_code == 403
    assert not ScreeningJob.objects.exists()


def test_batch_page_redirects_to_the_job_page(people):
    client = Client()
    client.force_login(people["ana"])
    r = client.post("/screening/batch/", {"file": _csv(), "format": "csv"})
    assert r.status_code == 302 and r["Location"].startswith("/screening/jobs/")
    page = client.get(r["Location"])
    assert page.status_code == 200 and b"review hit" in page.content
    partial = client.get(r["Location"], HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"<html" not in partial.content
    client.force_login(people["bob"])
    assert client.get(r["Location"]).status_code == 404


def test_job_whose_file_is_gone_fails_with_the_reason(people, tmp_path):
    gone = str(tmp_path / "gone.bin")
    job = ScreeningJob.objects.create(
        user=people["ana"], purpose=PURPOSE, format="csv", filename="gone.csv", path=gone
    )
    assert run_screening_job.call(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "the file was refused" in job.report["error"]
    assert job.finished_at is not None and not Screening.objects.exists()
