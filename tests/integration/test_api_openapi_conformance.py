"""The REST API answers as its OpenAPI document says: what the property-based suite
(``tests/fuzz/test_api_schemathesis.py``) found, each as a plain request: a request the document
calls valid is not refused as invalid input, the document states each limit the server holds a
request to, and every answer is what the document gives (a problem document in valid UTF-8)."""

from __future__ import annotations

import asyncio
import json
import warnings

import jsonschema_rs
import pytest
from django.core.asgi import get_asgi_application
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client

from accord.accounts.services import create_token
from accord.engine.stix.markings import PURPOSES
from accord.intel.factories import person_object
from accord.intel.services import ingest_objects

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content.decode("utf-8"))
    assert body["status"] == status
    return body


@pytest.fixture
def openapi() -> dict:
    return Client().get("/api/openapi.json").json()


def client_for(make_user, username: str, role: str) -> Client:
    raw, _ = create_token(None, make_user(username, role=role), name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def ana(make_user) -> Client:
    return client_for(make_user, "ana", "analyst")


def body_schema(doc: dict, path: str, media: str = "application/json") -> jsonschema_rs.Validator:
    """The request body's schema, its references resolved against the document."""
    schema = doc["paths"][path]["post"]["requestBody"]["content"][media]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": doc["components"]})


# --- the document ------------------------------------------------------------------------------


def test_the_document_names_each_key_once_and_export_answers_stix(ana):
    """A JSON object's names are unique (RFC 8259 section 4); the export's 200 was given twice,
    once as JSON and once as STIX, and a reader kept whichever came last."""
    repeated: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict:
        names = [name for name, _ in items]
        repeated.extend(name for name in set(names) if names.count(name) > 1)
        return dict(items)

    doc = json.loads(Client().get("/api/openapi.json").content, object_pairs_hook=pairs)
    assert repeated == []
    answer = doc["paths"]["/api/export"]["get"]["responses"]["200"]
    assert list(answer["content"]) == ["application/stix+json;version=2.1"]
    response = ana.get("/api/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/stix+json;version=2.1"


# --- problem documents --------------------------------------------------------------------------


def test_a_refusal_that_quotes_bytes_that_are_not_utf8_is_a_utf8_problem(ana):
    """A manifest reader names the segment it refused with its first bytes; bytes that are not
    UTF-8 become U+FFFD in the problem, never a fault."""
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
    upload = SimpleUploadedFile("file.png", png, "image/png")
    body = assert_problem(ana.post("/api/screenings", {"file": upload, "format": "pnrgov"}), 422)
    assert "\ufffd" in body["detail"]
    assert body["errors"][0]["path"].startswith("file")


# --- dissemination ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/disseminations/preview", "/api/disseminations"])
def test_the_share_purpose_is_one_of_the_purposes_in_the_document(ana, openapi, path):
    schema = body_schema(openapi, path)
    request = {"records": ["identity--nope"], "recipients": ["node-b"], "purpose": "0"}
    assert not schema.is_valid(request)
    body = assert_problem(ana.post(path, request, content_type="application/json"), 422)
    assert body["errors"][0]["path"] == "body:purpose"
    for purpose in PURPOSES:
        assert schema.is_valid({**request, "purpose": purpose})


# --- screening ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "person",
    [
        {"names": None},
        {"names": None, "full_name": None, "document_number": ["P1234567"]},
    ],
)
def test_a_person_whose_names_are_not_a_list_needs_another_name(ana, openapi, person):
    """``names`` gives a name to screen only as a list holding one; the document said any value
    that is not a list would do."""
    assert not body_schema(openapi, "/api/screenings").is_valid(person)
    body = assert_problem(ana.post("/api/screenings", person, content_type="application/json"), 422)
    assert body["errors"][0]["path"].startswith("body")


def test_the_incoming_hits_status_is_one_the_document_lists(make_user, openapi):
    leo = client_for(make_user, "leo", "liaison")
    operation = openapi["paths"]["/api/screenings/incoming"]["get"]
    status = next(p for p in operation["parameters"] if p["name"] == "status")
    assert status["schema"]["enum"] == ["", "new", "answered"]
    for value in status["schema"]["enum"]:
        assert leo.get(f"/api/screenings/incoming?status={value}").status_code == 200
    body = assert_problem(leo.get("/api/screenings/incoming?status=GET"), 422)
    assert body["errors"][0]["path"] == "query:status"


# --- records ------------------------------------------------------------------------------------


def test_the_documented_stix_object_example_is_stored(ana, openapi):
    """The document's example of ``POST /api/records`` is a valid object: the request a
    property-based client sends as the one valid STIX object it cannot derive from a JSON
    schema."""
    content = openapi["paths"]["/api/records"]["post"]["requestBody"]["content"]
    for media, body in content.items():
        assert body_schema(openapi, "/api/records", media).is_valid(body["example"])
    example = content["application/json"]["example"]
    response = ana.post("/api/records", example, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["id"] == example["id"]


# --- JSON bodies: numbers within 64 bits ---------------------------------------------------------

BIG = 2**63


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/records",
            {"type": "identity", "id": "identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"},
        ),
        ("/api/screenings", {"full_name": "Karim Haddad"}),
    ],
)
@pytest.mark.parametrize("number", [BIG, -BIG, 1e300, -1.7976931348623157e308])
def test_the_document_states_the_range_of_numbers_a_json_body_may_hold(
    ana, openapi, path, body, number
):
    """Every JSON body is read with numbers within the signed 64-bit range; where the document
    leaves a value open (a STIX object's properties, what else is known of a person) it says
    so, as ``JsonValue``."""
    schema = body_schema(openapi, path)
    inside = {**body, "x_seen": [{"count": BIG - 1, "ratio": -1.5e18}]}
    outside = {**body, "x_seen": [{"count": number}]}
    assert schema.is_valid(inside)
    assert not schema.is_valid(outside)
    assert_problem(ana.post(path, outside, content_type="application/json"), 400)


# --- export over ASGI ----------------------------------------------------------------------------


def asgi_get(path: str, token: str) -> tuple[int, dict[str, str], list[bytes]]:
    """One GET through Django's ASGI handler, as ``accord serve`` runs it: the status, the
    headers and the body messages in the order they were sent."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
    }  # fmt: skip
    sent: list[dict] = []
    asked = 0

    async def receive() -> dict:
        nonlocal asked
        asked += 1
        if asked == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # the client waits for the answer
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(get_asgi_application()(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, [m["body"] for m in sent if m.get("body")]


@pytest.mark.django_db(transaction=True)
def test_the_export_streams_over_asgi_without_reading_the_bundle_into_memory(
    make_user, monkeypatch
):
    """Under ASGI Django reads a synchronous iterator whole into memory (and warns) before it
    sends a byte; the export gives it an asynchronous one, read a batch at a time."""
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    user = make_user("ana")
    raw, _ = create_token(None, user, name="t")
    objects = [person_object(n) for n in range(1, 4)]
    assert ingest_objects(user, objects, source="test", purpose="counter-terrorism").ok
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, headers, body = asgi_get("/api/export", raw)
    assert [str(w.message) for w in caught if "synchronous iterators" in str(w.message)] == []
    assert (status, headers["content-type"]) == (200, "application/stix+json;version=2.1")
    bundle = json.loads(b"".join(body))
    assert sorted(o["id"] for o in bundle["objects"]) == sorted(o["id"] for o in objects)


def test_the_consents_status_is_one_the_document_lists(make_user):
    from accord.accounts.services import create_token

    leo = make_user("leo", role="liaison")
    raw, _ = create_token(None, leo, name="t")
    client = Client()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/consents?status=granted", headers=headers).status_code == 200
    refused = client.get("/api/consents?status=whatever", headers=headers)
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"


def test_an_approval_reason_in_utf8_is_audited_as_written(make_user, node_identity):
    """Header values arrive as ISO 8859-1; a supervisor's reason written in UTF-8 is kept."""
    import copy

    from accord.accounts.services import create_token
    from accord.engine.stix.markings import TLP_IDS
    from accord.intel.factories import person_object
    from accord.oversight.models import AuditEvent

    sam = make_user("sam", role="supervisor", agency="alpha")
    raw, _ = create_token(None, sam, name="t")
    client = Client()
    headers = {"Authorization": f"Bearer {raw}"}
    obj = person_object(3, tlp="red")
    assert client.post("/api/records", obj, content_type="application/json",
                       headers=headers).status_code == 201  # fmt: skip
    lowered = copy.deepcopy(obj)
    lowered["modified"] = "2026-09-01T00:00:00.000Z"
    lowered["object_marking_refs"] = [TLP_IDS["amber"]]
    reason = "Déclassifié — ordre n° 12"
    response = client.post(
        "/api/records",
        lowered,
        content_type="application/json",
        headers={**headers, "X-Accord-Approval-Reason": reason.encode().decode("latin-1")},
    )
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action="record.protection_lowered")
    assert event.detail["reason"] == reason
