"""REST API: authentication (token, session with CSRF), problem details for every error, OpenAPI."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client, RequestFactory
from django.utils import timezone

from accord.accounts.models import User
from accord.accounts.services import create_token, revoke_token
from accord.http.problems import server_error
from accord.intel.factories import person_object

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    return body


@pytest.fixture
def ana(make_user):
    return make_user("ana")


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def test_anonymous_is_401_problem_with_challenge():
    response = Client().get("/api/records")
    body = assert_problem(response, 401)
    assert body["type"] == "urn:accord:problem:unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_anonymous_post_is_401_not_a_csrf_error():
    response = Client(enforce_csrf_checks=True).post(
        "/api/records", data="{}", content_type="application/json"
    )
    assert_problem(response, 401)


@pytest.mark.parametrize(
    "header",
    ["Bearer acc_not-a-real-token-at-all-xxxxxxxx", "Bearer nope", "Basic YW5hOnB3", "Bearer "],
)
def test_bad_credentials_are_401(ana, header):
    assert_problem(Client().get("/api/records", headers={"Authorization": header}), 401)


def test_valid_token_works(ana):
    raw, _ = create_token(None, ana, name="t")
    assert Client().get("/api/records", headers=bearer(raw)).status_code == 200


def test_revoked_token_is_refused(ana):
    raw, token = create_token(None, ana, name="t")
    revoke_token(None, token)
    assert_problem(Client().get("/api/records", headers=bearer(raw)), 401)


def test_expired_token_is_refused(ana):
    raw, _ = create_token(None, ana, name="t", expires_at=timezone.now() - timedelta(seconds=1))
    assert_problem(Client().get("/api/records", headers=bearer(raw)), 401)


def test_token_of_inactive_user_is_refused(ana):
    raw, _ = create_token(None, ana, name="t")
    User.objects.filter(pk=ana.pk).update(is_active=False)
    assert_problem(Client().get("/api/records", headers=bearer(raw)), 401)


def test_token_post_needs_no_csrf(ana):
    raw, _ = create_token(None, ana, name="t")
    response = Client(enforce_csrf_checks=True).post(
        "/api/records", data=json.dumps(person_object(1)), content_type="application/json",
        headers=bearer(raw),
    )  # fmt: skip
    assert response.status_code == 201, response.content


def test_session_reads_without_csrf_but_writes_only_with_it(ana):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ana)
    assert client.get("/api/records").status_code == 200
    body = json.dumps(person_object(1))
    refused = client.post("/api/records", data=body, content_type="application/json")
    problem = assert_problem(refused, 403)
    assert "CSRF" in problem["detail"]
    token = _get_new_csrf_string()
    client.cookies["accord_csrftoken"] = token
    accepted = client.post(
        "/api/records", data=body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201, accepted.content


def test_unknown_api_path_is_404_problem(ana):
    raw, _ = create_token(None, ana, name="t")
    for path in ("/api/nope", "/api/records/x/y/z", "/api/"):
        body = assert_problem(Client().get(path, headers=bearer(raw)), 404)
        assert body["instance"] == path
    # Anonymous callers get the same answer: no endpoint list leaks.
    assert_problem(Client().get("/api/nope"), 404)


def test_wrong_method_is_405_problem_with_allow(ana):
    raw, _ = create_token(None, ana, name="t")
    response = Client().delete("/api/records", headers=bearer(raw))
    body = assert_problem(response, 405)
    assert "GET" in response["Allow"] and "POST" in response["Allow"]
    assert "DELETE" in body["detail"]


def test_server_error_is_a_problem_that_leaks_nothing(caplog):
    request = RequestFactory().get("/api/records")
    try:
        raise RuntimeError("secret detail: passport P1234567")
    except RuntimeError as exc:
        response = server_error(request, exc)
    body = assert_problem(response, 500)
    assert "P1234567" not in response.content.decode()
    assert body["instance"] == "/api/records"
    assert any("API error" in r.getMessage() for r in caplog.records)


def test_openapi_document_is_served_and_lists_the_paths():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "Accord node API"
    paths = doc["paths"]
    for path, methods in {
        "/api/records": {"get", "post"},
        "/api/records/{stix_id}": {"get"},
        "/api/records/{stix_id}/versions": {"get"},
        "/api/imports": {"post"},
        "/api/imports/{job_id}": {"get"},
        "/api/export": {"get"},
    }.items():
        assert path in paths, sorted(paths)
        assert methods <= set(paths[path])
        for method in methods:
            operation = paths[path][method]
            assert operation["responses"], (path, method)
            assert operation.get("security"), (path, method)
    schemes = doc["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    # Every $ref resolves inside the document.
    text = json.dumps(doc)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        node = doc
        for key in ref.removeprefix("#/").split("/"):
            node = node[key]
    multipart = paths["/api/imports"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in multipart


def test_openapi_document_is_valid_openapi():
    from openapi_spec_validator import validate

    validate(Client().get("/api/openapi.json").json())
