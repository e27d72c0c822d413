"""Screening over REST (one person, a batch upload, problems), the CLI and the web pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.integration.test_screening_service import HADDAD, PUBLIC, RED

from accord.accounts.services import create_token
from accord.intel.services import ingest_objects
from accord.screening.models import Hit
from accord.screening.services import screen
from accord.screening.watchlist import watchlist

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"


@pytest.fixture(autouse=True)
def store(node_identity):
    watchlist.invalidate()
    assert ingest_objects(None, [HADDAD, PUBLIC], source="test").ok
    yield
    watchlist.invalidate()


@pytest.fixture
def analyst(make_user):
    return make_user("screener", role="analyst")


@pytest.fixture
def api(analyst):
    raw, _ = create_token(None, analyst, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_rest_one_person(api):
    response = api.post(
        "/api/screenings",
        {"id": "q1", "full_name": "MUHAMMAD ALHADDAD", "date_of_birth": "1981-03-12"},
        content_type="application/json",
        HTTP_X_ACCORD_PURPOSE="border-security",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    (result,) = body["results"]
    assert result["id"] == "q1" and result["hit"] is True
    assert set(result["matches"][0]["names"]) == {"محمد الحداد", "Mohammed al-Haddad"}
    assert result["matches"][0]["record_id"] == HADDAD["id"]


def test_rest_batch_upload_and_refused_edifact(api):
    upload = SimpleUploadedFile("m.edi", (FIXTURES / "paxlst_una_crlf.edi").read_bytes())
    response = api.post("/api/screenings", {"file": upload, "format": "paxlst"})
    assert response.status_code == 200, response.content
    assert [r["row"] for r in response.json()["results"]] == [1, 2, 3]
    bad = SimpleUploadedFile("bad.edi", (FIXTURES / "paxlst_malformed.edi").read_bytes())
    response = api.post("/api/screenings", {"file": bad, "format": "paxlst"})
    assert response.status_code == 422
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert problem["errors"][0]["path"].startswith("file:segment 7 (N@D) at byte ")


def test_rest_problems(api, settings, make_user):
    assert api.post("/api/screenings", "x", content_type="text/plain").status_code == 415
    assert (
        api.post("/api/screenings", {"full_name": ""}, content_type="application/json").status_code
        == 422
    )
    assert api.post("/api/screenings", {"format": "xlsx"}).status_code == 422
    settings.ACCORD_MAX_UPLOAD_BYTES = 100
    big = SimpleUploadedFile("big.csv", b"full_name\n" + b"A" * 500)
    assert api.post("/api/screenings", {"file": big, "format": "csv"}).status_code == 413
    admin = make_user("root", role="admin")
    raw, _ = create_token(None, admin, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.post("/api/screenings", {"full_name": "X"}, content_type="application/json")
    assert response.status_code == 403
    assert Client().post("/api/screenings", {}, content_type="application/json").status_code == 401


def test_cli_screen(monkeypatch, capsys, tmp_path):
    from accord.cli import main as cli_main
    from accord.cli import screen as cli_screen

    monkeypatch.setattr(cli_screen, "setup_django", lambda data_dir: None)
    good = FIXTURES / "batch.csv"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"id,gender\n1,M\n")
    code = cli_main.main(
        ["screen", "--format", "csv", "--purpose", "border-security", str(good), str(bad)]
    )
    out, err = capsys.readouterr()
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 1  # one file refused, the other screened
    assert [x["row"] for x in lines] == [1, 2, 3, 4]
    assert lines[1]["hit"] and lines[1]["matches"][0]["record_id"] == HADDAD["id"]
    assert lines[0]["file"] == "batch.csv"
    assert "bad.csv: refused: line 1" in err


def test_web_pages(analyst, make_user):
    client = Client()
    client.force_login(analyst)
    assert client.get("/screening/").status_code == 200
    response = client.post(
        "/screening/", {"full_name": "Mohamed Alhaddad", "date_of_birth": "1981-03-12"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Possible match" in page and "name_best_coverage" in page and "محمد الحداد" in page
    upload = SimpleUploadedFile("b.edi", (FIXTURES / "paxlst_malformed.edi").read_bytes())
    response = client.post("/screening/batch/", {"file": upload, "format": "paxlst"})
    assert response.status_code == 400 and "segment 7 (N@D)" in response.content.decode()
    upload = SimpleUploadedFile("b.csv", (FIXTURES / "batch.csv").read_bytes())
    response = client.post("/screening/batch/", {"file": upload, "format": "csv"})
    assert response.status_code == 200 and "Peter Quietman" in response.content.decode()
    hit = Hit.objects.filter(status="pending").first()
    assert client.get(f"/screening/hits/{hit.pk}/").status_code == 200
    assert (
        client.post(
            f"/screening/hits/{hit.pk}/", {"decision": "confirmed", "reason": "mine"}
        ).status_code
        == 403
    )
    boss = make_user("boss", role="supervisor")
    client.force_login(boss)
    assert "Hits to review" in client.get("/screening/hits/").content.decode()
    response = client.post(
        f"/screening/hits/{hit.pk}/", {"decision": "dismissed", "reason": "other person"}
    )
    assert response.status_code == 302
    hit.refresh_from_db()
    assert hit.status == "dismissed"
    assert client.post("/screening/sources/", {"kind": "public", "enabled": "0"}).status_code == 302
    assert "off" in client.get("/screening/sources/").content.decode()
    Client().get("/screening/")  # anonymous: redirected by member_required
    assert Client().get("/screening/hits/").status_code == 302


def test_review_queues_list_only_hits_on_records_the_reviewer_may_see(analyst, make_user):
    """A hit on a TLP:RED record of the analyst's (not granted to the supervisor) is in neither
    of the supervisor's queues, the page and the API; a hit on a record both see is in both."""
    from accord.engine.manifests import Traveller

    assert ingest_objects(analyst, [RED], source="test").ok
    travellers = [
        Traveller(row=1, id="t1", names=("MUHAMMAD ALHADDAD",), birth_date="1981-03-12"),
        Traveller(row=2, id="t2", names=("Anna Maria Tester",), birth_date="1990-01-01"),
    ]
    results = screen(analyst, travellers, purpose="counter-terrorism")
    seen, hidden = results[0].hit_ids[0], results[1].hit_ids[0]
    assert Hit.objects.get(pk=hidden).record_stix_id == RED["id"]
    boss = make_user("boss", role="supervisor")
    raw, _ = create_token(None, boss, name="t")
    listed = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/screenings/hits").json()
    assert [h["id"] for h in listed["hits"]] == [seen]
    client = Client()
    client.force_login(boss)
    page = client.get("/screening/hits/").content.decode()
    assert f'href="/screening/hits/{seen}/"' in page
    assert f'href="/screening/hits/{hidden}/"' not in page
