"""A record's links (relationships, sightings) are found through the index, restricted like
every read, and the names shown of linked persons are audited."""

from __future__ import annotations

import pytest

from accord.engine.stix.markings import TLP_IDS
from accord.intel.factories import person_object
from accord.intel.services import ingest_objects, related_records
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

T = "2026-01-02T03:04:05.000Z"


def _rel(n: int, source: str, target: str, tlp: str = "green") -> dict:
    return {
        "type": "relationship", "spec_version": "2.1", "created": T, "modified": T,
        "id": f"relationship--00000000-0000-4000-8000-{n:012d}",
        "relationship_type": "associated-with", "source_ref": source, "target_ref": target,
        "object_marking_refs": [TLP_IDS[tlp]],
    }  # fmt: skip


def test_links_are_restricted_and_audited(make_user):
    analyst = make_user("rel-analyst", agency="ctu")
    a, b = person_object(1, tlp="green"), person_object(2, tlp="red")  # b: TLP:RED, not ours
    c = person_object(3, tlp="green")
    objects = [a, b, c, _rel(1, a["id"], b["id"]), _rel(2, c["id"], a["id"])]
    objects.append(_rel(3, a["id"], c["id"], tlp="red"))  # a hidden link
    assert ingest_objects(None, objects, source="test").ok

    rows = related_records(analyst, a["id"], purpose="counter-terrorism")
    by_other = {r["other_id"]: r for r in rows}
    assert set(by_other) == {b["id"], c["id"]}  # the TLP:RED link is not listed
    assert by_other[b["id"]]["other_visible"] is False  # the RED person's name is not shown
    assert by_other[b["id"]]["other_name"] == ""
    assert by_other[c["id"]]["direction"] == "incoming"
    assert by_other[c["id"]]["other_name"] == c["name"]
    event = AuditEvent.objects.filter(action="record.related").last()
    assert event.actor == "rel-analyst" and event.purpose == "counter-terrorism"
    assert c["id"] in event.object_ids and b["id"] not in event.object_ids
