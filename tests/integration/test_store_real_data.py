"""The real public files agencies hold, through the whole import path into the store and back
out: the UN Security Council Consolidated List (2018), MITRE ATT&CK for ICS and the OASIS STIX
2.1 examples (read from ../shared/data; skipped where that folder is absent)."""

from __future__ import annotations

import json

import pytest

from accord.engine.stix.canonical import canonical_equal
from accord.intel.models import Record, RecordVersion
from accord.intel.search import SearchQuery, search_records
from accord.intel.services import export_bundle
from accord.intel.tasks import import_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_un_consolidated_list_imports_whole_and_is_searchable(
    shared_data, make_user, node_identity
):
    path = shared_data / "un-sc-consolidated" / "consolidated_2018-10-29.xml"
    analyst = make_user("un-analyst")
    report = import_bytes(analyst, path, format="un-xml", purpose="counter-terrorism", source="un")
    assert report["refused"] == [], report["refused"][:3]
    assert Record.objects.filter(stix_type="identity").count() >= 1093
    un = Record.objects.filter(tlp="clear", personal_data=True)
    assert un.count() == 703  # every individual of the list, marked TLP:CLEAR (public)

    # Found by Latin name, by original-script name and by the UN reference number.
    one = json.loads(un.order_by("pk").first().data)
    ext = next(iter(one["extensions"].values()))
    latin = ext["names"][0]["full_name"]
    page = search_records(analyst, SearchQuery(text=latin), purpose="counter-terrorism")
    assert one["id"] in {r.stix_id for r in page.results}
    ref = ext["reference_numbers"][0]
    page = search_records(analyst, SearchQuery(identifier=ref), purpose="counter-terrorism")
    assert one["id"] in {r.stix_id for r in page.results}
    arabic = Record.objects.filter(data__contains='"script":"Arab"').first()
    assert arabic is not None
    arabic_name = next(
        n["full_name"]
        for n in next(iter(json.loads(arabic.data)["extensions"].values()))["names"]
        if n.get("script") == "Arab"
    )
    page = search_records(analyst, SearchQuery(text=arabic_name), purpose="counter-terrorism")
    assert arabic.stix_id in {r.stix_id for r in page.results}


def test_attack_ics_bundle_round_trips_unchanged(shared_data, make_user):
    path = shared_data / "mitre-attack-ics" / "ics-attack-18.1.json"
    original = json.loads(path.read_text())["objects"]
    analyst = make_user("cti-analyst")
    report = import_bytes(analyst, path, format="stix", purpose="cyber-defence", source="attack")
    assert report["refused"] == []
    assert RecordVersion.objects.count() >= len(original)
    exported = {o["id"]: o for o in export_bundle(analyst, purpose="cyber-defence")["objects"]}
    for obj in original:
        assert canonical_equal(obj, exported[obj["id"]]), obj["id"]


def test_every_oasis_example_bundle_imports(shared_data, make_user):
    analyst = make_user("oasis-analyst")
    folder = shared_data / "stix21-examples" / "cti-documentation"
    bundles = sorted(folder.glob("*.json"))
    assert len(bundles) >= 10
    for path in bundles:
        report = import_bytes(
            analyst, path, format="stix", purpose="cyber-defence", source=path.name
        )
        assert report["refused"] == [], (path.name, report["refused"][:3])
