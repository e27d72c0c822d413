"""Retention of the traveller's details in this node's own screening hits and in background
jobs' results (the PNR rule: depersonalised after six months, deleted after five years).

Each ``Hit`` gets ``depersonalise_after`` (``ACCORD_HIT_DEPERSONALISE_DAYS``, default 183) and
``retain_until`` (``ACCORD_HIT_RETENTION_DAYS``, default 1826) counted from its screening; a
background job's results get the same ``depersonalise_after``. Past it (time travel through
``now``, no sleeping) the traveller's identifying keys, the explanation's reasons, the review's
reason and the answer's text are erased, the rest kept; past ``retain_until`` the hit is
deleted. Each step is audited with the fields' names, never their content; dry runs change
nothing; the command, the task and the worker's tick do the same; the migration back-fills."""

from __future__ import annotations

import importlib
import io
import json
from contextlib import redirect_stdout
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone
from tests.integration.test_screening_service import (
    FIXTURES,
    HADDAD,
    PURPOSE,
    analyst,  # noqa: F401 - the fixture
    fresh_watchlist,  # noqa: F401 - the fixture
    store,  # noqa: F401 - the fixture
    supervisor,  # noqa: F401 - the fixture
)

from accord.accounts.services import create_token
from accord.cli.retention import apply
from accord.engine.manifests import Traveller
from accord.engine.manifests.traveller import Document
from accord.node.schedule import run_now
from accord.oversight.models import AuditEvent
from accord.oversight.services import verify_trail
from accord.screening.models import Hit, Screening, ScreeningJob
from accord.screening.retention import (
    apply_hit_retention,
    apply_own_retention,
    delete_own,
    depersonalise_own,
)
from accord.screening.services import review_hit, screen

pytestmark = pytest.mark.django_db

NAME = "MUHAMMAD ALHADDAD"
TRAVELLER = Traveller(
    row=1,
    id="PNR-ABC123-1",
    names=(NAME,),
    birth_date="1981-03-12",
    gender="male",
    nationalities=("IQ",),
    documents=(Document("A1234567", "P", "IQ", "2030-01-01"),),
    place_of_birth="Basra",
    travel="ZZ123 AMS-CDG 2026-11-28",
)
#: What identifies the traveller in the hit above, erased on depersonalisation.
ERASED = [
    "traveller.birth_date",
    "traveller.documents",
    "traveller.gender",
    "traveller.id",
    "traveller.names",
    "traveller.nationalities",
    "traveller.place_of_birth",
    "explanation.reason",
    "answer_text",
    "reason",
]
SECRETS = (NAME, "ALHADDAD", "1981-03-12", "A1234567", "Basra", "PNR-ABC123", "EAW NL-17")


def _hit(analyst) -> Hit:  # type: ignore[no-untyped-def]  # noqa: F811
    (result,) = screen(analyst, [TRAVELLER], purpose=PURPOSE)
    return Hit.objects.get(pk=result.hit_ids[0])


def _reviewed_and_answered(analyst, supervisor) -> Hit:  # type: ignore[no-untyped-def]  # noqa: F811
    hit = _hit(analyst)
    review_hit(supervisor, hit, decision="confirmed", reason="MUHAMMAD ALHADDAD, passport agrees")
    answered = timezone.now()
    Hit.objects.filter(pk=hit.pk).update(
        notification="sent to node-a (full)",
        disclosure={"level": "full", "decision": "ALLOW", "reasons": [], "fields": ["hit"]},
        answer_action="arrest",
        answer_text="EAW NL-17 for MUHAMMAD ALHADDAD",
        answered_by="node-a:lia",
        answered_at=answered,
    )
    hit.refresh_from_db()
    return hit


def _api(user) -> Client:  # type: ignore[no-untyped-def]
    raw, _ = create_token(None, user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_X_ACCORD_PURPOSE=PURPOSE)


def test_due_dates_are_set_from_the_screening(store, analyst):  # noqa: F811
    hit = _hit(analyst)
    screened = hit.screening.created_at
    assert hit.depersonalise_after == screened + timedelta(days=183)
    assert hit.retain_until == screened + timedelta(days=1826)
    with override_settings(ACCORD_HIT_DEPERSONALISE_DAYS=10, ACCORD_HIT_RETENTION_DAYS=20):
        other = _hit(analyst)
    assert other.depersonalise_after == other.screening.created_at + timedelta(days=10)
    assert other.retain_until == other.screening.created_at + timedelta(days=20)
    # A hit made without the service gets them from its creation.
    made = Hit.objects.create(
        screening=hit.screening,
        row=9,
        traveller={"names": ["X"]},
        record_id=hit.record_id,
        record_stix_id=hit.record_stix_id,
        score=0.9,
    )
    assert abs(made.depersonalise_after - made.created_at - timedelta(days=183)) < timedelta(
        seconds=5
    )
    assert abs(made.retain_until - made.created_at - timedelta(days=1826)) < timedelta(seconds=5)


def test_depersonalisation_erases_the_travellers_details_and_keeps_the_rest(
    store,  # noqa: F811
    analyst,  # noqa: F811
    supervisor,  # noqa: F811
):
    hit = _reviewed_and_answered(analyst, supervisor)
    later_hit = _hit(analyst)  # a hit not yet due: untouched
    Hit.objects.filter(pk=later_hit.pk).update(
        depersonalise_after=hit.depersonalise_after + timedelta(days=30)
    )
    before = {f.attname: getattr(hit, f.attname) for f in Hit._meta.concrete_fields}
    assert hit.traveller["names"] == [NAME] and hit.explanation["birth_date_match"]["reason"]

    # The day before: nothing.
    assert depersonalise_own(now=hit.depersonalise_after - timedelta(seconds=1)) == []
    due = hit.depersonalise_after + timedelta(hours=1)
    # A dry run lists, changes nothing, audits nothing.
    (listed,) = depersonalise_own(now=due, dry_run=True)
    assert (listed.kind, listed.action, listed.id) == ("own_hit", "depersonalise", hit.pk)
    assert list(listed.fields) == ERASED
    hit.refresh_from_db()
    assert {f.attname: getattr(hit, f.attname) for f in Hit._meta.concrete_fields} == before
    assert not AuditEvent.objects.filter(action="screening.own_hit_depersonalised").exists()

    (done,) = depersonalise_own(now=due)
    assert done.id == hit.pk and done.record == HADDAD["id"]
    hit.refresh_from_db()
    assert hit.depersonalised_at == due
    # Erased: what identifies the traveller; kept: the row and the flight.
    assert hit.traveller == {"row": 1, "travel": "ZZ123 AMS-CDG 2026-11-28"}
    assert hit.answer_text == "" and hit.reason == ""
    assert set(hit.explanation) == set(before["explanation"])
    for feature, e in hit.explanation.items():
        assert e["reason"] == ""
        kept = before["explanation"][feature]
        assert (e["score"], e["weight"], e["contribution"]) == (
            kept["score"],
            kept["weight"],
            kept["contribution"],
        )
    # Kept: the fact of the hit, its record, score, review, notification, answer, dates.
    changed = {"traveller", "explanation", "answer_text", "reason", "depersonalised_at"}
    for name, value in before.items():
        if name not in changed:
            assert getattr(hit, name) == value, name
    assert hit.status == "confirmed" and hit.sighting_id and hit.answer_action == "arrest"
    event = AuditEvent.objects.get(action="screening.own_hit_depersonalised")
    assert event.detail["fields"] == ERASED and event.detail["hit"] == hit.pk
    assert event.purpose == PURPOSE and set(event.object_ids) == {HADDAD["id"], hit.sighting_id}
    for secret in SECRETS:
        assert secret not in json.dumps(event.detail, ensure_ascii=False)
    later_hit.refresh_from_db()
    assert later_hit.depersonalised_at is None and later_hit.traveller["names"] == [NAME]

    # Idempotent: again changes and audits nothing.
    assert depersonalise_own(now=due + timedelta(days=1)) == []
    assert AuditEvent.objects.filter(action="screening.own_hit_depersonalised").count() == 1
    assert verify_trail().ok

    # The page and the API show it.
    client = Client()
    client.force_login(supervisor)
    page = client.get(f"/screening/hits/{hit.pk}/").content.decode()
    assert f"traveller details erased on {due.date().isoformat()} (retention)" in page
    assert "ZZ123 AMS-CDG" in page and "Arrest on the warrant" in page
    for secret in SECRETS:
        assert secret not in page, secret
    listing = client.get("/screening/hits/").content.decode()
    assert f"traveller details erased on {due.date().isoformat()} (retention)" in listing
    got = _api(supervisor).get(f"/api/screenings/hits/{hit.pk}").json()
    assert got["depersonalised_at"] == due.isoformat()
    assert got["depersonalise_after"] == hit.depersonalise_after.isoformat()
    assert got["retain_until"] == hit.retain_until.isoformat()
    assert got["traveller"] == {"row": 1, "travel": "ZZ123 AMS-CDG 2026-11-28"}
    assert got["answer"]["action"] == "arrest" and got["answer"]["text"] == ""
    for secret in SECRETS:
        assert secret not in json.dumps(got, ensure_ascii=False)


def test_the_pages_show_the_date_before(store, analyst, supervisor):  # noqa: F811
    hit = _hit(analyst)
    client = Client()
    client.force_login(supervisor)
    page = client.get(f"/screening/hits/{hit.pk}/").content.decode()
    until = hit.depersonalise_after.date().isoformat()
    assert f"traveller details kept until {until} (ACCORD_HIT_DEPERSONALISE_DAYS)" in page
    assert f"deleted on {hit.retain_until.date().isoformat()}" in page and NAME in page
    pending = _api(supervisor).get("/api/screenings/hits").json()["hits"]
    assert pending[0]["depersonalise_after"] == hit.depersonalise_after.isoformat()
    assert pending[0]["depersonalised_at"] is None


def test_job_results_are_depersonalised_with_the_hits(store, analyst):  # noqa: F811
    with override_settings(ACCORD_SCREENING_BACKGROUND_ABOVE=3):
        api = _api(analyst)
        upload = SimpleUploadedFile("batch.csv", (FIXTURES / "batch.csv").read_bytes())
        r = api.post("/api/screenings", {"file": upload, "format": "csv"})
    assert r.status_code == 202, r.content
    job = ScreeningJob.objects.get()
    screening = Screening.objects.get(pk=job.screening_id)
    assert job.depersonalise_after == screening.created_at + timedelta(days=183)
    hits = list(Hit.objects.filter(screening=screening))
    assert hits and all(h.depersonalise_after == job.depersonalise_after for h in hits)
    report = dict(job.report)
    assert any(row["id"] == "p-2" for row in report["results"])
    assert "1981-03-12" in json.dumps(report)  # the explanation quotes the birth date

    due = job.depersonalise_after + timedelta(minutes=1)
    assert depersonalise_own(now=due - timedelta(minutes=2)) == []
    steps = depersonalise_own(now=due)
    assert [(s.kind, s.id) for s in steps] == [("own_hit", h.pk) for h in
                                               sorted(hits, key=lambda h: h.pk)] + [
        ("screening_job", job.pk)
    ]  # fmt: skip
    assert steps[-1].fields == ("results.id", "results.matches.explanation.reason")
    job.refresh_from_db()
    assert job.depersonalised_at == due
    kept = job.report
    # The counts and the shape stay; the identifiers and reasons go.
    assert {k: kept[k] for k in ("format", "count", "hits", "results_omitted")} == {
        k: report[k] for k in ("format", "count", "hits", "results_omitted")
    }
    assert [r["row"] for r in kept["results"]] == [r["row"] for r in report["results"]]
    assert [r.get("error") for r in kept["results"]] == [r.get("error") for r in report["results"]]
    assert [r.get("review") for r in kept["results"]] == [
        r.get("review") for r in report["results"]
    ]
    for new, old in zip(kept["results"], report["results"], strict=True):
        assert new["id"] == "" and new["hit"] == old["hit"]
        assert [(m["record_id"], m["score"], m["names"]) for m in new["matches"]] == [
            (m["record_id"], m["score"], m["names"]) for m in old["matches"]
        ]
        assert all(e["reason"] == "" for m in new["matches"] for e in m["explanation"].values())
    for secret in ("A1234567", "p-2", "Basra", "12.03.1981", "1981-03-12"):
        assert secret not in json.dumps(kept), secret
    event = AuditEvent.objects.get(action="screening.job_results_depersonalised")
    assert event.detail["job"] == job.pk and event.detail["fields"] == list(steps[-1].fields)
    assert "A1234567" not in json.dumps(event.detail)
    # The job's page and the API say so.
    got = api.get(f"/api/screenings/jobs/{job.pk}").json()
    assert got["depersonalised_at"] == due.isoformat()
    client = Client()
    client.force_login(analyst)
    page = client.get(f"/screening/jobs/{job.pk}/").content.decode()
    assert f"traveller details erased on {due.date().isoformat()} (retention)" in page
    assert "A1234567" not in page and "Basra" not in page
    assert depersonalise_own(now=due + timedelta(days=1)) == []


def test_deletion_after_five_years(store, analyst, supervisor):  # noqa: F811
    hit = _reviewed_and_answered(analyst, supervisor)
    kept = _hit(analyst)  # screened later: deleted later
    Hit.objects.filter(pk=kept.pk).update(retain_until=hit.retain_until + timedelta(days=1))
    assert hit.retain_until - hit.created_at >= timedelta(days=1826) - timedelta(seconds=5)
    assert delete_own(now=hit.retain_until - timedelta(seconds=1)) == []
    at = hit.retain_until + timedelta(seconds=1)
    (listed,) = delete_own(now=at, dry_run=True)
    assert (listed.action, listed.id) == ("delete", hit.pk)
    assert list(listed.fields) == ERASED  # never depersonalised: still held when deleted
    assert Hit.objects.filter(pk=hit.pk).exists()
    assert not AuditEvent.objects.filter(action="screening.own_hit_deleted").exists()

    # One pass: deleted, not depersonalised first; the later hit only depersonalised.
    steps = apply_own_retention(now=at)
    assert [(s.action, s.id) for s in steps] == [("delete", hit.pk), ("depersonalise", kept.pk)]
    assert not Hit.objects.filter(pk=hit.pk).exists()
    assert Screening.objects.filter(pk=hit.screening_id).exists()
    event = AuditEvent.objects.get(action="screening.own_hit_deleted")
    assert event.detail["hit"] == hit.pk and event.detail["status"] == "confirmed"
    assert event.detail["answer_action"] == "arrest" and event.detail["fields"] == ERASED
    assert set(event.object_ids) == {HADDAD["id"], hit.sighting_id}
    for secret in SECRETS:
        assert secret not in json.dumps(event.detail, ensure_ascii=False)
    # The review's audit entry keeps the facts.
    assert AuditEvent.objects.filter(action="screening.review", detail__hit=hit.pk).exists()
    kept.refresh_from_db()
    assert kept.depersonalised_at == at
    (gone,) = delete_own(now=kept.retain_until)
    assert gone.fields == ()  # depersonalised before: nothing identifying left
    assert not Hit.objects.exists()
    assert delete_own(now=kept.retain_until + timedelta(days=1)) == []
    assert verify_trail().ok


def test_command_json_text_dry_run_and_the_worker(store, analyst):  # noqa: F811
    hit = _hit(analyst)
    due = hit.depersonalise_after + timedelta(seconds=1)
    out = io.StringIO()
    with redirect_stdout(out):
        assert apply(now=due, dry_run=True, as_json=True) == 0
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert line == {
        "kind": "own_hit",
        "action": "depersonalise",
        "id": hit.pk,
        "screening": hit.screening_id,
        "record": HADDAD["id"],
        "due": hit.depersonalise_after.isoformat(),
        "fields": [f for f in ERASED if f.startswith(("traveller", "explanation"))],
        "dry_run": True,
    }
    hit.refresh_from_db()
    assert hit.depersonalised_at is None
    out = io.StringIO()
    with redirect_stdout(out):
        assert apply(now=due, dry_run=True) == 0
    text = out.getvalue()
    assert f"would depersonalise own hit {hit.pk} on {HADDAD['id']}" in text
    assert "0 partners' hit notice(s) to erase (dry run)" in text
    assert "1 own hit(s) depersonalised, 0 deleted, 0 screening job(s)' results" in text
    out = io.StringIO()
    with redirect_stdout(out):
        assert apply(now=due) == 0
    assert f"depersonalised own hit {hit.pk}" in out.getvalue()
    hit.refresh_from_db()
    assert hit.depersonalised_at == due and "names" not in hit.traveller
    out = io.StringIO()
    with redirect_stdout(out):
        assert apply(now=hit.retain_until, as_json=True) == 0
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert (line["kind"], line["action"], line["id"], line["dry_run"]) == (
        "own_hit",
        "delete",
        hit.pk,
        False,
    )
    assert not Hit.objects.exists()

    # The worker's schedule queues the task when an own hit is due (the test backend runs it
    # at once); the task also counts them.
    other = _hit(analyst)
    assert not run_now("screening.retention")
    other.refresh_from_db()
    assert other.depersonalised_at is None  # not due: nothing queued
    Hit.objects.filter(pk=other.pk).update(
        depersonalise_after=timezone.now() - timedelta(seconds=1)
    )
    assert run_now("screening.retention")
    other.refresh_from_db()
    assert other.depersonalised_at is not None and other.traveller == {
        "row": 1,
        "travel": "ZZ123 AMS-CDG 2026-11-28",
    }
    Hit.objects.filter(pk=other.pk).update(retain_until=timezone.now() - timedelta(seconds=1))
    assert apply_hit_retention.call() == 1
    assert not Hit.objects.exists()


@override_settings(ACCORD_HIT_DEPERSONALISE_DAYS=30, ACCORD_HIT_RETENTION_DAYS=60)
def test_migration_backfills_the_dates(store, analyst):  # noqa: F811
    from django.apps import apps

    migration = importlib.import_module("accord.screening.migrations.0005_own_hit_retention")
    hit = _hit(analyst)
    job = ScreeningJob.objects.create(user=analyst, purpose=PURPOSE, format="csv")
    with_screening = ScreeningJob.objects.create(
        user=analyst, purpose=PURPOSE, format="csv", screening=hit.screening
    )
    Hit.objects.update(depersonalise_after=None, retain_until=None)  # as before 0005
    ScreeningJob.objects.update(depersonalise_after=None)
    migration.backfill(apps, None)
    hit.refresh_from_db()
    job.refresh_from_db()
    with_screening.refresh_from_db()
    assert hit.depersonalise_after == hit.created_at + timedelta(days=30)
    assert hit.retain_until == hit.created_at + timedelta(days=60)
    assert job.depersonalise_after == job.created_at + timedelta(days=30)
    assert with_screening.depersonalise_after == hit.screening.created_at + timedelta(days=30)
