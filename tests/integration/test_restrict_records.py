"""``Record.objects.restrict()`` and the restricted reads: each rule proven on its own."""

from __future__ import annotations

import pytest

from accord.engine.stix.markings import HandlingMarking, handling_marking_definition
from accord.intel.factories import person_object
from accord.intel.models import Case, CaseMembership, Record, RecordGrant
from accord.intel.services import (
    RecordNotFound,
    get_record,
    ingest_objects,
    record_versions,
)
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

PURPOSE = "counter-terrorism"


def _store(user, n, **kwargs):
    case = kwargs.pop("case", None)
    obj = person_object(n, **kwargs)
    report = ingest_objects(user, [obj], source="t", case=case)
    assert report.ok, report.refused
    return Record.objects.get(stix_id=obj["id"])


def _visible(user, purpose=PURPOSE, action="view"):
    return set(
        Record.objects.restrict(user, purpose=purpose, action=action).values_list("pk", flat=True)
    )


def test_admin_and_oversight_see_nothing_outside_review(make_user):
    owner = make_user("owner")
    record = _store(owner, 1, tlp="green")
    admin = make_user("admin1", role="admin")
    oversight = make_user("over", role="oversight")
    assert record.pk in _visible(owner)
    assert _visible(admin) == set()
    assert _visible(oversight) == set()
    assert _visible(admin, purpose="oversight-review") == set()
    assert record.pk in _visible(oversight, purpose="oversight-review")
    assert _visible(oversight, purpose="oversight-review", action="export") == set()


def test_anonymous_and_inactive_users_see_nothing(make_user):
    from django.contrib.auth.models import AnonymousUser

    _store(None, 2, tlp="clear")
    assert _visible(None) == set()
    assert _visible(AnonymousUser()) == set()
    gone = make_user("gone")
    gone.is_active = False
    gone.save()
    assert _visible(gone) == set()


def test_tlp_red_only_owner_and_granted_users(make_user):
    owner = make_user("redowner", agency="ctu")
    colleague = make_user("colleague", agency="ctu")
    named = make_user("named", agency="other")
    red = _store(owner, 3, tlp="red")
    assert red.pk in _visible(owner)
    assert red.pk not in _visible(colleague)
    assert red.pk not in _visible(named)
    RecordGrant.objects.create(record=red, user=named)
    assert red.pk in _visible(named)
    assert red.pk not in _visible(colleague)


def test_amber_strict_only_the_owning_agency(make_user):
    owner = make_user("amb", agency="ctu")
    same = make_user("same", agency="ctu")
    other = make_user("other", agency="border")
    record = _store(owner, 4, tlp="amber+strict")
    assert record.pk in _visible(same)
    assert record.pk not in _visible(other)
    amber = _store(owner, 5, tlp="amber")
    assert amber.pk in _visible(other)


def test_case_records_only_for_case_members(make_user):
    owner = make_user("caseowner")
    member = make_user("member")
    outsider = make_user("outsider")
    case = Case.objects.create(reference="OP-1", title="Operation One")
    CaseMembership.objects.create(case=case, user=member)
    record = _store(owner, 6, tlp="green", case=case)
    assert record.case == case
    assert record.pk in _visible(member)
    assert record.pk not in _visible(outsider)
    assert record.pk not in _visible(owner)  # the case rule applies to the owner too


def test_purpose_restricted_records_only_under_that_purpose(make_user):
    user = make_user("purp")
    definition = handling_marking_definition(HandlingMarking(purposes=("border-security",)))
    obj = person_object(7, extra_refs=(definition["id"],))
    assert ingest_objects(user, [definition, obj], source="t").ok
    record = Record.objects.get(stix_id=obj["id"])
    assert record.pk in _visible(user, purpose="border-security")
    assert record.pk not in _visible(user, purpose=PURPOSE)
    assert record.pk not in _visible(user, purpose="")
    plain = _store(user, 8, tlp="green")
    assert plain.pk in _visible(user, purpose=PURPOSE)


def test_get_record_hides_existence_and_audits_reads_and_denials(make_user):
    owner = make_user("getowner", agency="a")
    stranger = make_user("stranger", agency="b")
    record = _store(owner, 9, tlp="red")
    got = get_record(owner, record.stix_id, purpose=PURPOSE, case="CASE-9")
    assert got.pk == record.pk
    read = AuditEvent.objects.filter(action="record.read").order_by("-seq").first()
    assert read.object_ids == [record.stix_id]
    assert read.purpose == PURPOSE and read.case == "CASE-9" and read.outcome == "ok"
    with pytest.raises(RecordNotFound) as hidden:
        get_record(stranger, record.stix_id, purpose=PURPOSE)
    with pytest.raises(RecordNotFound) as missing:
        get_record(stranger, "identity--00000000-0000-4000-8000-000000000000", purpose=PURPOSE)
    assert type(hidden.value) is type(missing.value)
    denied = AuditEvent.objects.filter(action="record.read").order_by("-seq").first()
    assert denied.outcome == "denied" and denied.actor == "stranger"


def test_record_versions_restricted_and_ordered(make_user):
    owner = make_user("vowner")
    v1 = person_object(10, modified="2026-02-01T00:00:00.000Z")
    v2 = person_object(10, modified="2026-03-01T00:00:00.000Z")
    assert ingest_objects(owner, [v2, v1], source="t").ok
    versions = record_versions(owner, v1["id"], purpose=PURPOSE)
    assert [v.modified for v in versions] == [v1["modified"], v2["modified"]]
    with pytest.raises(RecordNotFound):
        record_versions(make_user("nobody", role="admin"), v1["id"], purpose=PURPOSE)
