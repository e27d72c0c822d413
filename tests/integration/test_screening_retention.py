"""Retention of the traveller's details in partners' hit notices, against a real database and
the real signed notices endpoint (this node is node-a, NL, the originator; node-b sends).

A received ``screening.hit`` gets ``retain_until`` from the agreement it names (730 days from
receipt here, its retention clause as the basis) or, when it names none this node holds, from
``ACCORD_HIT_NOTICE_RETENTION_DAYS`` after the answer. Past that date (time travel through
``now``, no sleeping) the erasure empties the traveller, where they were seen and the answer's
text, keeps a tombstone (the hit, record, peer, dates, the action answered), audits each
erasure, shows "traveller details erased on <date> (retention)" on the liaison pages, leaves
hits not yet expired alone, and does nothing the second time."""

from __future__ import annotations

import importlib
import io
from contextlib import redirect_stdout
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from tests.integration.test_screening_notices import (
    PURPOSE,
    _delivered,
    _hit_notice,
    _signed,
    flow1,  # noqa: F401 - the fixture
    fresh_watchlist,  # noqa: F401 - the fixture
    people,  # noqa: F401 - the fixture
)

from accord.accounts.services import create_token
from accord.cli.retention import apply
from accord.node.extensions import SCHEDULE, lookup
from accord.node.schedule import run_now
from accord.oversight.models import AuditEvent
from accord.oversight.services import verify_trail
from accord.screening.models import IncomingHit
from accord.screening.notices import answer_incoming_hit
from accord.screening.retention import apply_hit_retention, erase_expired

pytestmark = pytest.mark.django_db


def _received(flow1, hit: int = 7, **extra) -> IncomingHit:  # type: ignore[no-untyped-def]  # noqa: F811
    r = _signed("node-b", "screening.hit", _hit_notice(flow1, hit=hit, **extra))
    assert r.status_code == 202, r.content
    return IncomingHit.objects.get(remote_hit=hit)


def test_details_erased_after_the_agreements_retention(flow1, people):  # noqa: F811
    _delivered(flow1, people)
    before = timezone.now()
    incoming = _received(flow1)
    # The agreement named (nl-de-ct, 730 days) sets the date, from receipt.
    assert incoming.retention_agreed
    assert incoming.retain_until == incoming.received_at + timedelta(days=730)
    assert before + timedelta(days=730) <= incoming.retain_until
    assert incoming.retention_basis == "agreement nl-de-ct (retention): 730 days from receipt"
    received = AuditEvent.objects.get(action="screening.hit_received", outcome="ok")
    assert received.detail["retain_until"] == incoming.retain_until.isoformat()
    answer_incoming_hit(people["lia"], incoming, action="arrest",
                        text="EAW NL-2026-17 for KAREEM MANSOOR", purpose=PURPOSE)  # fmt: skip
    incoming.refresh_from_db()
    # An agreement's retention runs from receipt: the answer does not move it.
    assert incoming.retain_until == incoming.received_at + timedelta(days=730)

    client = Client()
    client.force_login(people["lia"])
    page = client.get(f"/screening/incoming/{incoming.pk}/").content.decode()
    until = incoming.retain_until.date().isoformat()
    assert f"traveller details kept until {until} (agreement nl-de-ct (retention)" in page
    assert "KAREEM MANSOOR" in page

    # The day before: nothing happens.
    assert erase_expired(now=incoming.retain_until - timedelta(days=1)) == []
    incoming.refresh_from_db()
    assert incoming.erased_at is None and incoming.traveller["names"] == ["KAREEM MANSOOR"]
    assert not AuditEvent.objects.filter(action="screening.hit_erased").exists()

    later = incoming.retain_until + timedelta(hours=1)
    # A dry run lists, erases nothing.
    (listed,) = erase_expired(now=later, dry_run=True)
    assert listed.fields == ("traveller", "where", "answer_text")
    incoming.refresh_from_db()
    assert incoming.erased_at is None and incoming.where == "LH1234 FRA-AMS"

    (erased,) = erase_expired(now=later)
    assert (erased.incoming, erased.peer, erased.record) == (str(incoming.pk), "node-b", flow1)
    incoming.refresh_from_db()
    assert incoming.erased_at == later
    assert (incoming.traveller, incoming.where, incoming.answer_text) == ({}, "", "")
    # The tombstone: the fact of the hit, the record, the peer, the dates, the answer given.
    assert (incoming.remote_hit, incoming.record_stix_id, incoming.peer.node_id) == (
        7,
        flow1,
        "node-b",
    )
    assert incoming.seen_at == "2026-11-28T09:00:00.000Z"
    assert incoming.reviewed_at == "2026-11-28T10:00:00.000Z"
    assert incoming.sighting["first_seen"] == "2026-11-28T09:00:00.000Z"
    assert (incoming.status, incoming.answer_action) == ("answered", "arrest")
    assert incoming.answered_by == people["lia"] and incoming.answered_at is not None
    event = AuditEvent.objects.get(action="screening.hit_erased")
    assert event.outcome == "ok" and event.purpose == PURPOSE
    assert set(event.object_ids) == {flow1, incoming.sighting["id"]}
    assert event.detail["fields"] == ["traveller", "where", "answer_text"]
    assert event.detail["answered"] is True and event.detail["incoming"] == str(incoming.pk)
    assert "KAREEM" not in str(event.detail)  # the fields' names, never their content

    # Idempotent: again (later still, by the task, by the command) erases and audits nothing.
    assert erase_expired(now=later + timedelta(days=30)) == []
    assert apply_hit_retention.call() == 0
    out = io.StringIO()
    with redirect_stdout(out):
        assert apply(now=later + timedelta(days=31)) == 0
    assert "0 partners' hit notice(s) erased" in out.getvalue()
    assert AuditEvent.objects.filter(action="screening.hit_erased").count() == 1
    incoming.refresh_from_db()
    assert incoming.erased_at == later
    assert verify_trail().ok

    # The liaison officer's pages and the API show the tombstone.
    page = client.get(f"/screening/incoming/{incoming.pk}/").content.decode()
    day = later.date().isoformat()
    assert f"traveller details erased on {day} (retention)" in page
    assert "KAREEM MANSOOR" not in page and "LH1234" not in page and "EAW" not in page
    assert "Arrest on the warrant" in page
    listing = client.get("/screening/incoming/").content.decode()
    assert f"traveller details erased on {day} (retention)" in listing
    raw, _ = create_token(None, people["lia"], name="t")
    api = Client().get("/api/screenings/incoming", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    (item,) = api["items"]
    assert item["erased_at"] and item["traveller"] is None and item["where"] is None
    assert item["answer"]["action"] == "arrest" and item["answer"]["text"] == ""


@override_settings(ACCORD_HIT_NOTICE_RETENTION_DAYS=30)
def test_without_an_agreement_the_node_setting_counts_from_the_answer(flow1, people):  # noqa: F811
    _delivered(flow1, people)
    kept = _received(flow1, hit=8)  # named agreement: 730 days
    incoming = _received(flow1, hit=9, agreements=["unknown-agreement"])
    assert not incoming.retention_agreed
    assert incoming.retain_until == incoming.received_at + timedelta(days=30)
    assert incoming.retention_basis.startswith("ACCORD_HIT_NOTICE_RETENTION_DAYS: 30 days")
    # The answer keeps the details 30 days after it.
    answer_incoming_hit(people["lia"], incoming, action="monitor", text="report further travel",
                        purpose=PURPOSE)  # fmt: skip
    incoming.refresh_from_db()
    assert incoming.retain_until == incoming.answered_at + timedelta(days=30)
    assert "answered" in incoming.retention_basis
    erased = erase_expired(now=incoming.retain_until + timedelta(seconds=1))
    assert [e.incoming for e in erased] == [str(incoming.pk)]
    kept.refresh_from_db()
    incoming.refresh_from_db()
    assert kept.erased_at is None and kept.traveller  # not yet expired: untouched
    assert incoming.erased_at is not None and incoming.traveller == {}
    assert incoming.answer_action == "monitor"

    # The worker's schedule queues the erasure when a hit is past its date (the test backend
    # runs the task at once).
    entry = lookup(SCHEDULE, "screening.retention")
    assert entry is not None and entry.task is apply_hit_retention
    IncomingHit.objects.filter(pk=kept.pk).update(
        retain_until=timezone.now() - timedelta(seconds=1)
    )
    assert run_now("screening.retention")
    kept.refresh_from_db()
    assert kept.erased_at is not None and kept.traveller == {} and kept.where == ""
    assert AuditEvent.objects.filter(action="screening.hit_erased").count() == 2


@override_settings(ACCORD_HIT_NOTICE_RETENTION_DAYS=45)
def test_migration_gives_earlier_hits_the_node_setting(flow1, people):  # noqa: F811
    from django.apps import apps

    migration = importlib.import_module("accord.screening.migrations.0004_incoming_hit_retention")
    _delivered(flow1, people)
    new, answered = _received(flow1, hit=11), _received(flow1, hit=12)
    answer_incoming_hit(people["lia"], answered, action="no_action", text="not our person",
                        purpose=PURPOSE)  # fmt: skip
    IncomingHit.objects.update(retain_until=None, retention_basis="")  # as before 0004
    migration.backfill(apps, None)
    new.refresh_from_db()
    answered.refresh_from_db()
    assert new.retain_until == new.received_at + timedelta(days=45)
    assert answered.retain_until == answered.answered_at + timedelta(days=45)
    assert new.retention_basis.startswith("ACCORD_HIT_NOTICE_RETENTION_DAYS: 45 days")
