"""Feed pulls against a TAXII 2.1 server on loopback: cursor, resume, failures, provenance,
secrets at rest, permissions and the schedule.

``TaxiiServer`` is a small but real TAXII 2.1 server (discovery, API root, collection, Get
Objects with ``limit``/``next``/``added_after`` and the ``X-TAXII-Date-Added-*`` headers, Basic
and Bearer authentication) in a thread, with switches that make one page fail in a chosen way.
The client side (``taxii2client`` over ``requests``) runs unchanged against it; the two-node
test in ``tests/functional/test_feed_pull.py`` runs against Accord's own TAXII server.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accord.feeds.models import Feed, FeedRun
from accord.feeds.secrets import decrypt_secret
from accord.feeds.services import (
    create_feed,
    enqueue_due_feeds,
    pull_feed,
    start_pull,
    update_feed,
)
from accord.intel.factories import synthetic_objects
from accord.intel.models import Record, RecordVersion
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

TAXII = "application/taxii+json;version=2.1"
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
USER, PASSWORD, TOKEN = (
    "puller",
    "s3cret-feed-password-4711",
    "acc_feedtoken_abcdefghijklmnopqrstuvwxyz",
)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TaxiiServer:
    """A TAXII 2.1 server holding one collection, with failure switches."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, dict]] = []  # (date_added, object), in date_added order
        self.requests: list[tuple[str, dict[str, list[str]], str]] = []  # path, query, auth
        self.fail_page: int | None = None  # 1-based number of the objects request that fails
        self.fail_kind = "500"
        self.redirect_to = ""
        self.can_read = True
        self.object_requests = 0
        self._clock = datetime(2025, 1, 1, tzinfo=UTC)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                """Keep the test output quiet."""

            def do_GET(self):
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, objects, *, same_instant: bool = False) -> None:
        for obj in objects:
            if not same_instant or not self.entries:
                self._clock += timedelta(seconds=1)
            self.entries.append((_ts(self._clock), obj))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- protocol
    def _send(self, h, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", TAXII)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _authorised(self, auth: str) -> bool:
        if auth == f"Bearer {TOKEN}":
            return True
        if auth.startswith("Basic "):
            return base64.b64decode(auth[6:]).decode() == f"{USER}:{PASSWORD}"
        return False

    def handle(self, h) -> None:
        parts = urlsplit(h.path)
        query = parse_qs(parts.query)
        auth = h.headers.get("Authorization", "")
        self.requests.append((parts.path, query, auth))
        if not self._authorised(auth):
            return self._send(h, 401, {"title": "unauthorised"}, {"WWW-Authenticate": "Basic"})
        if parts.path == "/taxii2/":
            return self._send(
                h, 200, {"title": "stub", "default": "/api1/", "api_roots": ["/api1/"]}
            )
        if parts.path == "/api1/":
            return self._send(
                h, 200, {"title": "api1", "versions": [TAXII], "max_content_length": 1000}
            )
        if parts.path == f"/api1/collections/{COLLECTION}/":
            return self._send(h, 200, {"id": COLLECTION, "title": "c", "can_read": self.can_read,
                                       "can_write": False, "media_types": [TAXII]})  # fmt: skip
        if parts.path != f"/api1/collections/{COLLECTION}/objects/":
            return self._send(h, 404, {"title": "not found"})
        self.object_requests += 1
        if self.object_requests == self.fail_page:
            if self.fail_kind == "500":
                return self._send(h, 500, {"title": "boom"})
            if self.fail_kind == "403":
                return self._send(h, 403, {"title": "forbidden"})
            if self.fail_kind == "badjson":
                return self._send(h, 200, b'{"more": false, "objects": [')
            if self.fail_kind == "redirect":
                h.send_response(302)
                h.send_header("Location", self.redirect_to + parts.path)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return None
        after = query.get("added_after", [""])[0]
        rows = [e for e in self.entries if not after or e[0] > after]
        start = int(query.get("next", ["0"])[0])
        limit = int(query.get("limit", ["100"])[0])
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        body = {"more": more, "objects": [o for _, o in page]}
        if more:
            body["next"] = str(start + limit)
        headers = {}
        if page:
            headers = {
                "X-TAXII-Date-Added-First": page[0][0],
                "X-TAXII-Date-Added-Last": page[-1][0],
            }
        return self._send(h, 200, body, headers)

    def objects_queries(self) -> list[dict[str, list[str]]]:
        return [q for p, q, _ in self.requests if p.endswith("/objects/")]


@pytest.fixture
def taxii(settings):
    settings.ACCORD_FEED_ALLOWED_HOSTS = "127.0.0.1"
    server = TaxiiServer()
    yield server
    server.close()


def _objects(count: int, start: int = 0) -> list[dict]:
    return list(synthetic_objects(count, start=start))


def _feed(taxii, **kw) -> Feed:
    values = {"name": "stub", "url": f"{taxii.url}/taxii2/", "collection_id": COLLECTION,
              "username": USER, "page_size": 10}  # fmt: skip
    values.update(kw)
    secret = values.pop("secret", PASSWORD)
    return create_feed(None, secret=secret, **values)


def test_pull_stores_every_page_with_feed_provenance_and_advances_the_cursor(taxii):
    objects = _objects(25)
    taxii.add(objects)
    feed = _feed(taxii, origin="node-b")
    pages_seen = []
    run = pull_feed(feed, progress=lambda r: pages_seen.append(r.pages))
    assert run.status == FeedRun.Status.DONE, run.error
    assert (run.pages, run.received, run.stored, run.unchanged, run.refused) == (3, 25, 25, 0, 0)
    assert pages_seen == [0, 1, 2, 3]
    assert Record.objects.count() == 25
    assert set(RecordVersion.objects.values_list("source", flat=True)) == {"feed:stub"}
    assert set(Record.objects.values_list("origin_node", flat=True)) == {"node-b"}
    for obj in objects:  # stored exactly as served; the creator is the object's own
        record = Record.objects.get(stix_id=obj["id"])
        assert json.loads(record.data) == obj
        assert record.created_by_ref == obj.get("created_by_ref", "")
    feed.refresh_from_db()
    assert feed.added_after == taxii.entries[-1][0] == run.cursor_after
    assert feed.resume_inclusive is False and feed.last_status == "done"
    queries = taxii.objects_queries()
    assert [q.get("limit") for q in queries] == [["10"]] * 3
    assert [q.get("next") for q in queries] == [None, ["10"], ["20"]]
    assert all("added_after" not in q for q in queries)
    assert all(a.startswith("Basic ") for _, _, a in taxii.requests)
    event = AuditEvent.objects.filter(action="feed.pull").latest("seq")
    assert event.detail["stored"] == 25 and event.detail["status"] == "done"
    assert (
        AuditEvent.objects.filter(action="record.import", detail__source="feed:stub").count() == 3
    )


def test_second_pull_asks_added_after_the_cursor_and_gets_only_newer_objects(taxii):
    taxii.add(_objects(12))
    feed = _feed(taxii)
    first = pull_feed(feed)
    cursor = first.cursor_after
    newer = _objects(4, start=12)
    taxii.add(newer)
    taxii.requests.clear()
    second = pull_feed(feed)
    assert second.status == "done", second.error
    assert taxii.objects_queries()[0]["added_after"] == [cursor]
    assert (second.received, second.stored, second.unchanged) == (4, 4, 0)
    assert second.cursor_before == cursor and second.cursor_after == taxii.entries[-1][0]
    third = pull_feed(feed)
    assert (third.status, third.received, third.stored) == ("done", 0, 0)
    assert third.cursor_after == second.cursor_after
    assert Record.objects.count() == RecordVersion.objects.count() == 16


def test_failure_midway_keeps_the_stored_pages_and_the_next_pull_resumes_without_duplicates(taxii):
    taxii.add(_objects(25))
    feed = _feed(taxii)
    taxii.fail_page, taxii.fail_kind = 2, "500"
    failed = pull_feed(feed)
    assert failed.status == "failed"
    assert "HTTP 500" in failed.error and "page 2" in failed.error
    assert (failed.pages, failed.stored) == (1, 10)
    assert Record.objects.count() == 10
    feed.refresh_from_db()
    assert feed.added_after == taxii.entries[9][0] and feed.resume_inclusive is True
    assert feed.last_status == "failed" and "HTTP 500" in feed.last_error

    taxii.fail_page = None
    taxii.requests.clear()
    resumed = pull_feed(feed)
    assert resumed.status == "done", resumed.error
    # From one microsecond before the cursor: the last stored object comes again (unchanged),
    # so that objects added in the same instant are never skipped.
    assert taxii.objects_queries()[0]["added_after"][0] < taxii.entries[9][0]
    assert (resumed.received, resumed.stored, resumed.unchanged) == (16, 15, 1)
    assert Record.objects.count() == RecordVersion.objects.count() == 25
    feed.refresh_from_db()
    assert feed.resume_inclusive is False


def test_page_limit_stops_a_run_and_objects_added_in_one_instant_are_not_skipped(taxii):
    taxii.add(_objects(25), same_instant=True)  # one date_added for all: ties at every boundary
    feed = _feed(taxii)
    partial = pull_feed(feed, max_pages=1)
    assert partial.status == "partial" and "page limit" in partial.error
    assert Record.objects.count() == 10
    rest = pull_feed(feed)
    assert rest.status == "done", rest.error
    assert Record.objects.count() == RecordVersion.objects.count() == 25
    assert rest.stored == 15 and rest.unchanged == 10


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("badjson", "invalid JSON"),
        ("403", "may not read this collection (HTTP 403)"),
        ("500", "HTTP 500"),
    ],
)
def test_a_failing_first_page_stores_nothing_and_keeps_the_cursor(taxii, kind, message):
    taxii.add(_objects(5))
    feed = _feed(taxii)
    taxii.fail_page, taxii.fail_kind = 1, kind
    run = pull_feed(feed)
    assert run.status == "failed" and message in run.error, run.error
    assert Record.objects.count() == 0
    feed.refresh_from_db()
    assert feed.added_after == ""


def test_wrong_password_is_reported_as_refused_credentials(taxii):
    taxii.add(_objects(3))
    feed = _feed(taxii, secret="not the password")
    run = pull_feed(feed)
    assert run.status == "failed"
    assert "refused the credentials (HTTP 401)" in run.error
    assert Record.objects.count() == 0


def test_bearer_token_without_user_name(taxii):
    taxii.add(_objects(3))
    feed = _feed(taxii, username="", secret=TOKEN)
    assert feed.auth_kind == "token"
    run = pull_feed(feed)
    assert run.status == "done", run.error
    assert {a for _, _, a in taxii.requests} == {f"Bearer {TOKEN}"}


def test_unreadable_collection_and_unknown_collection(taxii):
    taxii.can_read = False
    run = pull_feed(_feed(taxii))
    assert run.status == "failed" and "can_read is false" in run.error
    run = pull_feed(_feed(taxii, name="other", collection_id="nope"))
    assert run.status == "failed" and "HTTP 404" in run.error


def test_redirect_to_another_host_is_not_followed(taxii):
    other = TaxiiServer()
    try:
        taxii.add(_objects(3))
        taxii.fail_page, taxii.fail_kind = 1, "redirect"
        taxii.redirect_to = other.url.replace("127.0.0.1", "localhost")
        run = pull_feed(_feed(taxii))
        assert run.status == "failed" and "feeds follow no redirects" in run.error
        assert other.requests == []
    finally:
        other.close()


def test_server_down_gives_an_actionable_message(taxii):
    feed = _feed(taxii)
    taxii.close()
    taxii.close = lambda: None
    run = pull_feed(feed)
    assert run.status == "failed" and "cannot connect to the server" in run.error


def test_only_allowed_hosts_are_configured_or_contacted(taxii, settings):
    with pytest.raises(ValidationError) as exc:
        _feed(taxii, url="http://10.1.2.3/taxii2/")
    assert "ACCORD_FEED_ALLOWED_HOSTS" in str(exc.value)
    with pytest.raises(ValidationError):
        _feed(taxii, url="file:///etc/passwd")
    with pytest.raises(ValidationError):
        _feed(taxii, url=f"http://{USER}:{PASSWORD}@127.0.0.1/taxii2/")
    feed = _feed(taxii)
    settings.ACCORD_FEED_ALLOWED_HOSTS = "taxii.partner.example"
    run = pull_feed(feed)
    assert run.status == "failed" and "ACCORD_FEED_ALLOWED_HOSTS" in run.error
    assert taxii.requests == []


def test_invalid_objects_are_refused_the_others_stored_and_the_cursor_advances(taxii):
    objects = _objects(6)
    broken = copy.deepcopy(objects[2])
    broken["id"] = "identity--not-a-uuid"
    taxii.add([*objects[:2], broken, *objects[3:]])
    feed = _feed(taxii)
    run = pull_feed(feed)
    assert run.status == "done", run.error
    assert (run.received, run.stored, run.refused) == (6, 5, 1)
    assert run.refusals[0]["id"] == "identity--not-a-uuid"
    assert not Record.objects.filter(stix_id="identity--not-a-uuid").exists()
    feed.refresh_from_db()
    assert feed.added_after == taxii.entries[-1][0]


def test_default_tlp_marks_unmarked_objects_in_the_index_only(taxii):
    objects = _objects(10)
    taxii.add(objects)
    run = pull_feed(_feed(taxii, default_tlp="amber"))
    assert run.status == "done"
    for obj in objects:
        record = Record.objects.get(stix_id=obj["id"])
        assert json.loads(record.data) == obj  # the object itself is untouched
        if not obj.get("object_marking_refs"):
            assert record.tlp == "amber"
    assert Record.objects.filter(tlp="").count() == 0


def test_secret_is_encrypted_at_rest_and_never_in_audit_or_logs(taxii, caplog):
    caplog.set_level(logging.DEBUG)
    taxii.add(_objects(3))
    feed = _feed(taxii)
    assert PASSWORD not in feed.secret_encrypted and feed.secret_encrypted
    assert decrypt_secret(feed.secret_encrypted) == PASSWORD
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM feeds_feed")
        raw = repr(cursor.fetchall())
    assert PASSWORD not in raw
    update_feed(None, feed, secret=PASSWORD + "x")
    pull_feed(feed)
    trail = repr(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert PASSWORD not in trail and "secret_set" in trail
    assert PASSWORD not in caplog.text
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert auth not in caplog.text


def test_changed_secret_key_asks_to_enter_the_secret_again(taxii, settings):
    feed = _feed(taxii)
    settings.SECRET_KEY = "another key entirely " * 3
    run = pull_feed(feed)
    assert run.status == "failed" and "enter it again" in run.error
    assert taxii.requests == []


def test_only_administrators_configure_and_supervisors_may_pull(taxii, make_user):
    admin = make_user("root", role="admin")
    supervisor = make_user("sup", role="supervisor")
    analyst = make_user("ana", role="analyst")
    with pytest.raises(PermissionDenied):
        create_feed(supervisor, name="x", url=f"{taxii.url}/taxii2/", collection_id=COLLECTION)
    feed = create_feed(admin, name="x", url=f"{taxii.url}/taxii2/", collection_id=COLLECTION,
                       username=USER, secret=PASSWORD)  # fmt: skip
    with pytest.raises(PermissionDenied):
        update_feed(analyst, feed, enabled=False)
    with pytest.raises(PermissionDenied):
        pull_feed(feed, user=analyst)
    taxii.add(_objects(2))
    run = pull_feed(feed, user=supervisor)
    assert run.status == "done"
    event = AuditEvent.objects.filter(action="feed.pull").latest("seq")
    assert event.actor == "sup"
    assert AuditEvent.objects.filter(action="feed.create", actor="root").exists()


def test_schedule_queues_due_feeds_once_and_the_task_runs_them(taxii):
    taxii.add(_objects(4))
    due = _feed(taxii, interval_minutes=30)
    _feed(taxii, name="manual", interval_minutes=0)
    _feed(taxii, name="off", enabled=False)
    runs = enqueue_due_feeds()  # the immediate backend runs each at once
    assert [r.feed.name for r in runs] == ["stub"]
    run = FeedRun.objects.get(pk=runs[0].pk)
    assert (run.status, run.trigger, run.stored) == ("done", "schedule", 4)
    assert enqueue_due_feeds() == []  # not due again for 30 minutes
    due.refresh_from_db()
    later = due.last_run_at + timedelta(minutes=31)
    assert [r.feed.name for r in enqueue_due_feeds(now=later)] == ["stub"]


def test_start_pull_runs_the_task_and_records_who_asked(taxii, make_user):
    taxii.add(_objects(2))
    admin = make_user("root", role="admin")
    run = start_pull(admin, _feed(taxii))
    run.refresh_from_db()
    assert (run.status, run.triggered_by, run.trigger, run.stored) == ("done", "root", "manual", 2)
    assert AuditEvent.objects.filter(action="feed.pull.request", actor="root").exists()
