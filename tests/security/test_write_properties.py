"""Property: no sequence of writes by users without the right lowers a record's protection or
makes a hidden record readable.

Hypothesis draws sequences of writes (new versions with any markings, granular or not, with or
without the creator, earlier or later; revocations; removal of the watchlist entry; writes that
claim to come from another node; a supervisor's approval reason or none) by every kind of
writer against records of every protection, and after each write checks three invariants
against the state before it:

1. a record's protection (TLP, handling code, purposes, releasability) is never lowered,
   except by a supervisor who gave a reason;
2. a write by someone who could not read a record leaves it exactly as it was;
3. nobody who could not read a record can read it after the write, except after a
   supervisor's approved lowering.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.engine.stix.markings import (
    TLP_IDS,
    HandlingMarking,
    handling_marking_definition,
    lowered_protection,
)
from accord.intel.models import Record, RecordMarking, RecordVersion
from accord.intel.services import ProtectionApproval, ingest_objects
from accord.intel.writes import protection_of
from tests.security.world import World, build_world

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 400 if os.environ.get("ACCORD_FUZZ_PROFILE") == "long" else 40

WRITERS = ("alice", "amy", "bob", "gina", "sam", "leo", "peer", "system", "node-b", "node-x")
TARGETS = (
    "green",
    "red",
    "amber_strict",
    "case",
    "purpose",
    "tlp1_red",
    "granular",
    "received",
    "system",
)
READERS = ("alice", "amy", "bob", "gina", "sam", "leo", "cora", "olga", "peer")

HANDLINGS = [
    handling_marking_definition(HandlingMarking(handling_code=code, purposes=purposes))
    for code in ("", "H0", "H2", "H3")
    for purposes in (
        (),
        ("counter-terrorism",),
        ("border-security",),
        ("counter-terrorism", "serious-crime"),
    )
    if code or purposes
]


@st.composite
def writes(draw: Any) -> dict[str, Any]:
    return {
        "writer": draw(st.sampled_from(WRITERS)),
        "target": draw(st.sampled_from(TARGETS)),
        "kind": draw(st.sampled_from(("version", "version", "version", "revoke"))),
        "tlp": draw(st.sampled_from((None, "clear", "green", "amber", "amber+strict", "red"))),
        "handling": draw(st.sampled_from((None, *range(len(HANDLINGS))))),
        "granular": draw(st.booleans()),
        "drop_watchlist": draw(st.booleans()),
        "creator": draw(st.sampled_from(("same", "none", "other"))),
        "when": draw(st.sampled_from(("later", "earlier", "same"))),
        "purpose": draw(st.sampled_from(("counter-terrorism", "border-security"))),
        "reason": draw(st.sampled_from(("", "declassified by order"))),
    }


def _snapshot(world: World) -> dict[str, Any]:
    ids = {name: obj["id"] for name, obj in world.records.items()}
    records = {r.stix_id: r for r in Record.objects.filter(stix_id__in=ids.values())}
    visible: dict[str, set[str]] = {}
    for reader in READERS:
        purpose = "oversight-review" if reader == "olga" else "counter-terrorism"
        visible[reader] = set(
            Record.objects.restrict(world.users[reader], purpose=purpose)
            .filter(stix_id__in=ids.values())
            .values_list("stix_id", flat=True)
        )
    versions: dict[int, list[str]] = {}
    for rid, digest in RecordVersion.objects.filter(record__in=records.values()).values_list(
        "record_id", "sha256"
    ):
        versions.setdefault(rid, []).append(digest)
    rows: dict[int, list[tuple[str, str]]] = {}
    for rid, kind, value in RecordMarking.objects.filter(record__in=records.values()).values_list(
        "record_id", "kind", "value"
    ):
        rows.setdefault(rid, []).append((kind, value))
    state: dict[str, Any] = {}
    for name, sid in ids.items():
        record = records[sid]
        text = (
            record.data + "|" + ",".join(sorted(versions.get(record.pk, []))) + f"|{record.revoked}"
        )
        state[name] = {
            "protection": protection_of(record.tlp, record.handling_code, rows.get(record.pk, [])),
            "fingerprint": hashlib.sha256(text.encode()).hexdigest(),
            "readers": {reader for reader in READERS if sid in visible[reader]},
        }
    return state


def _version(world: World, current: dict[str, Any], write: dict[str, Any]) -> list[dict[str, Any]]:
    obj = copy.deepcopy(current)
    obj.pop("x_accord_signature", None)
    obj["modified"] = {
        "later": "2027-01-01T00:00:00.000Z",
        "earlier": "2020-01-01T00:00:00.000Z",
        "same": obj["modified"],
    }[write["when"]]
    obj["description"] = f"written by {write['writer']}"
    refs = [TLP_IDS[write["tlp"]]] if write["tlp"] else []
    extra: list[dict[str, Any]] = []
    if write["handling"] is not None:
        definition = HANDLINGS[write["handling"]]
        refs.append(definition["id"])
        extra.append(definition)
    obj.pop("granular_markings", None)
    if write["granular"] and refs:
        obj["granular_markings"] = [{"marking_ref": refs[0], "selectors": ["name"]}]
        refs = refs[1:]
    if refs:
        obj["object_marking_refs"] = refs
    else:
        obj.pop("object_marking_refs", None)
    if write["drop_watchlist"]:
        next(iter(obj["extensions"].values())).pop("watchlist", None)
    if write["creator"] == "none":
        obj.pop("created_by_ref", None)
    elif write["creator"] == "other":
        obj["created_by_ref"] = "identity--00000000-0000-4000-8000-0000000000aa"
    return [*extra, obj]


def _apply(world: World, write: dict[str, Any]) -> None:
    from django.core.exceptions import PermissionDenied

    from accord.dissemination.services import DisseminationError, revoke
    from accord.intel.services import RecordNotFound

    record = Record.objects.get(stix_id=world.records[write["target"]]["id"])
    current = json.loads(record.data)
    writer = write["writer"]
    user = world.users.get(writer)
    if write["kind"] == "revoke":
        if user is None:
            return
        with contextlib.suppress(PermissionDenied, RecordNotFound, DisseminationError):
            revoke(user, record.stix_id, purpose=write["purpose"], reason="property")
        return
    objects = _version(world, current, write)
    approval = ProtectionApproval(write["reason"]) if write["reason"] else None
    origin = writer if writer.startswith("node-") else ""
    with contextlib.suppress(PermissionDenied):
        ingest_objects(
            None if writer in ("system", "node-b", "node-x") else user,
            objects,
            source="property",
            purpose=write["purpose"],
            origin_node=origin,
            approval=approval,
        )


@pytest.fixture
def world(make_user) -> World:
    return build_world(make_user)


def test_no_unauthorised_write_lowers_protection_or_reveals_a_record(world):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=os.environ.get("ACCORD_FUZZ_PROFILE") != "long",
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(writes(), min_size=1, max_size=5))
    def run(sequence: list[dict[str, Any]]) -> None:
        with transaction.atomic():
            for write in sequence:
                before = _snapshot(world)
                _apply(world, write)
                after = _snapshot(world)
                writer = write["writer"]
                approved = (
                    write["reason"]
                    and writer in world.users
                    and world.users[writer].role == "supervisor"
                )
                federated_from_origin = writer == "node-b" and write["target"] == "received"
                for name in TARGETS:
                    was, now = before[name], after[name]
                    lowered = lowered_protection(was["protection"], now["protection"])
                    if not federated_from_origin:
                        assert not lowered or approved, (name, write, lowered)
                    reader = "peer" if writer == "node-b" else writer
                    if (
                        reader in READERS
                        and reader not in was["readers"]
                        and not federated_from_origin
                    ):
                        assert now["fingerprint"] == was["fingerprint"], (name, write)
                    if not approved and not federated_from_origin:
                        gained = now["readers"] - was["readers"]
                        assert not gained, (name, write, gained)
            transaction.set_rollback(True)

    run()
