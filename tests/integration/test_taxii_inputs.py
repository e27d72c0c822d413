"""TAXII 2.1 server: every kind of bad input is answered with the right status and a TAXII
error message (title, description, error_code, http_status) in the TAXII media type."""

from __future__ import annotations

import base64

import pytest
from django.core import signing
from django.test import override_settings
from tests.integration.taxii_helpers import TAXII, TaxiiClient, make_collection

from accord.accounts.services import create_token
from accord.intel.factories import person_object, synthetic_objects
from accord.taxii.auth import clear_basic_cache

pytestmark = pytest.mark.django_db

ROOT = "/taxii2/accord/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_basic_cache()
    yield
    clear_basic_cache()


@pytest.fixture
def s(make_user, client):
    writer = make_user("writer", agency="ctu")
    reader = make_user("reader", agency="ctu")
    make_user("outsider", agency="ctu")
    collection = make_collection((writer, True, True), (reader, True, False))
    w = TaxiiClient(client, "writer")
    objects = f"{ROOT}collections/{collection.pk}/objects/"
    assert w.post(objects, {"objects": list(synthetic_objects(5))}).status_code == 202
    return {
        "w": w,
        "r": TaxiiClient(client, "reader"),
        "o": TaxiiClient(client, "outsider"),
        "client": client,
        "writer": writer,
        "objects": objects,
        "base": f"{ROOT}collections/{collection.pk}/",
    }


def _error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == TAXII
    body = response.json()
    assert body["http_status"] == str(status)
    assert body["title"]
    assert body["description"]
    assert body["error_code"]
    return body


@pytest.mark.parametrize(
    "accept", ["application/json", "text/html", "application/taxii+json;version=2.0"]
)
def test_unacceptable_accept_is_406(s, accept):
    _error(s["r"].get(s["objects"], HTTP_ACCEPT=accept), 406)


@pytest.mark.parametrize(
    "accept",
    [
        TAXII,
        "application/taxii+json",
        "*/*",
        "application/taxii+json; version=2.1",
        "text/html, application/taxii+json;version=2.1;q=0.9",
    ],
)
def test_acceptable_accept(s, accept):
    response = s["r"].get(s["objects"], HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == TAXII


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/taxii+json;version=2.0",
        "application/taxii+jsonx;version=2.1",
        "application/stix+json;version=2.1",
        "",
    ],
)
def test_wrong_content_type_is_415(s, content_type):
    body = {"objects": [person_object(50)]}
    _error(s["w"].post(s["objects"], body, content_type=content_type), 415)


@pytest.mark.parametrize(
    "content_type",
    [
        TAXII,
        "application/taxii+json",  # TAXII 2.1 section 1.6.8: no version is the latest, 2.1
        "Application/TAXII+JSON; Version=2.1",
        'application/taxii+json; charset=utf-8; version="2.1"',
    ],
)
def test_taxii_content_type_is_accepted(s, content_type):
    body = {"objects": [person_object(51)]}
    assert s["w"].post(s["objects"], body, content_type=content_type).status_code == 202


def test_invalid_json_is_400_and_json_that_is_no_envelope_422(s):
    _error(s["w"].post(s["objects"], b"{not json"), 400)
    # TAXII 2.1 section 5.5: JSON that is not an envelope cannot be processed (422).
    _error(s["w"].post(s["objects"], b"[1, 2]"), 422)
    _error(s["w"].post(s["objects"], {"more": False}), 422)
    _error(s["w"].post(s["objects"], {"objects": []}), 422)
    _error(s["w"].post(s["objects"], {"objects": "nope"}), 422)


def test_invalid_stix_in_valid_envelope_is_refused_per_object(s):
    bad = {**person_object(51), "spec_version": "2.0", "identity_class": 7}
    good = person_object(52)
    response = s["w"].post(s["objects"], {"objects": [bad, good]})
    assert response.status_code == 202
    status = response.json()
    assert status["success_count"] == 1
    assert status["failures"][0]["id"] == bad["id"]
    assert status["failures"][0]["message"]


@override_settings(ACCORD_TAXII_MAX_CONTENT_LENGTH=2000)
def test_too_large_is_413_and_announced(s):
    assert s["r"].get(ROOT).json()["max_content_length"] == 2000
    body = {"objects": list(synthetic_objects(10, start=300))}
    _error(s["w"].post(s["objects"], body), 413)


def test_limits(s):
    big = s["r"].get(s["objects"], {"limit": "100000000"})
    assert big.status_code == 200
    assert len(big.json()["objects"]) == 5
    for bad in ("0", "-1", "abc", "1.5"):
        _error(s["r"].get(s["objects"], {"limit": bad}), 400)


def test_malformed_and_tampered_next_are_400(s):
    token = s["r"].get(s["objects"], {"limit": "2"}).json()["next"]
    _error(s["r"].get(s["objects"], {"limit": "2", "next": "garbage"}), 400)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    _error(s["r"].get(s["objects"], {"limit": "2", "next": tampered}), 400)
    forged = signing.dumps([0, 0, "x" * 16], salt="accord.federation.taxii.next")
    _error(s["r"].get(s["objects"], {"next": forged}), 400)
    assert s["r"].get(s["objects"], {"limit": "2", "next": token}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"added_after": "yesterday"},
        {"added_after": "2026-13-01T00:00:00Z"},
        {"added_after": "2026-01-01T00:00:00"},
        {"match[version]": "newest"},
        {"match[version]": "last,2026-02-30T00:00:00Z"},
    ],
)
def test_bad_timestamps_are_400(s, params):
    _error(s["r"].get(s["objects"], params), 400)
    _error(s["r"].get(s["base"] + "manifest/", params), 400)


def test_unauthenticated_is_401_with_basic_challenge(s):
    client = s["client"]
    for path in ("/taxii2/", ROOT, s["objects"]):
        response = client.get(path, HTTP_ACCEPT=TAXII)
        _error(response, 401)
        assert response["WWW-Authenticate"].startswith('Basic realm="Accord TAXII"')
    wrong = base64.b64encode(b"reader:wrong password 1").decode()
    _error(client.get(ROOT, HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION=f"Basic {wrong}"), 401)
    _error(client.get(ROOT, HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION="Basic !!!"), 401)
    _error(client.get(ROOT, HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION="Bearer acc_nope"), 401)


def test_throttling_applies_to_basic(s, settings):
    client = s["client"]
    wrong = base64.b64encode(b"reader:wrong password 1").decode()
    for _ in range(settings.ACCORD_LOGIN_SOURCE_FAILURES):
        client.get(ROOT, HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION=f"Basic {wrong}")
    _error(s["r"].get(ROOT), 429)  # this address is paused, even with the right password
    assert s["r"].get(ROOT, REMOTE_ADDR="192.0.2.1").status_code == 200  # others are not


def test_bearer_token_works(s):
    raw, _ = create_token(s["writer"], s["writer"], name="taxii")
    response = s["client"].get(s["objects"], HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert len(response.json()["objects"]) == 5


def test_unauthorised_is_403_or_404(s):
    # No grant at all: the collection is not disclosed (404).
    _error(s["o"].get(s["objects"]), 404)
    _error(s["o"].get(s["base"]), 404)
    assert s["o"].get(ROOT + "collections/").json() == {}  # no empty list (section 2)
    # Read-only: writing is 403.
    _error(s["r"].post(s["objects"], {"objects": [person_object(60)]}), 403)
    first = s["r"].get(s["objects"]).json()["objects"][0]["id"]
    _error(s["r"].delete(f"{s['objects']}{first}/"), 403)


def test_role_that_may_not_add_records_is_403(make_user, client, s):
    from accord.taxii.models import Collection
    from accord.taxii.services import grant_access

    commander = make_user("cmd", role="commander")
    grant_access(None, Collection.objects.get(), commander, can_read=True, can_write=True)
    body = _error(
        TaxiiClient(client, "cmd").post(s["objects"], {"objects": [person_object(61)]}), 403
    )
    assert "may not" in body["description"]


def test_unknown_things_are_404_and_wrong_method_405(s):
    _error(s["r"].get(f"{ROOT}collections/no-such/objects/"), 404)
    _error(s["r"].get(f"{s['objects']}identity--00000000-0000-4000-8000-000000000000/"), 404)
    _error(s["r"].get(f"{ROOT}status/not-a-uuid/"), 404)
    _error(s["r"].get("/taxii2/nope/collections/"), 404)
    _error(s["r"].client.generic("PUT", s["objects"], **s["r"].headers), 405)
