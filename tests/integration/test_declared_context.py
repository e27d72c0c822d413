"""Granular markings protect the record, and the purpose and case a user declares are checked:
the oversight review (which passes purpose restrictions) only for reviewers, a case only when it
exists and the user is one of its members, on the REST API, TAXII and the web UI."""

from __future__ import annotations

import pytest
from django.test import Client

from accord.accounts.services import create_token
from accord.engine.stix.markings import TLP_IDS, HandlingMarking, handling_marking_definition
from accord.intel.factories import person_object
from accord.intel.models import Case, CaseMembership, Record
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

TAXII_TYPE = "application/taxii+json;version=2.1"


def _api(user) -> tuple[Client, dict[str, str]]:
    raw, _ = create_token(None, user, name="t")
    return Client(), {"Authorization": f"Bearer {raw}"}


def _granular_red(n: int) -> dict:
    """A person whose object-level marking is GREEN but whose name and extension are RED by
    granular marking (STIX 2.1 section 7.2.3)."""
    obj = person_object(n, tlp="green")
    ext_key = next(iter(obj["extensions"]))
    obj["granular_markings"] = [
        {"marking_ref": TLP_IDS["red"], "selectors": ["name", f"extensions.{ext_key}"]}
    ]
    return obj


def test_granular_red_restricts_the_whole_record(make_user):
    alice = make_user("alice", role="analyst", agency="alpha")
    bob = make_user("bob", role="analyst", agency="alpha")
    obj = _granular_red(1)
    report = ingest_objects(alice, [obj], source="t", purpose="counter-terrorism")
    assert report.ok, report.refused
    record = Record.objects.get(stix_id=obj["id"])
    assert record.tlp == "red"
    assert (
        Record.objects.restrict(bob, purpose="counter-terrorism").filter(pk=record.pk).count() == 0
    )
    assert (
        Record.objects.restrict(alice, purpose="counter-terrorism").filter(pk=record.pk).count()
        == 1
    )


def test_granular_handling_marking_restricts_purposes(make_user):
    alice = make_user("alice", role="analyst")
    handling = handling_marking_definition(
        HandlingMarking(handling_code="H2", purposes=("border-security",))
    )
    obj = person_object(2, tlp="green")
    obj["granular_markings"] = [{"marking_ref": handling["id"], "selectors": ["name"]}]
    assert ingest_objects(alice, [handling, obj], source="t").ok
    record = Record.objects.get(stix_id=obj["id"])
    assert record.handling_code == "H2"
    assert set(record.marking_rows.values_list("kind", "value")) == {("purpose", "border-security")}


def test_unknown_granular_marking_is_refused_with_its_path(make_user):
    alice = make_user("alice", role="analyst")
    obj = person_object(3, tlp="green")
    obj["granular_markings"] = [
        {
            "marking_ref": "marking-definition--0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b",
            "selectors": ["name"],
        }
    ]
    report = ingest_objects(alice, [obj], source="t")
    assert [r.path for r in report.refused] == ["granular_markings[0].marking_ref"]
    assert not Record.objects.filter(stix_id=obj["id"]).exists()


def test_granular_red_person_is_not_screened_for_others(make_user):
    from accord.engine.manifests.traveller import Traveller
    from accord.screening.services import screen
    from accord.screening.watchlist import watchlist

    alice = make_user("alice", role="analyst", agency="alpha")
    bob = make_user("bob", role="analyst", agency="beta")
    obj = _granular_red(4)
    ext = next(iter(obj["extensions"].values()))
    ext["watchlist"] = {"action": "arrest", "list_name": "national"}
    assert ingest_objects(alice, [obj], source="t").ok
    watchlist.invalidate()
    name = obj["name"]
    traveller = Traveller(row=1, id="t1", names=(name,))
    assert screen(alice, [traveller], purpose="counter-terrorism")[0].hit
    assert not screen(bob, [traveller], purpose="counter-terrorism")[0].hit


@pytest.fixture
def restricted(make_user):
    """A record restricted to the purpose border-security, and a case CASE-1 with Ana in it."""
    ana = make_user("ana", role="analyst")
    handling = handling_marking_definition(HandlingMarking(purposes=("border-security",)))
    obj = person_object(5, tlp="green")
    obj["object_marking_refs"].append(handling["id"])
    assert ingest_objects(ana, [handling, obj], source="t").ok
    case = Case.objects.create(reference="CASE-1", title="One")
    CaseMembership.objects.create(case=case, user=ana)
    Case.objects.create(reference="CASE-2", title="Two")
    return ana, obj


def test_api_refuses_the_oversight_purpose_to_an_analyst(restricted):
    ana, obj = restricted
    client, headers = _api(ana)
    before = AuditEvent.objects.filter(action="record.read").count()
    response = client.get(
        f"/api/records/{obj['id']}", headers={**headers, "X-Accord-Purpose": "oversight-review"}
    )
    assert response.status_code == 422
    assert "oversight-review" in response.json()["detail"]
    assert AuditEvent.objects.filter(action="record.read").count() == before
    # And the queryset itself gives nothing under a purpose the role may not declare.
    assert not Record.objects.restrict(ana, purpose="oversight-review").exists()


def test_api_refuses_unknown_purposes_and_cases_not_ones_own(restricted):
    ana, obj = restricted
    client, headers = _api(ana)
    url = f"/api/records/{obj['id']}"
    for extra in (
        {"X-Accord-Purpose": "curiosity"},
        {"X-Accord-Case": "CASE-404"},
        {"X-Accord-Case": "CASE-2"},
    ):
        response = client.get(
            url, headers={**headers, "X-Accord-Purpose": "border-security", **extra}
        )
        assert response.status_code == 422, extra
    response = client.get(
        url, headers={**headers, "X-Accord-Purpose": "border-security", "X-Accord-Case": "CASE-1"}
    )
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="record.read").order_by("-seq").first()
    assert (event.purpose, event.case) == ("border-security", "CASE-1")
    assert not AuditEvent.objects.filter(case__in=["CASE-404", "CASE-2"]).exists()


def test_oversight_officer_declares_the_review(make_user, restricted):
    _ana, obj = restricted
    olga = make_user("olga", role="oversight")
    client, headers = _api(olga)
    response = client.get(
        f"/api/records/{obj['id']}", headers={**headers, "X-Accord-Purpose": "oversight-review"}
    )
    assert response.status_code == 200


def test_taxii_refuses_the_oversight_purpose_to_an_analyst(restricted):
    from accord.taxii.services import add_entries, create_collection, grant_access

    ana, obj = restricted
    collection = create_collection(None, title="Shared", alias="shared")
    grant_access(None, collection, ana, can_read=True, can_write=False)
    add_entries(collection, [(obj["id"], obj["modified"])])
    client, headers = _api(ana)
    url = f"/taxii2/accord/collections/{collection.pk}/objects/"
    response = client.get(
        url, headers={**headers, "Accept": TAXII_TYPE, "X-Accord-Purpose": "oversight-review"}
    )
    assert response.status_code == 403
    assert "oversight-review" in response.json()["description"]
    ok = client.get(
        url, headers={**headers, "Accept": TAXII_TYPE, "X-Accord-Purpose": "border-security"}
    )
    assert [o["id"] for o in ok.json()["objects"]] == [obj["id"]]


def test_web_context_refuses_the_oversight_purpose_and_foreign_cases(restricted):
    ana, _obj = restricted
    client = Client()
    client.force_login(ana)
    for data in ({"purpose": "oversight-review"}, {"purpose": "border-security", "case": "CASE-2"}):
        response = client.post("/context/", {**data, "next": "/"})
        assert response.status_code == 400, data
    assert (
        client.post("/context/", {"purpose": "border-security", "case": "CASE-1"}).status_code
        == 302
    )
    # A purpose left in the session from before is not used.
    session = client.session
    session["accord_purpose"] = "oversight-review"
    session.save()
    page = client.get("/")
    assert page.context["working"].purpose == "counter-terrorism"
