"""Input limits of the REST API: JSON depth and integers, paging, STIX string limits, import jobs
that fail, and an OpenAPI document that says what the server accepts and answers."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from accord.accounts.services import create_token
from accord.engine.stix.limits import MAX_NAME_LENGTH
from accord.intel.factories import person_object
from accord.intel.models import ImportJob, Record
from accord.intel.search import MAX_PAGE
from accord.screening.models import Screening

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
DEEP = b"[" * 200_000 + b"]" * 200_000
#: Words of Python's own messages that a client must never see.
INTERNALS = ("Exceeds the limit", "int_max_str_digits", "RecursionError", "Traceback", "line 1 col")


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    for words in INTERNALS:
        assert words not in json.dumps(body)
    return body


@pytest.fixture
def ana(make_user) -> Client:
    raw, _ = create_token(None, make_user("ana"), name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def big_integer_object() -> dict:
    obj = person_object(3)
    obj["x_count"] = 0  # replaced by a 5,000-digit integer in the JSON text
    return obj


def big_integer_json(obj: dict) -> bytes:
    return json.dumps(obj).replace('"x_count": 0', '"x_count": ' + "9" * 5000).encode()


# --- JSON depth and integers: one reader for every JSON body ------------------------------------


@pytest.mark.parametrize("path", ["/api/records", "/api/screenings"])
def test_deeply_nested_json_is_a_400_problem(ana, path):
    body = assert_problem(ana.post(path, DEEP, content_type="application/json"), 400)
    assert "too deeply" in body["detail"] and "64 levels" in body["detail"]


@pytest.mark.parametrize("path", ["/api/records", "/api/screenings"])
def test_huge_integer_is_a_400_problem_in_words(ana, path):
    data = big_integer_json(big_integer_object())
    body = assert_problem(ana.post(path, data, content_type="application/json"), 400)
    assert "outside the accepted range" in body["detail"]
    assert Record.objects.count() == 0


def test_deeply_nested_json_lines_upload_is_screened_without_a_fault(ana, node_identity):
    data = b'{"full_name": "Karim Haddad"}\n' + DEEP + b"\n"
    upload = SimpleUploadedFile("people.jsonl", data)
    response = ana.post("/api/screenings", {"file": upload, "format": "json"})
    assert response.status_code == 200, response.content[:500]
    results = response.json()["results"]
    assert [r["row"] for r in results] == [1, 2]
    assert "too deeply" in results[1]["error"]


def test_empty_json_lines_upload_is_refused_and_nothing_stored(ana, node_identity):
    upload = SimpleUploadedFile("empty.jsonl", b"")
    body = assert_problem(ana.post("/api/screenings", {"file": upload, "format": "json"}), 422)
    assert "no one to screen" in body["detail"]
    assert Screening.objects.count() == 0


# --- import jobs that fail -----------------------------------------------------------------------


@pytest.fixture
def run_tasks(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        yield


def _import(client: Client, data: bytes, fmt: str = "stix") -> dict:
    upload = SimpleUploadedFile("bundle.json", data, "application/json")
    response = client.post("/api/imports", {"file": upload, "format": fmt})
    assert response.status_code == 202, response.content
    return client.get(response["Location"]).json()


def assert_failed_in_words(job: dict) -> str:
    assert job["status"] == "failed"
    assert job["finished_at"] is not None
    assert job["report"]["ok"] is False
    error = job["report"]["error"]
    assert error
    for words in (*INTERNALS, "Error:", "Exception"):
        assert words not in error
    assert not Path(ImportJob.objects.get(pk=job["id"]).path).exists()
    return error


@pytest.fixture
def records_refused_by_the_database():
    """A trigger that makes the database refuse every new record: a real database failure in
    the middle of an import (rolled back with the test's transaction)."""
    table = Record._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION accord_test_refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'storage refused by the test'; END; $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER accord_test_refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION accord_test_refuse()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER accord_test_refuse BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'storage refused by the test'); END"
            )


def test_import_whose_task_fails_ends_failed_with_a_reason(
    ana, run_tasks, records_refused_by_the_database, caplog
):
    bundle = {
        "type": "bundle",
        "id": "bundle--6f1d2c8e-6c4b-4c53-9d5e-2d5a6c1f0a01",
        "objects": [person_object(1), person_object(2)],
    }
    job = _import(ana, json.dumps(bundle).encode())
    error = assert_failed_in_words(job)
    assert "nothing was stored" in error and f"({job['id']})" in error
    assert "storage refused by the test" not in error
    assert Record.objects.count() == 0
    logged = [r for r in caplog.records if r.name == "accord.intel" and r.exc_info]
    assert logged and f"import job {job['id']}" in logged[0].getMessage()


def test_import_of_a_huge_integer_fails_in_words(ana, run_tasks):
    bundle = {
        "type": "bundle",
        "id": "bundle--6f1d2c8e-6c4b-4c53-9d5e-2d5a6c1f0a01",
        "objects": [person_object(1), big_integer_object()],
    }
    assert_failed_in_words(_import(ana, big_integer_json(bundle)))
    assert Record.objects.count() == 0


# --- paging -----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", [str(MAX_PAGE + 1), "92233720368547758", "9" * 30])
def test_page_past_the_maximum_is_a_422_problem(ana, page):
    body = assert_problem(ana.get(f"/api/records?page={page}"), 422)
    assert body["errors"][0]["path"] == "query:page"


def test_last_allowed_page_answers(ana):
    response = ana.get(f"/api/records?page={MAX_PAGE}&per_page=200")
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


# --- STIX string limits through the REST API ----------------------------------------------------


def test_record_with_a_huge_name_is_refused_naming_the_property_and_limit(ana):
    obj = person_object(4)
    obj["name"] = "N" * 2_000_000
    body = assert_problem(ana.post("/api/records", obj, content_type="application/json"), 422)
    assert body["errors"] == [
        {"path": "name", "message": "name: 2,000,000 characters; a name may have at most 500"}
    ]
    assert len(json.dumps(body)) < 2000
    assert not Record.objects.filter(stix_id=obj["id"]).exists()
    obj["name"] = "N" * MAX_NAME_LENGTH
    assert ana.post("/api/records", obj, content_type="application/json").status_code == 201


# --- the OpenAPI document says what the server accepts and answers ------------------------------


@pytest.fixture
def openapi() -> dict:
    return Client().get("/api/openapi.json").json()


def request_schema(
    doc: dict, path: str, media: str = "application/json"
) -> jsonschema_rs.Validator:
    schema = doc["paths"][path]["post"]["requestBody"]["content"][media]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": doc["components"]})


def test_every_error_response_is_documented_as_a_problem(openapi):
    from openapi_spec_validator import validate

    validate(openapi)
    errors = 0
    for operations in openapi["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status >= "400":
                    errors += 1
                    assert list(response["content"]) == [PROBLEM], (status, operation["summary"])
            assert "500" in operation["responses"]
    assert errors > 50


def test_record_body_schema_refuses_what_the_server_refuses(ana, openapi):
    schema = request_schema(openapi, "/api/records")
    description = openapi["paths"]["/api/records"]["post"]["requestBody"]["description"]
    assert f"at most {MAX_NAME_LENGTH:,} characters" in description and "65,536" in description
    good = person_object(6)
    assert schema.is_valid(good)
    for bad in (
        {},
        {"type": "identity"},
        {**good, "id": "identity--x"},
        {**good, "name": "N" * 501},
    ):
        assert not schema.is_valid(bad)
        assert_problem(ana.post("/api/records", bad, content_type="application/json"), 422)
    assert ana.post("/api/records", good, content_type="application/json").status_code == 201


@pytest.mark.parametrize(
    "person",
    [
        {},
        {"full_name": ""},
        {"full_name": " \t\u200b\x01"},
        {"full_name": 5},
        {"names": []},
        {"names": ["\u3000"]},
        {"first_name": "", "last_name": "\ufeff"},
        {"full_name": "N" * 501},
        {"full_name": "Karim", "nationality": [["FR"]]},
    ],
)
def test_person_schema_refuses_what_the_server_refuses(ana, openapi, person):
    schema = request_schema(openapi, "/api/screenings")
    assert not schema.is_valid(person)
    body = assert_problem(ana.post("/api/screenings", person, content_type="application/json"), 422)
    assert body["errors"][0]["path"].startswith("body")


@pytest.mark.parametrize(
    "person",
    [
        {"full_name": "Karim Haddad"},
        {"names": ["", "Karim"]},
        {"last_name": "Haddad", "first_name": ""},
        {"full_name": "  x", "nationality": ["FR", "DZ"], "document_number": "P1", "x": {}},
        {"full_name": "كريم حداد", "date_of_birth": None},
    ],
)
def test_person_schema_accepts_what_the_server_screens(ana, openapi, person, node_identity):
    assert request_schema(openapi, "/api/screenings").is_valid(person)
    response = ana.post("/api/screenings", person, content_type="application/json")
    assert response.status_code == 200, response.content


def test_imports_schema_requires_file_and_format(ana, openapi):
    multipart = "multipart/form-data"
    schema = openapi["paths"]["/api/imports"]["post"]["requestBody"]["content"][multipart]["schema"]
    assert schema["required"] == ["file", "format"]
    assert schema["properties"]["format"]["enum"] == ["stix", "ftm", "un-xml"]
    upload = SimpleUploadedFile("b.json", b"{}", "application/json")
    response = ana.post("/api/imports", {"file": upload, "format": "stix", "purpose": "a\x01b"})
    body = assert_problem(response, 422)
    assert body["errors"] == [
        {"path": "form:purpose", "message": "at most 64 characters, no control characters"}
    ]
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("tlp=%01", "tlp"),
        ("tlp=amber,%00", "tlp"),
        ("tlp=", None),
        ("tlp=amber%2Bstrict, red", None),
        ("type=%00", "type"),
        ("type=identity,indicator", None),
        ("identifier=%00123", "identifier"),
        ("q=abc%00", "q"),
        ("q=abc%0A", "q"),
        ("q=" + "x" * 501, "q"),
        ("handling=%00", "handling"),
        ("handling=H4", "handling"),
        ("handling=H2", None),
    ],
)
def test_search_parameters_are_checked_as_documented(ana, openapi, query, parameter):
    params = {p["name"]: p["schema"] for p in openapi["paths"]["/api/records"]["get"]["parameters"]}
    name, _, value = query.partition("=")
    for code, char in (("%00", "\x00"), ("%01", "\x01"), ("%0A", "\n"), ("%2B", "+")):
        value = value.replace(code, char)
    valid = jsonschema_rs.validator_for(params[name]).is_valid(value)
    response = ana.get(f"/api/records?{query}")
    if parameter is None:
        assert valid and response.status_code == 200, response.content
    else:
        assert not valid
        body = assert_problem(response, 422)
        assert body["errors"][0]["path"] == f"query:{parameter}"


@pytest.mark.parametrize("suffix", ["", "/versions", "/provenance"])
def test_a_malformed_record_id_is_refused_before_any_lookup(ana, suffix):
    for stix_id in ("identity--%00", "nope", "identity--a%01b", "Identity--abc"):
        body = assert_problem(ana.get(f"/api/records/{stix_id}{suffix}"), 422)
        assert body["errors"][0]["path"] == "path:stix_id"
    assert_problem(ana.get(f"/api/records/identity--nope{suffix}"), 404)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/records/identity--nope/revoke", {"reason": "a\x00b"}, "body:reason"),
        ("/api/records/identity--nope/delete-order", {"reason": "a\x1bb"}, "body:reason"),
        (
            "/api/disseminations/preview",
            {"records": ["identity--nope"], "recipients": ["node-b"], "purpose": "c\x00t"},
            "body:purpose",
        ),
        (
            "/api/disseminations/preview",
            {"records": ["a\x00"], "recipients": ["node-b"], "purpose": "counter-terrorism"},
            "body:records.0",
        ),
    ],
)
def test_free_text_with_control_characters_is_refused(ana, openapi, path, body, field):
    body_problem = assert_problem(ana.post(path, body, content_type="application/json"), 422)
    assert body_problem["errors"][0]["path"] == field


def test_a_reason_of_several_lines_is_accepted(ana):
    response = ana.post(
        "/api/records/identity--nope/revoke",
        {"reason": "withdrawn by the source:\r\n\tsee the case file"},
        content_type="application/json",
    )
    assert_problem(response, 404)
