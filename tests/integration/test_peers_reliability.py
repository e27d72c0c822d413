"""What a killed worker leaves behind is taken back, against a real database: outbox items it
left ``sending`` (at once when the claimer is known dead, after ``STALE_CLAIM`` in any case),
django-tasks results it left ``RUNNING`` (failed with the reason, idempotent tasks queued
again); a re-delivered object keeps its first receipt's dates; a peer's URL and key change is
audited with the key's fingerprints.

A "dead process" here is a real child process, killed with SIGKILL, whose identity was read
while it ran."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from tests.agreements import bilateral
from tests.integration.test_peers_transport import (  # noqa: F401
    KEY_OTHER,
    KEY_PEER,
    _own,
    _peers,
    _pem,
    me,
    peer,
)

from accord.dissemination.models import ReceivedDisclosure
from accord.engine.signing import sign_request
from accord.federation import delivery, tasks, workers
from accord.federation.models import OutboxItem, WorkerBeat
from accord.federation.services import (
    enqueue,
    key_fingerprint,
    receive_envelope,
    update_peer,
    verify_peer_request,
)
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

TAXII = "application/taxii+json;version=2.1"


@pytest.fixture(scope="module")
def dead_process() -> str:
    """The identity of a process that ran on this host and was killed (SIGKILL)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        identity = workers.process_id(child.pid)
    finally:
        child.kill()
        child.wait()
    return identity


def _queued(peer, first: int, count: int) -> list[OutboxItem]:  # noqa: F811
    objects = [_own(n) for n in range(first, first + count)]
    assert ingest_objects(None, objects, source="t").ok
    ids = [o["id"] for o in objects]
    return enqueue(Record.objects.filter(stix_id__in=ids), peer, deliver_now=False)


def _accept(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    ok = [{"id": o["id"], "version": o["modified"]} for o in body["objects"]]
    return httpx.Response(202, json={"successes": ok, "failures": []})


def _claim_as(items: list[OutboxItem], who: str, *, ago: timedelta = timedelta(0)) -> None:
    OutboxItem.objects.filter(pk__in=[i.pk for i in items]).update(
        status=OutboxItem.Status.SENDING,
        claim="0" * 32,
        claimed_at=timezone.now() - ago,
        claimed_by=who,
    )


# --------------------------------------------------------------------------------------------
# Outbox claims


def test_the_schedule_takes_back_a_stale_claim(peer):  # noqa: F811
    items = _queued(peer, 1, 2)
    OutboxItem.objects.update(next_attempt_at=timezone.now() + timedelta(hours=1))
    _claim_as(items, "", ago=timedelta(minutes=1))
    assert not tasks.delivery_due()  # a recent claim, its claimer unknown: left to it
    _claim_as(items, "", ago=delivery.STALE_CLAIM + timedelta(minutes=1))
    assert tasks.delivery_due()  # taken back by the next pass the schedule queues


def test_a_pass_takes_back_at_once_what_a_dead_process_left_sending(
    peer,  # noqa: F811
    dead_process,
):
    mine = _queued(peer, 10, 3)
    orphaned = _queued(peer, 20, 4)
    _claim_as(mine, workers.process_id())  # this process: alive, its claim stands
    _claim_as(orphaned, dead_process)
    with httpx.Client(transport=httpx.MockTransport(_accept)) as client:
        report = delivery.deliver_pending(client=client)
    assert report.delivered == 4
    rows = {i.pk: i for i in OutboxItem.objects.all()}
    assert {rows[i.pk].status for i in orphaned} == {"delivered"}
    assert {rows[i.pk].attempts for i in orphaned} == {1}  # the dead process's try counts
    assert {rows[i.pk].status for i in mine} == {"sending"}
    assert {rows[i.pk].claimed_by for i in orphaned} == {workers.process_id()}


def test_recover_makes_a_dead_processs_items_due_and_says_why(peer, dead_process):  # noqa: F811
    items = _queued(peer, 30, 2)
    _claim_as(items, dead_process)
    report = workers.recover()
    assert (report.items, report.dead) == (2, [dead_process])
    for item in OutboxItem.objects.all():
        assert item.status == "failed" and item.next_attempt_at <= timezone.now()
        assert "stopped before the peer's answer was recorded" in item.last_error
    assert tasks.delivery_due()


def _down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def test_a_peer_that_answers_again_gets_what_waits_in_back_off_at_once(peer):  # noqa: F811
    items = _queued(peer, 50, 6)
    with httpx.Client(transport=httpx.MockTransport(_down)) as client:
        assert delivery.deliver_pending(client=client).failed == 6
    # Failed together, retried together: one back-off for the envelope, not one per item.
    assert len(set(OutboxItem.objects.values_list("next_attempt_at", flat=True))) == 1
    first = [i.pk for i in items[:2]]
    OutboxItem.objects.filter(pk__in=first).update(next_attempt_at=timezone.now())
    with httpx.Client(transport=httpx.MockTransport(_accept)) as client:
        report = delivery.deliver_pending(client=client)
    # The two due items reached the peer, so the four still in back-off went in the same pass.
    assert report.delivered == 6
    assert set(OutboxItem.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_peer_that_goes_down_mid_pass_is_not_tried_again_in_that_pass(
    peer,  # noqa: F811
    monkeypatch,
):
    items = _queued(peer, 60, 9)
    OutboxItem.objects.filter(pk__in=[i.pk for i in items[6:]]).update(
        status="failed", attempts=1, next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    monkeypatch.setattr(delivery, "ENVELOPE_SIZE", 3)
    calls: list[int] = []

    def first_then_down(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return _accept(request)
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(first_then_down)) as client:
        report = delivery.deliver_pending(client=client)
    # One envelope delivered, then the peer went down: the items in back-off wait for it.
    assert (report.delivered, report.failed, report.attempted) == (3, 3, 6)
    statuses = dict(OutboxItem.objects.values_list("pk", "status"))
    assert [statuses[i.pk] for i in items[6:]] == ["failed"] * 3
    assert OutboxItem.objects.get(pk=items[6].pk).attempts == 1


def test_liveness_on_this_host_and_by_heartbeat_elsewhere(db, dead_process):
    assert workers.liveness(workers.process_id()) is workers.Liveness.ALIVE
    assert workers.liveness(dead_process) is workers.Liveness.DEAD
    elsewhere = "other-host:0123abcd:4242:987654"
    assert workers.liveness(elsewhere) is workers.Liveness.UNKNOWN  # no heartbeat: no verdict
    workers.register_worker(elsewhere)
    assert workers.liveness(elsewhere) is workers.Liveness.ALIVE
    WorkerBeat.objects.update(seen_at=timezone.now() - workers.WORKER_TIMEOUT * 2)
    assert workers.liveness(elsewhere) is workers.Liveness.DEAD
    assert workers.liveness("a worker id of another format") is workers.Liveness.UNKNOWN
    workers.recover()
    assert not WorkerBeat.objects.exists()  # the silent worker is forgotten


# --------------------------------------------------------------------------------------------
# Tasks left RUNNING


def _running(task_path: str, worker: str) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [], "kwargs": {}},
        task_path=task_path,
        backend_name="default",
        run_after=None,
        started_at=timezone.now(),
        worker_ids=[worker],
    )


DELIVER = "accord.federation.tasks.deliver_outbox"
IMPORT = "accord.intel.tasks.run_import_job"


def test_tasks_of_a_dead_worker_are_failed_and_idempotent_ones_retried(db, dead_process):
    delivering = _running(DELIVER, dead_process)
    importing = _running(IMPORT, dead_process)
    ongoing = _running(DELIVER, workers.process_id())
    report = workers.recover()
    assert (report.tasks_failed, report.tasks_retried) == (2, 1)
    delivering.refresh_from_db()
    importing.refresh_from_db()
    ongoing.refresh_from_db()
    assert delivering.status == "FAILED" and delivering.exception_class_path == workers.WORKER_DIED
    assert dead_process in delivering.traceback and "queued again as" in delivering.traceback
    assert importing.status == "FAILED" and "queued again" not in importing.traceback
    assert ongoing.status == "RUNNING"  # its worker (this process) is alive
    (again,) = DBTaskResult.objects.filter(status="READY")
    assert again.task_path == DELIVER and str(again.pk) in delivering.traceback
    assert workers.recover().tasks_failed == 0  # settled once


def test_a_task_that_keeps_killing_its_worker_is_not_queued_again_for_ever(db, dead_process):
    for _ in range(workers.MAX_WORKER_DEATHS + 1):
        _running(DELIVER, dead_process)
        workers.recover()
    retried = DBTaskResult.objects.filter(status="READY").count()
    assert retried == workers.MAX_WORKER_DEATHS - 1
    last = DBTaskResult.objects.filter(status="FAILED").order_by("-finished_at").first()
    assert last is not None and "not queued again" in last.traceback


# --------------------------------------------------------------------------------------------
# Re-delivery keeps the first receipt's dates


@pytest.fixture
def agreement(db):
    from accord.agreement.services import save_agreement

    save_agreement(None, bilateral(purposes=("counter-terrorism",)))


def _envelope(objects: list[dict], days: int) -> dict:
    facts = [
        {"id": o["id"], "version": o["modified"], "purpose": "counter-terrorism",
         "agreements": [{"id": "nl-de-ct", "version": 1}], "max_retention_days": days}
        for o in objects
    ]  # fmt: skip
    return {"objects": objects, "x_accord_disclosures": facts}


def test_a_redelivery_keeps_the_first_receipts_dates(peer, agreement):  # noqa: F811
    objects = [_peers(n) for n in range(40, 43)]
    assert receive_envelope(peer, objects, _envelope(objects, 30))["success_count"] == 3
    first = timezone.now() - timedelta(days=10)
    ReceivedDisclosure.objects.update(received_at=first, retention_until=first + timedelta(30))
    # The same versions again (a retry after a lost answer, a pull of what a push brought).
    assert receive_envelope(peer, objects, _envelope(objects, 30))["success_count"] == 3
    for row in ReceivedDisclosure.objects.all():
        assert row.received_at == first and row.retention_until == first + timedelta(days=30)
    # A shorter retention sent with the same version counts from the first receipt too.
    receive_envelope(peer, objects[:1], _envelope(objects[:1], 7))
    row = ReceivedDisclosure.objects.get(stix_id=objects[0]["id"])
    assert (row.received_at, row.retention_until) == (first, first + timedelta(days=7))
    # A later version is a new disclosure: dated when it arrives.
    newer = _peers(40, "2026-05-01T00:00:00.000Z")
    receive_envelope(peer, [newer], _envelope([newer], 30))
    row = ReceivedDisclosure.objects.get(stix_id=newer["id"])
    assert row.received_at > timezone.now() - timedelta(minutes=1)
    assert row.retention_until == row.received_at + timedelta(days=30)


# --------------------------------------------------------------------------------------------
# A peer's URL and key


def _signed_by(key, body: bytes = b"{}") -> tuple[str, dict[str, str], bytes]:
    url = "http://testserver/federation/inbox/"
    headers = sign_request("POST", url, {"Content-Type": TAXII}, body, keyid="node-peer",
                           private_key=key)  # fmt: skip
    return url, headers, body


def test_a_peers_url_and_key_change_is_audited_with_fingerprints(peer):  # noqa: F811
    old = key_fingerprint(_pem(KEY_PEER))
    new = key_fingerprint(_pem(KEY_OTHER))
    assert old.startswith("SHA256:") and old != new
    update_peer(None, peer, url="http://127.0.0.1:8443", public_key_pem=_pem(KEY_OTHER))
    peer.refresh_from_db()
    assert peer.url == "http://127.0.0.1:8443/"
    event = AuditEvent.objects.filter(action="peer.update").latest("pk")
    assert event.detail["changed"] == ["public_key_pem", "url"]
    assert event.detail["values"] == {
        "url": {"before": "http://127.0.0.1:9/", "after": "http://127.0.0.1:8443/"},
        "key_fingerprint": {"before": old, "after": new},
    }
    assert "BEGIN PUBLIC KEY" not in json.dumps(event.detail)
    refused, result = verify_peer_request("POST", *_signed_by(KEY_PEER))
    assert refused is None and result.reason.startswith("bad signature")
    accepted, _ = verify_peer_request("POST", *_signed_by(KEY_OTHER))
    assert accepted is not None and accepted.node_id == "node-peer"


def test_the_job_of_a_dead_workers_task_is_failed_with_the_reason(db, dead_process, make_user):
    """An import or screening job whose worker died mid-run ends failed, saying why, instead
    of showing "running" for ever."""
    from accord.intel.models import ImportJob
    from accord.screening.models import ScreeningJob

    ana = make_user("ana")
    job = ImportJob.objects.create(user=ana, format="stix", filename="x.json", status="running")
    batch = ScreeningJob.objects.create(user=ana, purpose="counter-terrorism", format="csv",
                                        status="running")  # fmt: skip
    for path, pk in ((IMPORT, job.pk), ("accord.screening.tasks.run_screening_job", batch.pk)):
        row = _running(path, dead_process)
        row.args_kwargs = {"args": [pk], "kwargs": {}}
        row.save(update_fields=["args_kwargs"])
    assert workers.recover().tasks_failed == 2
    job.refresh_from_db()
    batch.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert "The import stopped: the worker" in job.report["error"]
    assert "import it again" in job.report["error"]
    assert batch.status == "failed" and "The screening stopped" in batch.report["error"]
