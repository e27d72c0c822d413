"""Every route that shows traveller data (screenings, hits, partners' hits, background jobs)
writes an audit entry for it, with the purpose the reader declared (LED Art 25: every
consultation is logged with its purpose).

The routes are read from the URL configuration (the screening pages) and the OpenAPI document
(the screening operations): a screening route without a case here, or without a written reason
why it shows no traveller data, fails :func:`test_every_screening_route_has_a_case`.

Every case works under the purpose ``border-security`` (not the default), declared in the
session for pages and in ``X-Accord-Purpose`` for the REST API, so that an entry that took its
purpose from anywhere else would not pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from tests.integration.test_screening_service import HADDAD, PUBLIC

from accord.accounts.services import create_token
from accord.engine.manifests import Traveller
from accord.http.access import SESSION_PURPOSE
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent
from accord.screening.models import IncomingHit, ScreeningJob
from accord.screening.services import screen
from accord.screening.tasks import start_screening_job
from accord.screening.watchlist import watchlist

pytestmark = pytest.mark.django_db

PURPOSE = "border-security"
BATCH = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "batch.csv"


@dataclass
class World:
    """The people, one hit of ana's screening, a partner's hit on this node's record and a
    finished background job of ana's; a session client and a REST client per person."""

    users: dict[str, Any]
    hit: int
    incoming: str
    job: int

    def page(self, who: str) -> Client:
        client = Client()
        client.force_login(self.users[who])
        session = client.session
        session[SESSION_PURPOSE] = PURPOSE
        session.save()
        return client

    def api(self, who: str) -> Client:
        raw, _ = create_token(None, self.users[who], name="t")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_X_ACCORD_PURPOSE=PURPOSE)


def _pem() -> str:
    key = Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture
def world(node_identity, make_user, settings) -> Iterator[World]:
    from accord.federation.services import add_peer

    watchlist.invalidate()
    assert ingest_objects(None, [HADDAD, PUBLIC], source="test").ok
    users = {
        "ana": make_user("ana", role="analyst"),
        "sam": make_user("sam", role="supervisor"),
        "lia": make_user("lia", role="liaison"),
    }
    traveller = Traveller(row=1, id="t1", names=("MUHAMMAD ALHADDAD",), birth_date="1981-03-12")
    (result,) = screen(users["ana"], [traveller], purpose=PURPOSE)
    assert result.hit_ids, "the fixture's traveller must hit HADDAD"
    peer = add_peer(None, node_id="node-b", url="http://127.0.0.1:9/node-b/",
                    jurisdiction="DE", public_key_pem=_pem())  # fmt: skip
    incoming = IncomingHit.objects.create(
        peer=peer,
        remote_hit=7,
        record=Record.objects.get(stix_id=HADDAD["id"]),
        record_stix_id=HADDAD["id"],
        level="full",
        sighting={"type": "sighting", "count": 1},
        traveller={"names": ["KAREEM MANSOOR"], "birth_date": "1988-07-08"},
        where="LH1234 FRA-AMS",
        reviewing_agency={"node": "node-b", "jurisdiction": "DE", "name": "BKA"},
        purpose=PURPOSE,
    )
    settings.ACCORD_SCREENING_BACKGROUND_ABOVE = 3  # the batch's rows make a job
    job = start_screening_job(users["ana"], data=BATCH.read_bytes(), format="csv",
                              filename="batch.csv", purpose=PURPOSE)  # fmt: skip
    job.refresh_from_db()
    assert job.status == ScreeningJob.Status.DONE and job.report["results"]
    settings.ACCORD_SCREENING_BACKGROUND_ABOVE = 1000
    yield World(users, result.hit_ids[0], str(incoming.pk), job.pk)
    watchlist.invalidate()


# --------------------------------------------------------------------------------------------
# One case per route: the call, and the audit entries it must write.


@dataclass(frozen=True)
class Case:
    call: Callable[[World], Any]
    audited: tuple[str, ...]


def _screen_page(w: World) -> Any:
    person = {"full_name": "Muhammad Alhaddad", "date_of_birth": "1981-03-12"}
    return w.page("ana").post("/screening/", person)


def _batch_page(w: World) -> Any:
    upload = SimpleUploadedFile("batch.csv", BATCH.read_bytes())
    return w.page("ana").post("/screening/batch/", {"file": upload, "format": "csv"})


def _review_page(w: World) -> Any:
    review = {"decision": "dismissed", "reason": "not the same person"}
    return w.page("sam").post(f"/screening/hits/{w.hit}/", review)


def _answer_page(w: World) -> Any:
    answer = {"action": "monitor", "text": "report further travel"}
    return w.page("lia").post(f"/screening/incoming/{w.incoming}/", answer)


def _json(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


READ, HIT, INCOMING, JOB = (
    "screening.run",
    "screening.hit_read",
    "screening.incoming_read",
    "screening.job_read",
)

#: Pages: (URL name, method) -> case.
PAGES: dict[tuple[str, str], Case] = {
    ("web:screening:person", "POST"): Case(_screen_page, (READ,)),
    ("web:screening:batch", "POST"): Case(_batch_page, (READ,)),
    ("web:screening:hits", "GET"): Case(lambda w: w.page("sam").get("/screening/hits/"), (HIT,)),
    ("web:screening:hits", "GET (screener)"): Case(
        lambda w: w.page("ana").get("/screening/hits/"), (HIT,)
    ),
    ("web:screening:hit", "GET"): Case(
        lambda w: w.page("sam").get(f"/screening/hits/{w.hit}/"), (HIT,)
    ),
    ("web:screening:hit", "POST"): Case(_review_page, ("screening.review",)),
    ("web:screening:job", "GET"): Case(
        lambda w: w.page("ana").get(f"/screening/jobs/{w.job}/"), (JOB,)
    ),
    ("web:screening:incoming", "GET"): Case(
        lambda w: w.page("lia").get("/screening/incoming/"), (INCOMING,)
    ),
    ("web:screening:incoming_hit", "GET"): Case(
        lambda w: w.page("lia").get(f"/screening/incoming/{w.incoming}/"), (INCOMING,)
    ),
    ("web:screening:incoming_hit", "POST"): Case(_answer_page, (INCOMING, "screening.hit_answer")),
}

#: Screening pages that show no traveller data, and why.
PAGES_WITHOUT_TRAVELLERS = {
    "web:screening:sources": "switches watchlist sources on and off: no traveller data",
}


def _screen_call(w: World) -> Any:
    person = {"full_name": "Muhammad Alhaddad", "date_of_birth": "1981-03-12"}
    return _json(w.api("ana"), "/api/screenings", person)


def _review_call(w: World) -> Any:
    review = {"decision": "dismissed", "reason": "not the same person"}
    return _json(w.api("sam"), f"/api/screenings/hits/{w.hit}", review)


def _answer_call(w: World) -> Any:
    answer = {"action": "monitor", "text": "report further travel"}
    return _json(w.api("lia"), f"/api/screenings/incoming/{w.incoming}/answer", answer)


#: REST operations: (method, OpenAPI path) -> case.
OPERATIONS: dict[tuple[str, str], Case] = {
    ("POST", "/api/screenings"): Case(_screen_call, (READ,)),
    ("GET", "/api/screenings/hits"): Case(
        lambda w: w.api("sam").get("/api/screenings/hits"), (HIT,)
    ),
    ("GET", "/api/screenings/hits/{hit_id}"): Case(
        lambda w: w.api("ana").get(f"/api/screenings/hits/{w.hit}"), (HIT,)
    ),
    ("POST", "/api/screenings/hits/{hit_id}"): Case(_review_call, ("screening.review",)),
    ("GET", "/api/screenings/jobs/{job_id}"): Case(
        lambda w: w.api("ana").get(f"/api/screenings/jobs/{w.job}"), (JOB,)
    ),
    ("GET", "/api/screenings/incoming"): Case(
        lambda w: w.api("lia").get("/api/screenings/incoming"), (INCOMING,)
    ),
    ("POST", "/api/screenings/incoming/{incoming_id}/answer"): Case(
        _answer_call, (INCOMING, "screening.hit_answer")
    ),
}


def _url_names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def screening_pages() -> set[str]:
    return {n for n in _url_names(get_resolver().url_patterns) if n.startswith("web:screening:")}


def screening_operations() -> set[tuple[str, str]]:
    from accord.api.urls import api

    paths = api.get_openapi_schema()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/screenings")
        for method in operations
    }


def test_every_screening_route_has_a_case() -> None:
    pages = screening_pages()
    assert pages, "no screening pages found: the URL walk is wrong"
    covered = {name for name, _ in PAGES} | set(PAGES_WITHOUT_TRAVELLERS)
    assert pages == covered, (
        f"pages without a case: {sorted(pages - covered)}; "
        f"cases of no page: {sorted(covered - pages)}"
    )
    operations = screening_operations()
    assert operations == set(OPERATIONS), (
        f"operations without a case: {sorted(operations - set(OPERATIONS))}; "
        f"cases of no operation: {sorted(set(OPERATIONS) - operations)}"
    )


def _check(world: World, case: Case) -> None:
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = case.call(world)
    assert response.status_code in (200, 202, 302), response.content[:500]
    written = list(AuditEvent.objects.filter(seq__gt=last))
    for action in case.audited:
        entries = [e for e in written if e.action == action and e.outcome == "ok"]
        assert entries, f"no {action} entry; written: {[e.action for e in written]}"
        for entry in entries:
            assert entry.purpose == PURPOSE, (action, entry.purpose)
            assert HADDAD["id"] in entry.object_ids, (action, entry.object_ids)


@pytest.mark.parametrize("key", sorted(PAGES), ids=lambda k: f"{k[1]} {k[0]}")
def test_each_page_that_shows_travellers_is_audited(world: World, key: tuple[str, str]) -> None:
    _check(world, PAGES[key])


@pytest.mark.parametrize("key", sorted(OPERATIONS), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_operation_that_shows_travellers_is_audited(
    world: World, key: tuple[str, str]
) -> None:
    _check(world, OPERATIONS[key])
