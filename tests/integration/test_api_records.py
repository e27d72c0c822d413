"""REST API: records, search, versions, export, through a real API token and the real store."""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client

from accord.accounts.services import create_token
from accord.intel.factories import person_object
from accord.intel.models import Record
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


class Api:
    """The Django test client with a bearer token and JSON helpers."""

    def __init__(self, token: str | None, **headers: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.headers.update(headers)

    def get(self, url: str, **headers: str):
        return self.client.get(url, headers={**self.headers, **headers})

    def post_json(self, url: str, body, content_type="application/json", **headers: str):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post(
            url, data=data, content_type=content_type, headers={**self.headers, **headers}
        )


@pytest.fixture
def api_for(make_user):
    def make(username="ana", role="analyst", agency=""):
        user = make_user(username, role=role, agency=agency)
        raw, _ = create_token(None, user, name="test")
        return Api(raw)

    return make


@pytest.fixture
def ana(api_for):
    return api_for("ana")


@pytest.fixture
def stored(ana):
    obj = person_object(1)
    response = ana.post_json("/api/records", obj)
    assert response.status_code == 201, response.content
    return obj


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["type"].startswith("urn:accord:problem:")
    return body


# --- POST /api/records ----------------------------------------------------------------------


def test_post_record_stores_it_and_returns_it(ana):
    obj = person_object(7)
    response = ana.post_json("/api/records", obj)
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == obj["id"]
    assert body["type"] == "identity"
    assert body["object"]["name"] == obj["name"]
    assert body["markings"]["tlp"] == "amber"
    assert body["personal_data"] is True
    assert Record.objects.filter(stix_id=obj["id"]).exists()


def test_post_stix_media_type_is_accepted(ana):
    response = ana.post_json(
        "/api/records", person_object(8), content_type="application/stix+json;version=2.1"
    )
    assert response.status_code == 201


def test_refused_object_is_a_422_problem_naming_each_property(ana):
    obj = person_object(2)
    obj["object_marking_refs"] = ["marking-definition--00000000-0000-4000-8000-000000000000"]
    body = assert_problem(ana.post_json("/api/records", obj), 422)
    assert body["errors"][0]["path"] == "object_marking_refs[0]"
    assert body["errors"][0]["message"].startswith("unknown marking definition")
    obj = person_object(2)
    del obj["created"]
    body = assert_problem(ana.post_json("/api/records", obj), 422)
    assert any("created" in e["path"] or "created" in e["message"] for e in body["errors"])
    assert not Record.objects.filter(stix_id=obj["id"]).exists()


def test_non_json_body_is_415(ana):
    response = ana.post_json("/api/records", "name=x", content_type="text/plain")
    assert_problem(response, 415)


def test_malformed_json_is_400(ana):
    assert_problem(ana.post_json("/api/records", "{not json"), 400)


def test_json_array_is_422(ana):
    body = assert_problem(ana.post_json("/api/records", [person_object(1)]), 422)
    assert body["errors"][0]["path"] == ""


def test_too_large_body_is_413(ana, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    obj = person_object(3)
    obj["description"] = "x" * 5000
    assert_problem(ana.post_json("/api/records", obj), 413)


def test_unknown_case_is_422(ana):
    body = assert_problem(
        ana.post_json("/api/records", person_object(4), **{"X-Accord-Case": "OP-NOPE"}), 422
    )
    assert body["errors"][0]["path"] == "header:X-Accord-Case"


# --- GET /api/records/{id} and versions ------------------------------------------------------


def test_get_record_returns_latest_version_and_markings(ana, stored):
    v2 = copy.deepcopy(stored)
    v2["modified"] = "2026-05-01T00:00:00.000Z"
    v2["description"] = "second version"
    assert ana.post_json("/api/records", v2).status_code == 201
    response = ana.get(f"/api/records/{stored['id']}", **{"X-Accord-Purpose": "counter-terrorism"})
    assert response.status_code == 200
    body = response.json()
    assert body["object"]["description"] == "second version"
    assert body["version_count"] == 2
    assert set(body["markings"]) == {"tlp", "handling_code", "releasable_to", "purposes"}
    versions = ana.get(f"/api/records/{stored['id']}/versions").json()
    assert [v["modified"] for v in versions] == [stored["modified"], v2["modified"]]
    assert "description" not in versions[0]["object"]


def test_read_is_audited_with_purpose_and_case(ana, stored):
    from accord.accounts.models import User
    from accord.intel.models import Case, CaseMembership

    case = Case.objects.create(reference="CASE-9", title="Case nine")
    CaseMembership.objects.create(case=case, user=User.objects.get(username="ana"))
    ana.get(
        f"/api/records/{stored['id']}",
        **{"X-Accord-Purpose": "serious-crime", "X-Accord-Case": "CASE-9"},
    )
    event = AuditEvent.objects.filter(action="record.read").order_by("-seq").first()
    assert event.object_ids == [stored["id"]]
    assert event.purpose == "serious-crime"
    assert event.case == "CASE-9"
    assert event.actor == "ana"


def test_missing_record_is_404_problem(ana):
    body = assert_problem(
        ana.get("/api/records/identity--00000000-0000-4000-8000-000000000001"), 404
    )
    assert body["instance"] == "/api/records/identity--00000000-0000-4000-8000-000000000001"


def test_invisible_record_answers_like_a_missing_one(api_for, stored):
    missing = "identity--00000000-0000-4000-8000-000000000001"
    for role in ("oversight", "admin"):
        other = api_for(f"user-{role}", role=role)
        hidden = other.get(f"/api/records/{stored['id']}")
        absent = other.get(f"/api/records/{missing}")
        assert_problem(hidden, 404)
        assert hidden.json()["detail"] == absent.json()["detail"]
        assert_problem(other.get(f"/api/records/{stored['id']}/versions"), 404)


def test_red_record_is_invisible_to_another_analyst(api_for):
    owner, other = api_for("owner"), api_for("other")
    red = person_object(11, tlp="red")
    assert owner.post_json("/api/records", red).status_code == 201
    assert owner.get(f"/api/records/{red['id']}").status_code == 200
    assert_problem(other.get(f"/api/records/{red['id']}"), 404)
    assert other.get("/api/records?type=identity").json()["total"] == 0


# --- GET /api/records (search) -------------------------------------------------------------


def test_search_by_name_type_tlp_and_birth_year(ana):
    objects = [person_object(n) for n in range(5)]
    for obj in objects:
        assert ana.post_json("/api/records", obj).status_code == 201
    name = objects[0]["name"].split()[0]
    body = ana.get(f"/api/records?q={name}").json()
    assert objects[0]["id"] in {r["id"] for r in body["results"]}
    assert ana.get("/api/records?type=identity").json()["total"] == 5
    assert ana.get("/api/records?type=indicator").json()["total"] == 0
    assert ana.get("/api/records?tlp=red").json()["total"] == 0
    assert ana.get("/api/records?tlp=amber").json()["total"] == 5
    ext = next(iter(objects[0]["extensions"].values()))
    year = int(ext["birth_dates"][0]["date"][:4])
    hits = {r["id"] for r in ana.get(f"/api/records?birth_year={year}").json()["results"]}
    assert objects[0]["id"] in hits


def test_search_pages(ana):
    for n in range(5):
        ana.post_json("/api/records", person_object(n))
    first = ana.get("/api/records?type=identity&per_page=2&page=1").json()
    last = ana.get("/api/records?type=identity&per_page=2&page=3").json()
    assert len(first["results"]) == 2 and first["has_next"] is True
    assert len(last["results"]) == 1 and last["has_next"] is False
    assert first["per_page"] == 2


def test_search_validation_errors_are_problems(ana):
    body = assert_problem(ana.get("/api/records?per_page=201"), 422)
    assert body["errors"][0]["path"] == "query:per_page"
    body = assert_problem(ana.get("/api/records?page=zero"), 422)
    assert body["errors"][0]["path"] == "query:page"
    body = assert_problem(ana.get("/api/records?tlp=purple"), 422)
    assert "purple" in body["detail"]


def test_oversight_and_admin_search_finds_nothing(api_for, stored):
    body = api_for("s-oversight", role="oversight").get("/api/records").json()
    assert body["total"] == 0 and body["results"] == []
    assert_problem(api_for("s-admin", role="admin").get("/api/records"), 403)


# --- GET /api/export ----------------------------------------------------------------------


def test_export_is_a_stix_bundle_of_visible_records(api_for, ana, stored):
    red = person_object(12, tlp="red")
    api_for("someone-else").post_json("/api/records", red)
    response = ana.get("/api/export?format=stix")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/stix+json;version=2.1"
    bundle = json.loads(b"".join(response.streaming_content))
    assert bundle["type"] == "bundle"
    ids = {o["id"] for o in bundle["objects"]}
    assert stored["id"] in ids
    assert red["id"] not in ids
    assert AuditEvent.objects.filter(action="record.export", actor="ana").exists()


def test_export_unknown_format_is_422(ana):
    body = assert_problem(ana.get("/api/export?format=csv"), 422)
    assert body["errors"][0]["path"] == "query:format"


def test_export_refused_to_admin_and_oversight(api_for, stored):
    for role in ("oversight", "admin"):
        assert_problem(api_for(f"e-{role}", role=role).get("/api/export"), 403)


def test_admin_cannot_write_records(api_for):
    assert_problem(api_for("root", role="admin").post_json("/api/records", person_object(5)), 403)
