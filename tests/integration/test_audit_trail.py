"""The audit trail is append-only in the database and tamper-evident when someone gets around that.

The first tests prove the triggers refuse UPDATE and DELETE through the ORM. The others play an
attacker with full database access: the triggers are dropped with raw SQL, history is edited, and
``verify_trail`` must name the first entry that no longer checks out.
"""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction

from accord.engine.audit.chain import GENESIS, chain_hash, leaf_hash
from accord.oversight.models import AuditEvent, AuditHead
from accord.oversight.services import audit, verify_trail
from accord.oversight.triggers import remove_triggers

pytestmark = pytest.mark.django_db

COLUMNS = (
    "seq",
    "ts",
    "actor",
    "role",
    "node",
    "action",
    "object_ids",
    "purpose",
    "case",
    "outcome",
    "detail",
    "prev_hash",
    "leaf_hash",
    "chain_hash",
)


@pytest.fixture
def trail():
    """Six real entries written through ``audit``."""
    for i in range(1, 7):
        audit(
            f"user{i}",
            "record.read",
            object_ids=[f"identity--{i}"],
            purpose="counter-terrorism",
            detail={"n": i},
        )
    assert verify_trail().ok
    return list(AuditEvent.objects.order_by("pk"))


@pytest.fixture
def attacker(trail):
    """Raw SQL on the audit table after the append-only triggers were dropped."""
    remove_triggers(connection)

    def sql(statement: str, params=()):
        with connection.cursor() as cursor:
            cursor.execute(statement, params)

    return sql


def _row(seq: int) -> dict:
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM oversight_auditevent WHERE seq = %s", [seq])
        return dict(zip(COLUMNS, cursor.fetchone(), strict=True))


# --- the database refuses ------------------------------------------------------------------


def _refused(action) -> str:
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        action()
    return str(info.value)


def test_orm_update_of_an_entry_is_refused(trail):
    event = trail[2]
    event.actor = "mallory"
    assert "append-only" in _refused(event.save)
    assert "append-only" in _refused(
        lambda: AuditEvent.objects.filter(seq=3).update(outcome="denied")
    )
    assert AuditEvent.objects.get(seq=3).actor == "user3"
    assert verify_trail().ok


def test_orm_delete_of_an_entry_is_refused(trail):
    assert "append-only" in _refused(trail[0].delete)
    assert "append-only" in _refused(lambda: AuditEvent.objects.all().delete())
    assert AuditEvent.objects.count() == 6
    assert verify_trail().ok


def test_head_cannot_be_moved_back_or_deleted(trail):
    assert "append-only" in _refused(lambda: AuditHead.objects.update(seq=4))
    assert "append-only" in _refused(lambda: AuditHead.objects.all().delete())
    assert AuditHead.objects.get().seq == 6


def test_appending_still_works_after_the_triggers(trail):
    audit("ana", "record.search", purpose="counter-terrorism")
    verdict = verify_trail()
    assert verdict.ok and verdict.checked == 7


# --- an attacker with database access -------------------------------------------------------


def test_intact_trail_reports_count_and_head(trail):
    verdict = verify_trail()
    assert verdict.ok
    assert verdict.checked == 6
    assert verdict.head_hash == trail[-1].chain_hash == AuditHead.objects.get().chain_hash


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "mallory"),
        ("outcome", "denied"),
        ("purpose", "curiosity"),
        ("object_ids", json.dumps(["identity--999"])),
        ("detail", json.dumps({"n": 99})),
        ("ts", "2020-01-01T00:00:00.000000Z"),
    ],
)
def test_altered_field_is_named(attacker, column, value):
    attacker(f'UPDATE oversight_auditevent SET "{column}" = %s WHERE seq = 3', [value])
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.first_bad == 3
    assert "altered" in verdict.reason
    assert verdict.checked == 2


def test_altered_entry_with_recomputed_own_hashes_breaks_the_next_link(attacker):
    """A careful attacker rewrites entry 3 and its hashes: entry 4 no longer links to it."""
    row = _row(3)
    content = {c: row[c] for c in COLUMNS[:11]}
    content["object_ids"] = json.loads(content["object_ids"])
    content["detail"] = json.loads(content["detail"])
    content["actor"] = "mallory"
    leaf = leaf_hash(content)
    attacker(
        "UPDATE oversight_auditevent SET actor = %s, leaf_hash = %s, chain_hash = %s WHERE seq = 3",
        ["mallory", leaf, chain_hash(row["prev_hash"], leaf)],
    )
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.first_bad == 4
    assert "does not link to entry 3" in verdict.reason


def test_deleted_middle_entry_is_named(attacker):
    attacker("DELETE FROM oversight_auditevent WHERE seq = 3")
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.checked == 2
    # The entry after the gap is the first bad one; the reason says which number is missing.
    assert verdict.first_bad == 4
    assert "expected sequence number 3" in verdict.reason
    assert "deleted" in verdict.reason


def test_deleted_tail_entries_are_named(attacker):
    attacker("DELETE FROM oversight_auditevent WHERE seq >= 5")
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.checked == 4
    assert verdict.first_bad == 5
    assert "deleted at the end" in verdict.reason


def _forged(seq: int, prev: str) -> dict:
    content = {
        "seq": seq,
        "ts": "2026-01-01T00:00:00.000000Z",
        "actor": "mallory",
        "role": "analyst",
        "node": "node-x",
        "action": "record.read",
        "object_ids": [],
        "purpose": "alibi",
        "case": "",
        "outcome": "ok",
        "detail": {},
    }
    leaf = leaf_hash(content)
    return {**content, "prev_hash": prev, "leaf_hash": leaf, "chain_hash": chain_hash(prev, leaf)}


def _insert(attacker, pk: int, row: dict) -> None:
    row = {**row, "object_ids": json.dumps(row["object_ids"]), "detail": json.dumps(row["detail"])}
    names = ", ".join(f'"{c}"' for c in ("id", *COLUMNS))
    marks = ", ".join(["%s"] * (len(COLUMNS) + 1))
    attacker(
        f"INSERT INTO oversight_auditevent ({names}) VALUES ({marks})",
        [pk, *(row[c] for c in COLUMNS)],
    )


def _make_room_at(attacker, trail, seq: int) -> int:
    """Shift every entry from ``seq`` on one place up (pk and seq), as an inserter must."""
    for event in reversed(trail[seq - 1 :]):
        attacker(
            "UPDATE oversight_auditevent SET id = id + 1000, seq = seq + 1 WHERE id = %s",
            [event.pk],
        )
        attacker("UPDATE oversight_auditevent SET id = id - 999 WHERE id = %s", [event.pk + 1000])
    return trail[seq - 1].pk


def test_inserted_entry_is_named(attacker, trail):
    """An entry slipped in between 2 and 3 with made-up hashes is the first bad entry."""
    pk = _make_room_at(attacker, trail, 3)
    forged = _forged(3, GENESIS)  # does not link to entry 2
    _insert(attacker, pk, forged)
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.first_bad == 3
    assert "does not link to entry 2" in verdict.reason


def test_inserted_entry_with_valid_link_breaks_the_renumbered_one(attacker, trail):
    """A careful inserter links the forged entry to entry 2; the shifted entry then betrays it."""
    pk = _make_room_at(attacker, trail, 3)
    _insert(attacker, pk, _forged(3, trail[1].chain_hash))
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.checked == 3
    assert verdict.first_bad == 4
    assert "altered" in verdict.reason


def test_entry_appended_behind_the_head_is_named(attacker, trail):
    _insert(attacker, trail[-1].pk + 1, _forged(7, trail[-1].chain_hash))
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.first_bad == 7
    assert "inserted" in verdict.reason


def test_reordered_entries_are_named(attacker, trail):
    """Swap the contents of the rows holding entries 2 and 4."""
    second, fourth = _row(2), _row(4)
    assignments = ", ".join(f'"{c}" = %s' for c in COLUMNS)
    attacker("UPDATE oversight_auditevent SET seq = -2 WHERE seq = 2")
    attacker(
        f"UPDATE oversight_auditevent SET {assignments} WHERE seq = 4", [second[c] for c in COLUMNS]
    )
    attacker(
        f"UPDATE oversight_auditevent SET {assignments} WHERE seq = -2",
        [fourth[c] for c in COLUMNS],
    )
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.checked == 1
    # Position 2 now holds entry 4: that entry is named and the reason says why.
    assert verdict.first_bad == 4
    assert "where entry 2 belongs" in verdict.reason
    assert "reordered" in verdict.reason


def test_truncated_trail_with_edited_head_is_caught_by_count(attacker, trail):
    """Dropping the tail and the head row's hash alone still leaves the count behind."""
    attacker("DELETE FROM oversight_auditevent WHERE seq = 6")
    attacker("UPDATE oversight_audithead SET chain_hash = %s", [trail[4].chain_hash])
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.first_bad == 6


# --- signed checkpoints -------------------------------------------------------------------


@pytest.fixture
def signed_trail(settings, tmp_path):
    """A node key in a real data directory, a checkpoint every 2 entries, 6 entries."""
    from accord.node.services import create_data_dir

    create_data_dir(tmp_path / "node", "node-t", "DE")
    settings.DATA_DIR = tmp_path / "node"
    settings.ACCORD_AUDIT_CHECKPOINT_EVERY = 2
    for i in range(1, 7):
        audit(f"user{i}", "record.read", purpose="counter-terrorism", detail={"n": i})
    return list(AuditEvent.objects.order_by("pk"))


def _rewrite_from(attacker, seq: int, actor: str) -> None:
    """Change entry ``seq`` and recompute every later hash and the head: a consistent chain."""
    rows = [_row(s) for s in range(1, AuditEvent.objects.count() + 1)]
    prev = rows[seq - 2]["chain_hash"] if seq > 1 else GENESIS
    for row in rows[seq - 1 :]:
        content = {c: row[c] for c in COLUMNS[:11]}
        content["object_ids"] = json.loads(content["object_ids"])
        content["detail"] = json.loads(content["detail"])
        if row["seq"] == seq:
            content["actor"] = actor
        leaf = leaf_hash(content)
        link = chain_hash(prev, leaf)
        attacker(
            "UPDATE oversight_auditevent SET actor = %s, prev_hash = %s, leaf_hash = %s, "
            "chain_hash = %s WHERE seq = %s",
            [content["actor"], prev, leaf, link, row["seq"]],
        )
        prev = link
    attacker("UPDATE oversight_audithead SET chain_hash = %s", [prev])


def test_checkpoints_are_signed_every_n_entries(signed_trail):
    from accord.oversight.models import AuditCheckpoint

    checkpoints = list(AuditCheckpoint.objects.order_by("seq"))
    assert [c.seq for c in checkpoints] == [2, 4, 6]
    assert [c.chain_hash for c in checkpoints] == [signed_trail[i].chain_hash for i in (1, 3, 5)]
    assert verify_trail().ok


def test_checkpoints_are_append_only(signed_trail):
    from accord.oversight.models import AuditCheckpoint

    assert "append-only" in _refused(lambda: AuditCheckpoint.objects.all().delete())
    assert "append-only" in _refused(lambda: AuditCheckpoint.objects.update(signature="00"))


def test_rewrite_with_recomputed_hashes_is_caught_by_a_checkpoint(signed_trail):
    remove_triggers(connection)

    def sql(statement, params=()):
        with connection.cursor() as cursor:
            cursor.execute(statement, params)

    _rewrite_from(sql, 3, "mallory")
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.first_bad == 3
    assert "signed checkpoint at entry 4" in verdict.reason


def test_rewrite_is_undetectable_without_checkpoints(attacker):
    """The reason checkpoints exist: an unkeyed chain can be recomputed by whoever holds the DB."""
    _rewrite_from(attacker, 3, "mallory")
    assert verify_trail().ok


def test_truncation_with_edited_head_is_caught_by_a_checkpoint(signed_trail):
    remove_triggers(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM oversight_auditevent WHERE seq >= 6")
        cursor.execute(
            "UPDATE oversight_audithead SET seq = 5, chain_hash = %s", [signed_trail[4].chain_hash]
        )
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.first_bad == 6
    assert "signed checkpoint vouches for 6" in verdict.reason


def test_forged_checkpoint_is_caught(signed_trail):
    remove_triggers(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE oversight_auditcheckpoint SET node = 'node-x' WHERE seq = 4")
    verdict = verify_trail()
    assert not verdict.ok
    assert verdict.first_bad == 4
    assert "does not verify" in verdict.reason
