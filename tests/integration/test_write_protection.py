"""Writes are restricted like reads: who may write a version of a record, revoke it, remove it
from a collection or share it, and that a version never lowers a record's protection.

Each test stages what an attacker with an ordinary account did to a node and checks that the
record, its history, its watchlist entry and its markings come out as they went in.
"""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client

from accord.accounts.services import create_token
from accord.engine.stix.markings import TLP_IDS
from accord.intel.factories import person_object
from accord.intel.models import Record, RecordGrant, RecordVersion
from accord.intel.services import ProtectionApproval, RecordRefused, create_record, ingest_objects
from accord.intel.writes import NOT_YOURS
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

TAXII_TYPE = "application/taxii+json;version=2.1"


class Api:
    def __init__(self, token: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **headers: str):
        return self.client.get(url, headers={**self.headers, **headers})

    def post(self, url: str, body, content_type="application/json", **headers: str):
        return self.client.post(
            url,
            data=json.dumps(body),
            content_type=content_type,
            headers={**self.headers, **headers},
        )

    def delete(self, url: str, **headers: str):
        return self.client.delete(url, headers={**self.headers, **headers})


@pytest.fixture
def people(make_user, node_identity):
    """Alice and Sam (supervisor) of agency alpha, Bob of agency beta, Gina (beta) who will be
    granted read access, Wes (beta) who will be granted write access."""
    users = {
        "alice": make_user("alice", role="analyst", agency="alpha"),
        "sam": make_user("sam", role="supervisor", agency="alpha"),
        "amy": make_user("amy", role="analyst", agency="alpha"),
        "bob": make_user("bob", role="analyst", agency="beta"),
        "gina": make_user("gina", role="analyst", agency="beta"),
        "wes": make_user("wes", role="analyst", agency="beta"),
        "leo": make_user("leo", role="liaison", agency="beta"),
    }
    return users


@pytest.fixture
def api(people):
    clients = {}
    for name, user in people.items():
        raw, _ = create_token(None, user, name="t")
        clients[name] = Api(raw)
    return clients


def _watchlisted(n: int, tlp: str) -> dict:
    obj = person_object(n, tlp=tlp)
    ext = next(iter(obj["extensions"].values()))
    ext["watchlist"] = {"action": "arrest", "list_name": "national"}
    return obj


@pytest.fixture
def red(api, people):
    """Alice's TLP:RED watch-listed person; Gina may read it, Wes may read and change it."""
    obj = _watchlisted(1, "red")
    assert api["alice"].post("/api/records", obj).status_code == 201
    record = Record.objects.get(stix_id=obj["id"])
    RecordGrant.objects.create(record=record, user=people["gina"])
    RecordGrant.objects.create(record=record, user=people["wes"], can_write=True)
    RecordGrant.objects.create(record=record, user=people["sam"], can_write=True)
    return obj


def _stripped(obj: dict, modified: str = "2026-06-01T00:00:00.000Z") -> dict:
    forged = copy.deepcopy(obj)
    forged["modified"] = modified
    forged.pop("object_marking_refs", None)
    ext = next(iter(forged["extensions"].values()))
    ext.pop("watchlist", None)
    return forged


def _unchanged(obj: dict) -> None:
    record = Record.objects.get(stix_id=obj["id"])
    assert record.version_count == 1
    assert record.tlp == "red"
    assert '"watchlist"' in record.data
    assert RecordVersion.objects.filter(record=record).count() == 1


def test_hidden_red_record_cannot_be_versioned_through_the_api(api, red):
    response = api["bob"].post("/api/records", _stripped(red))
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [{"path": "id", "message": NOT_YOURS}]
    text = response.content.decode()
    assert red["created_by_ref"] not in text
    assert "TLP" not in text and "alice" not in text
    _unchanged(red)
    # Nobody else now reads the record or its history.
    for name in ("bob", "leo"):
        assert api[name].get(f"/api/records/{red['id']}").status_code == 404
        assert api[name].get(f"/api/records/{red['id']}/versions").status_code == 404


def test_refusal_for_a_hidden_record_names_no_creator_even_without_one(api, red):
    forged = _stripped(red)
    forged.pop("created_by_ref")
    response = api["bob"].post("/api/records", forged)
    assert response.status_code == 422
    assert red["created_by_ref"] not in response.content.decode()
    assert response.json()["errors"] == [{"path": "id", "message": NOT_YOURS}]
    _unchanged(red)


def test_identical_copy_of_a_hidden_record_is_refused_too(api, red):
    response = api["bob"].post("/api/records", red)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": "id", "message": NOT_YOURS}]


def test_hidden_red_record_cannot_be_versioned_through_taxii(api, red, people):
    from accord.taxii.services import create_collection, grant_access

    collection = create_collection(None, title="Inbox", alias="inbox")
    grant_access(None, collection, people["bob"], can_read=True, can_write=True)
    response = api["bob"].post(
        f"/taxii2/accord/collections/{collection.pk}/objects/",
        {"objects": [_stripped(red)]},
        content_type=TAXII_TYPE,
        Accept=TAXII_TYPE,
    )
    assert response.status_code == 202, response.content
    status = response.json()
    assert status["success_count"] == 0
    assert status["failures"][0]["message"] == f"id: {NOT_YOURS}"
    _unchanged(red)


def test_read_grant_does_not_give_the_right_to_change(api, red):
    response = api["gina"].post("/api/records", _stripped(red))
    assert response.status_code == 422
    assert "may read this record but not change it" in response.json()["errors"][0]["message"]
    revoke = api["gina"].post(f"/api/records/{red['id']}/revoke", {"reason": "mine now"})
    assert revoke.status_code == 403
    _unchanged(red)
    assert not Record.objects.get(stix_id=red["id"]).revoked


def test_write_grant_and_owner_may_version_but_not_lower(api, red):
    version = copy.deepcopy(red)
    version["modified"] = "2026-06-01T00:00:00.000Z"
    version["description"] = "seen in Rotterdam"
    assert api["wes"].post("/api/records", version).status_code == 201
    lowered = copy.deepcopy(version)
    lowered["modified"] = "2026-07-01T00:00:00.000Z"
    lowered["object_marking_refs"] = [TLP_IDS["amber"]]
    response = api["alice"].post("/api/records", lowered)
    assert response.status_code == 422
    message = response.json()["errors"][0]["message"]
    assert "TLP:RED becomes TLP:AMBER" in message
    assert "supervisor" in message
    assert Record.objects.get(stix_id=red["id"]).tlp == "red"


def test_supervisor_lowers_with_a_reason_and_history_keeps_its_protection(api, red):
    lowered = copy.deepcopy(red)
    lowered["modified"] = "2026-07-01T00:00:00.000Z"
    lowered["object_marking_refs"] = [TLP_IDS["amber"]]
    # Without a reason, not even a supervisor.
    assert api["sam"].post("/api/records", lowered).status_code == 422
    response = api["sam"].post(
        "/api/records", lowered, **{"X-Accord-Approval-Reason": "declassified by order 12"}
    )
    assert response.status_code == 201, response.content
    record = Record.objects.get(stix_id=red["id"])
    assert record.tlp == "amber"
    event = AuditEvent.objects.filter(action="record.protection_lowered").get()
    assert event.object_ids == [red["id"]]
    assert event.detail["reason"] == "declassified by order 12"
    assert event.detail["changes"] == ["TLP:RED becomes TLP:AMBER"]
    # Amy (alpha, no grant) now reads the AMBER record, but not its RED version.
    versions = api["amy"].get(f"/api/records/{red['id']}/versions").json()
    assert [v["modified"] for v in versions] == [lowered["modified"]]
    owner_versions = api["alice"].get(f"/api/records/{red['id']}/versions").json()
    assert len(owner_versions) == 2


def test_an_analyst_reason_is_not_an_approval(api, red):
    lowered = copy.deepcopy(red)
    lowered["modified"] = "2026-07-01T00:00:00.000Z"
    lowered["object_marking_refs"] = [TLP_IDS["clear"]]
    response = api["alice"].post(
        "/api/records", lowered, **{"X-Accord-Approval-Reason": "I say so"}
    )
    assert response.status_code == 422
    assert Record.objects.get(stix_id=red["id"]).tlp == "red"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"handling": "H1"}, "handling code H2 becomes handling code H1"),
        ({"handling": ""}, "handling code H2 becomes no handling code"),
        ({"purposes": []}, "the restriction to purposes counter-terrorism is removed"),
        ({"purposes": ["counter-terrorism", "serious-crime"]}, "purposes widened: serious-crime"),
        ({"release": ["NL", "DE", "US"]}, "releasability widened: US added"),
    ],
)
def test_handling_purposes_and_releasability_never_widen_silently(people, change, words):
    from accord.engine.stix.markings import HandlingMarking, handling_marking_definition

    def marked(modified: str, code: str, purposes: list[str], release: list[str]) -> list[dict]:
        handling = HandlingMarking(
            handling_code=code, purposes=tuple(purposes), releasable_to=tuple(release)
        )
        obj = person_object(7, tlp="amber", modified=modified)
        definition = handling_marking_definition(handling)
        obj["object_marking_refs"].append(definition["id"])
        return [definition, obj]

    first = marked("2026-01-02T03:04:05.000Z", "H2", ["counter-terrorism"], ["NL", "DE"])
    assert ingest_objects(people["alice"], first, source="t", purpose="counter-terrorism").ok
    code = change.get("handling", "H2")
    purposes = change.get("purposes", ["counter-terrorism"])
    release = change.get("release", ["NL", "DE"])
    second = marked("2026-06-01T00:00:00.000Z", code, purposes, release)
    report = ingest_objects(people["alice"], second, source="t", purpose="counter-terrorism")
    assert not report.ok
    assert any(words in r.message for r in report.refused), report.refused
    assert Record.objects.get(stix_id=first[1]["id"]).version_count == 1


def test_raising_protection_needs_no_approval(api, red, people):
    obj = _watchlisted(2, "amber")
    assert api["alice"].post("/api/records", obj).status_code == 201
    raised = copy.deepcopy(obj)
    raised["modified"] = "2026-06-01T00:00:00.000Z"
    raised["object_marking_refs"] = [TLP_IDS["red"]]
    assert api["alice"].post("/api/records", raised).status_code == 201
    assert Record.objects.get(stix_id=obj["id"]).tlp == "red"


def test_another_agency_cannot_version_a_visible_record(api):
    obj = _watchlisted(3, "green")
    assert api["alice"].post("/api/records", obj).status_code == 201
    version = copy.deepcopy(obj)
    version["modified"] = "2026-06-01T00:00:00.000Z"
    response = api["bob"].post("/api/records", version)
    assert response.status_code == 422
    assert "may read this record but not change it" in response.json()["errors"][0]["message"]
    # The owner's agency may.
    assert api["amy"].post("/api/records", version).status_code == 201


def test_revoked_record_takes_no_newer_version(api):
    obj = _watchlisted(4, "green")
    assert api["alice"].post("/api/records", obj).status_code == 201
    assert (
        api["alice"].post(f"/api/records/{obj['id']}/revoke", {"reason": "wrong"}).status_code
        == 200
    )
    revived = copy.deepcopy(obj)
    revived["modified"] = "2030-01-01T00:00:00.000Z"
    response = api["alice"].post("/api/records", revived)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "revoked"
    assert Record.objects.get(stix_id=obj["id"]).revoked


def test_marking_definitions_are_never_versioned(people):
    from accord.engine.stix.markings import HandlingMarking, handling_marking_definition

    definition = handling_marking_definition(
        HandlingMarking(handling_code="H2", purposes=("counter-terrorism",))
    )
    assert ingest_objects(people["alice"], [definition], source="t").ok
    widened = {**definition, "created": "2026-06-01T00:00:00.000Z"}
    widened["extensions"] = copy.deepcopy(definition["extensions"])
    next(iter(widened["extensions"].values()))["purposes"] = ["serious-crime"]
    report = ingest_objects(people["alice"], [widened], source="t")
    assert not report.ok
    assert "never versioned" in report.refused[0].message


def test_federated_and_feed_writes_need_the_record_origin(people, node_identity):
    obj = _watchlisted(5, "amber")
    record = create_record(people["alice"], obj, purpose="counter-terrorism")
    forged = _stripped(obj)
    for origin in ("node-evil", "feed-public"):
        report = ingest_objects(None, [forged], source="peer", origin_node=origin)
        assert [r.message for r in report.refused] == [NOT_YOURS]
    # A copy of this node's own object relayed back (signed by this node) counts as its own.
    report = ingest_objects(None, [obj], source="peer", origin_node="node-test")
    assert report.ok and report.unchanged == 1
    record.refresh_from_db()
    assert record.version_count == 1


def test_system_import_may_not_rewrite_a_user_record(people):
    obj = _watchlisted(6, "amber")
    create_record(people["alice"], obj, purpose="counter-terrorism")
    version = copy.deepcopy(obj)
    version["modified"] = "2026-06-01T00:00:00.000Z"
    report = ingest_objects(None, [version], source="file")
    assert "an import may not change it" in report.refused[0].message


def test_create_record_refuses_with_reasons(people, red):
    with pytest.raises(RecordRefused) as caught:
        create_record(
            people["bob"],
            _stripped(red),
            purpose="counter-terrorism",
            approval=ProtectionApproval("x"),
        )
    assert caught.value.refusals[0].message == NOT_YOURS


def test_taxii_delete_needs_the_right_to_change(api, people):
    from accord.taxii.services import add_entries, create_collection, grant_access

    obj = _watchlisted(8, "green")
    assert api["alice"].post("/api/records", obj).status_code == 201
    collection = create_collection(None, title="Shared", alias="shared")
    for name in ("alice", "bob"):
        grant_access(None, collection, people[name], can_read=True, can_write=True)
    add_entries(collection, [(obj["id"], obj["modified"])])
    url = f"/taxii2/accord/collections/{collection.pk}/objects/{obj['id']}/"
    response = api["bob"].delete(url, Accept=TAXII_TYPE)
    assert response.status_code == 403
    assert "not change it" in response.json()["description"]
    assert api["alice"].delete(url, Accept=TAXII_TYPE).status_code == 200


def test_share_of_someone_elses_record_is_refused(people, api):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from django.core.exceptions import PermissionDenied

    from accord.dissemination.services import share
    from accord.federation.services import add_peer

    pem = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    add_peer(None, node_id="node-b", url="http://127.0.0.1:9/", jurisdiction="DE",
             public_key_pem=pem)  # fmt: skip
    obj = _watchlisted(9, "green")
    assert api["alice"].post("/api/records", obj).status_code == 201
    with pytest.raises(PermissionDenied):
        share(people["bob"], [obj["id"]], ["node-b"], "counter-terrorism")
    denied = AuditEvent.objects.filter(action="dissemination.share", outcome="denied")
    assert denied.exists()
