"""TAXII 2.1 conformance of the answers themselves: every answer under ``/taxii2/`` is a TAXII
message (unknown URLs and URLs without their final "/" included), filters that exclude every
version of an object are an empty answer rather than 404, no resource carries an empty list,
and JSON that is not an envelope is 422."""

from __future__ import annotations

import pytest
from tests.integration.taxii_helpers import TAXII, TaxiiClient, make_collection

from accord.intel.factories import person_object, synthetic_objects
from accord.intel.models import Record
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
    make_user("nobody", agency="ctu")
    collection = make_collection((writer, True, True))
    w = TaxiiClient(client, "writer")
    objects = f"{ROOT}collections/{collection.pk}/objects/"
    v1 = person_object(70, modified="2026-01-02T03:04:05.000Z")
    v2 = person_object(70, modified="2026-02-02T03:04:05.000Z")
    assert w.post(objects, {"objects": [v1, v2]}).status_code == 202
    return {"w": w, "client": client, "objects": objects, "sid": v1["id"],
            "n": TaxiiClient(client, "nobody")}  # fmt: skip


def _taxii_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == TAXII
    body = response.json()
    assert body["http_status"] == str(status)
    assert body["title"]
    assert body["description"]
    return body


@pytest.mark.parametrize(
    "where",
    ["/taxii2/nope/x/objects/y/z/", "{objects}a/b/c/", f"{ROOT}status/", f"{ROOT}x/y/"],
)
def test_unknown_paths_are_taxii_404(s, where):
    path = where.format(objects=s["objects"])
    body = _taxii_error(s["w"].get(path), 404)
    assert "/taxii2/accord/" in body["description"]
    # Before the credentials are known, the answer is the TAXII 401 (nothing is disclosed).
    _taxii_error(s["client"].get(path, HTTP_ACCEPT=TAXII), 401)
    # Whatever the method.
    _taxii_error(s["w"].post(path, {"objects": []}), 404)


def test_a_url_without_its_final_slash_is_served_not_redirected(s):
    for path in ("/taxii2", ROOT.rstrip("/"), f"{ROOT}collections", s["objects"].rstrip("/")):
        response = s["w"].get(path)
        assert response.status_code == 200, (path, response.content)
        assert response["Content-Type"] == TAXII
    versions = s["w"].get(f"{s['objects']}{s['sid']}/versions")
    assert len(versions.json()["versions"]) == 2
    # A POST keeps its body: the objects are stored (a redirect would have lost them).
    fresh = person_object(71)
    posted = s["w"].post(s["objects"].rstrip("/"), {"objects": [fresh]})
    assert posted.status_code == 202, posted.content
    assert posted.json()["success_count"] == 1
    assert Record.objects.filter(stix_id=fresh["id"]).exists()


def test_filters_that_exclude_every_version_answer_empty_not_404(s):
    one = f"{s['objects']}{s['sid']}/"
    later = {"added_after": "2999-01-01T00:00:00Z"}
    empty = s["w"].get(one, later)
    assert empty.status_code == 200
    assert empty["Content-Type"] == TAXII
    assert empty.json() == {"more": False}
    empty = s["w"].get(one, {"match[version]": "2020-01-01T00:00:00.000Z"})
    assert empty.json() == {"more": False}
    versions = s["w"].get(one + "versions/", later)
    assert versions.status_code == 200
    assert versions.json() == {"more": False}  # no empty "versions" list
    # An object the collection does not hold (or the caller may not see) stays 404.
    missing = f"{s['objects']}identity--00000000-0000-4000-8000-000000000000/"
    _taxii_error(s["w"].get(missing), 404)
    _taxii_error(s["w"].get(missing, later), 404)
    _taxii_error(s["w"].get(missing + "versions/", later), 404)


def test_status_resources_carry_no_empty_lists(s):
    posted = s["w"].post(s["objects"], {"objects": list(synthetic_objects(3, start=400))})
    status = posted.json()
    assert status["success_count"] == 3
    assert len(status["successes"]) == 3
    assert (status["failure_count"], status["pending_count"]) == (0, 0)
    assert "failures" not in status
    assert "pendings" not in status
    again = s["w"].get(f"{ROOT}status/{status['id']}/").json()
    assert again == status
    bad = {**person_object(72), "identity_class": 42}
    refused = s["w"].post(s["objects"], {"objects": [bad]}).json()
    assert refused["failure_count"] == 1
    assert refused["failures"][0]["id"] == bad["id"]
    assert "successes" not in refused
    assert "pendings" not in refused


def test_no_collections_is_an_empty_resource(s):
    listing = s["n"].get(f"{ROOT}collections/")
    assert listing.status_code == 200
    assert listing.json() == {}


@pytest.mark.parametrize(
    "body",
    [
        person_object(73),  # one STIX object instead of an envelope
        [person_object(74)],  # a list of objects
        {"more": False},
        {"objects": []},
        {"objects": {"id": "x"}},
    ],
)
def test_json_that_is_not_an_envelope_is_422(s, body):
    body = _taxii_error(s["w"].post(s["objects"], body), 422)
    assert "envelope" in body["description"]


def test_a_body_that_is_not_json_is_400_with_a_message_in_words(s):
    body = _taxii_error(s["w"].post(s["objects"], b'{"objects": [' * 100 + b"]}" * 100), 400)
    assert "deep" in body["description"]
    body = _taxii_error(s["w"].post(s["objects"], b"{not json"), 400)
    assert "not valid JSON" in body["description"]
