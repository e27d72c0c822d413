"""The simulated users of ``accord bench load`` and the runner that drives them.

Each user is a locust ``FastHttpUser`` (geventhttpclient: the load generator should take as
little of the machine's CPU as it can, since it shares it with the node). What they do, with
their think time between two requests:

- :class:`AnalystWebUser` (a browser, 1-3 s): signs in through the login form (its CSRF token
  and cookie) once, then searches records by name, opens record pages, opens the dashboard
  (whose record counts the page fetches with htmx) and screens one person with the screening
  form (a POST with the CSRF token of the page).
- :class:`ApiAnalystUser` (a script with an API token, 0.5-2 s): ``GET /api/records?q=``,
  ``GET /api/records/{id}``, ``POST /api/screenings`` with one person.
- :class:`SupervisorWebUser` (a browser, 1-3 s): the hit review queue (the page and
  ``GET /api/screenings/hits`` with a token), a hit's page, and now and then dismisses a
  pending hit with a reason (one simulated supervisor per hit).
- :class:`TaxiiClientUser` (HTTP Basic, 0.5-2 s): pages through the collection with
  ``added_after`` and then ``next`` (100 objects a page, up to :data:`TAXII_PAGES` pages before
  it starts again elsewhere) and posts small envelopes of new persons.
- :class:`BatchScreenerUser` (a border system with an API token, 2-5 s): screens a CSV batch of
  :data:`BATCH_ROWS` travellers (``POST /api/screenings``, multipart).

A request counts as an error when its status is not the one expected (no redirect is followed:
a session lost to the login page is an error, not a 200) or its content is not what the route
answers (the record asked for, a TAXII envelope, a status without failures).

Run by :mod:`accord.cli.bench_load` in a process of its own, since importing locust patches the
standard library with gevent: ``python -m accord.cli.bench_load_users --spec FILE --host URL
--users N --spawn-rate R --seconds S``. The window measured opens once every user has started
(signed in): the requests started in it are counted, sign-in and the ramp are not (their
errors are reported apart); one JSON object goes to stdout.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import math
import random
import re
import sys
import time
import uuid
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import quote, urlencode

import gevent
from locust import FastHttpUser, between, task
from locust.env import Environment

from accord.http.taxii import TAXII_MEDIA_TYPE
from accord.intel.factories import person_object

__all__ = [
    "BATCH_ROWS",
    "TAXII_PAGES",
    "USER_CLASSES",
    "AnalystWebUser",
    "ApiAnalystUser",
    "BatchScreenerUser",
    "SupervisorWebUser",
    "TaxiiClientUser",
    "main",
    "run_load",
]

TAXII_PAGE = 100
TAXII_PAGES = 10
BATCH_ROWS = 20
TAXII_ENVELOPE = 5

_SECURE_SCHEMES = ("https", "wss", "http")
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_HIT_LINK = re.compile(r'href="/screening/hits/(\d+)/"')

#: What the node set-up wrote for the users (accord.cli.bench_load.prepare): accounts, tokens,
#: record ids, names, people to screen, the collection. Set by run_load before users start.
SPEC: dict[str, Any] = {}
_claimed_hits: set[int] = set()
_ready: list[Any] = []  # users that have started (signed in): measuring starts with all
_serial = itertools.count()
_posted = itertools.count()  # envelopes posted: each carries persons not stored yet


def _pick(key: str) -> Any:
    return random.choice(SPEC[key])


def _account(kind: str, number: int) -> dict[str, str]:
    accounts = SPEC["accounts"][kind]
    return dict(accounts[number % len(accounts)])


def _check(response: Any, status: int, marker: str = "") -> None:
    """Mark ``response`` failed unless it has ``status`` (and ``marker`` in its text)."""
    if response.status_code != status:
        response.failure(f"status {response.status_code}, expected {status}")
    elif marker and marker not in response.text:
        response.failure(f"answer without {marker[:60]!r}")
    else:
        response.success()


def _person_form(person: dict[str, str]) -> dict[str, str]:
    return {k: person.get(k, "") for k in ("full_name", "date_of_birth", "nationality")}


class _BrowserUser(FastHttpUser):
    """A signed-in browser: session cookie, CSRF cookie and the page's CSRF token."""

    abstract = True
    role = "analysts"

    def on_start(self) -> None:
        # The node's cookies are Secure; a browser sends them to http://127.0.0.1 (loopback is
        # a secure context), the standard library's cookie policy does not unless told so.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=_SECURE_SCHEMES))
        account = _account(self.role, next(_serial))
        self.username = account["username"]
        self.csrf = ""
        with self.client.get(
            "/login/", name="GET /login/", allow_redirects=False, catch_response=True
        ) as page:
            _check(page, 200, "csrfmiddlewaretoken")
            found = _CSRF_FIELD.search(page.text or "")
        body = urlencode(
            {
                "username": account["username"],
                "password": account["password"],
                "csrfmiddlewaretoken": found.group(1) if found else "",
            }
        )
        with self.client.post(
            "/login/", name="POST /login/", data=body, allow_redirects=False,
            headers={"Content-Type": "application/x-www-form-urlencoded"}, catch_response=True,
        ) as signed_in:  # fmt: skip
            _check(signed_in, 302)
        self.page("/", "GET /", "dashboard")
        _ready.append(self)

    def page(self, url: str, name: str, marker: str = "") -> Any:
        """GET a page of the UI; keeps its CSRF token (the cookie's, rotated at sign-in)."""
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            _check(r, 200, marker)
            if not self.csrf and r.status_code == 200:
                found = _CSRF_META.search(r.text or "")
                self.csrf = found.group(1) if found else ""
        return r

    def form(self, url: str, name: str, fields: dict[str, str], status: int) -> Any:
        """POST a form of the UI with the page's CSRF token."""
        body = urlencode({**fields, "csrfmiddlewaretoken": self.csrf})
        with self.client.post(
            url, name=name, data=body, allow_redirects=False, catch_response=True,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as r:  # fmt: skip
            _check(r, status)
        return r


class AnalystWebUser(_BrowserUser):
    weight = 20
    wait_time = between(1, 3)

    @task(4)
    def search(self) -> None:
        name = _pick("names")
        self.page("/records/?" + urlencode({"q": name}), "GET /records/?q=")

    @task(4)
    def record(self) -> None:
        stix_id = _pick("record_ids")
        self.page(f"/records/{quote(stix_id)}/", "GET /records/{id}/", stix_id)

    @task(1)
    def dashboard(self) -> None:
        self.page("/", "GET /", "dashboard")
        with self.client.get(
            "/dashboard/counts/", name="GET /dashboard/counts/", allow_redirects=False,
            headers={"HX-Request": "true"}, catch_response=True,
        ) as r:  # fmt: skip
            _check(r, 200)

    @task(1)
    def screen(self) -> None:
        person = _pick("listed" if random.random() < 0.3 else "unlisted")
        self.form("/screening/", "POST /screening/", _person_form(person), 200)


class _TokenUser(FastHttpUser):
    abstract = True
    role = "analysts"

    def on_start(self) -> None:
        account = _account(self.role, next(_serial))
        self.headers = {
            "Authorization": f"Bearer {account['token']}",
            "X-Accord-Purpose": "counter-terrorism",
        }
        _ready.append(self)

    def get(self, url: str, name: str, marker: str = "") -> None:
        with self.client.get(
            url, name=name, headers=self.headers, allow_redirects=False, catch_response=True
        ) as r:
            _check(r, 200, marker)


class ApiAnalystUser(_TokenUser):
    weight = 10
    wait_time = between(0.5, 2)

    @task(3)
    def search(self) -> None:
        self.get("/api/records?" + urlencode({"q": _pick("names")}), "GET /api/records?q=")

    @task(3)
    def read(self) -> None:
        stix_id = _pick("record_ids")
        self.get(f"/api/records/{quote(stix_id)}", "GET /api/records/{id}", stix_id)

    @task(2)
    def screen(self) -> None:
        person = _pick("listed" if random.random() < 0.3 else "unlisted")
        with self.client.post(
            "/api/screenings", name="POST /api/screenings (person)", json=person,
            headers=self.headers, allow_redirects=False, catch_response=True,
        ) as r:  # fmt: skip
            _check(r, 200, '"results"')


class BatchScreenerUser(_TokenUser):
    weight = 4
    wait_time = between(2, 5)

    @task
    def screen_batch(self) -> None:
        manifest = io.StringIO()
        rows = csv.writer(manifest)
        rows.writerow(["id", "full_name", "date_of_birth", "nationality", "document_number"])
        for n in range(BATCH_ROWS):
            person = _pick("listed" if random.random() < 0.1 else "unlisted")
            rows.writerow(
                [f"t-{n}", person["full_name"], person.get("date_of_birth", ""),
                 person.get("nationality", ""), person.get("document_number", "")]
            )  # fmt: skip
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="format"\r\n\r\ncsv\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="manifest.csv"\r\nContent-Type: text/csv\r\n\r\n'
            + manifest.getvalue()
            + f"\r\n--{boundary}--\r\n"
        ).encode()
        headers = {**self.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        with self.client.post(
            "/api/screenings", name="POST /api/screenings (csv)",
            data=body,  # type: ignore[arg-type]  # bytes are sent as they are; locust's hint omits them
            headers=headers,
            allow_redirects=False, catch_response=True,
        ) as r:  # fmt: skip
            _check(r, 200, f'"count": {BATCH_ROWS}')


class SupervisorWebUser(_BrowserUser):
    weight = 4
    wait_time = between(1, 3)
    role = "supervisors"

    def on_start(self) -> None:
        account = _account(self.role, next(_serial))
        self.api_headers = {"Authorization": f"Bearer {account['token']}"}
        self.pending: list[int] = []
        super().on_start()

    @task(3)
    def queue(self) -> None:
        r = self.page("/screening/hits/", "GET /screening/hits/", "Hits")
        if r.status_code == 200:  # the first table holds the pending hits, the second decided
            pending = (r.text or "").split("Decided recently", 1)[0]
            self.pending = [int(pk) for pk in _HIT_LINK.findall(pending)]

    @task(2)
    def queue_api(self) -> None:
        with self.client.get(
            "/api/screenings/hits", name="GET /api/screenings/hits", headers=self.api_headers,
            allow_redirects=False, catch_response=True,
        ) as r:  # fmt: skip
            _check(r, 200, '"hits"')

    @task(2)
    def hit(self) -> None:
        if self.pending:
            pk = random.choice(self.pending)
            self.page(f"/screening/hits/{pk}/", "GET /screening/hits/{id}/")

    @task(1)
    def dismiss(self) -> None:
        free = [pk for pk in self.pending if pk not in _claimed_hits]
        if not free:
            return
        pk = random.choice(free)
        _claimed_hits.add(pk)
        self.pending.remove(pk)
        fields = {"decision": "dismissed", "reason": "Different person: birth date and passport."}
        self.form(f"/screening/hits/{pk}/", "POST /screening/hits/{id}/", fields, 302)


class TaxiiClientUser(FastHttpUser):
    weight = 10
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        account = _account("taxii", next(_serial))
        self.auth = (account["username"], account["password"])
        self.objects = f"/taxii2/accord/collections/{SPEC['collection']}/objects/"
        self.next = ""
        self.added_after = ""
        self.pages = 0
        _ready.append(self)

    def _get(self, params: dict[str, str], name: str) -> None:
        with self.client.get(
            self.objects + "?" + urlencode(params), name=name, auth=self.auth,
            headers={"Accept": TAXII_MEDIA_TYPE}, allow_redirects=False, catch_response=True,
        ) as r:  # fmt: skip
            if r.status_code != 200:
                r.failure(f"status {r.status_code}, expected 200")
                self.next = ""
                return
            try:
                envelope = r.json()
            except ValueError:
                r.failure("not a TAXII envelope")
                self.next = ""
                return
            self.pages += 1
            more = bool(envelope.get("more")) and self.pages < TAXII_PAGES
            self.next = str(envelope.get("next", "")) if more else ""
            r.success()

    @task(6)
    def page(self) -> None:
        if self.next:  # the next page of the same request (TAXII 2.1 section 3.4)
            params = {"limit": str(TAXII_PAGE), "added_after": self.added_after}
            self._get({**params, "next": self.next}, "GET taxii objects ?next=")
        else:
            self.pages = 0
            self.added_after = _pick("added_after")
            params = {"limit": str(TAXII_PAGE), "added_after": self.added_after}
            self._get(params, "GET taxii objects ?added_after=")

    @task(1)
    def post(self) -> None:
        first = SPEC["post_from"] + next(_posted) * TAXII_ENVELOPE
        objects = [
            person_object(n, created_by_ref=SPEC["partner_identity"])
            for n in range(first, first + TAXII_ENVELOPE)
        ]
        with self.client.post(
            self.objects, name="POST taxii objects", auth=self.auth,
            data=json.dumps({"objects": objects}),
            headers={"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE},
            allow_redirects=False, catch_response=True,
        ) as r:  # fmt: skip
            if r.status_code != 202:
                r.failure(f"status {r.status_code}, expected 202")
                return
            try:
                status = r.json()
            except ValueError:
                r.failure("not a TAXII status")
                return
            if status.get("failure_count") or status.get("success_count") != TAXII_ENVELOPE:
                r.failure(f"status: {json.dumps(status)[:200]}")
            else:
                r.success()


USER_CLASSES: tuple[type[FastHttpUser], ...] = (
    AnalystWebUser,
    ApiAnalystUser,
    BatchScreenerUser,
    SupervisorWebUser,
    TaxiiClientUser,
)


class _Window:
    """The requests that started within the measured window, by route: their times (ms) and
    failures. A request in flight when the window opens (during the ramp) or started after it
    closes is not counted; one started inside it is counted when it ends, however late."""

    def __init__(self) -> None:
        self.start = self.end = float("inf")
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.failures: dict[tuple[str, str], int] = {}
        self.before: dict[str, int] = {"requests": 0, "errors": 0}

    def on_request(
        self, name: str, response_time: float, exception: Any = None,
        start_time: float | None = None, **_: Any,
    ) -> None:  # fmt: skip
        started = time.time() if start_time is None else start_time
        if started < self.start:
            self.before["requests"] += 1
            self.before["errors"] += exception is not None
        elif started < self.end:
            self.times.setdefault(name, []).append(float(response_time))
            self.errors.setdefault(name, 0)
        else:
            return
        if exception is not None:
            if started >= self.start:
                self.errors[name] += 1
            key = (name, str(exception)[:300])
            self.failures[key] = self.failures.get(key, 0) + 1

    def routes(self, seconds: float) -> list[dict[str, Any]]:
        out = []
        for name in sorted(self.times):
            times = sorted(self.times[name])
            out.append(
                {
                    "route": name,
                    "requests": len(times),
                    "rps": round(len(times) / seconds, 2),
                    "p50_ms": _percentile(times, 0.50),
                    "p95_ms": _percentile(times, 0.95),
                    "p99_ms": _percentile(times, 0.99),
                    "max_ms": round(times[-1], 1),
                    "errors": self.errors[name],
                }
            )
        return out


def _percentile(ordered: list[float], q: float) -> float:
    """The ``q`` quantile of ``ordered`` (nearest rank), in ms to 0.1."""
    rank = max(1, math.ceil(q * len(ordered)))
    return round(ordered[rank - 1], 1)


def run_load(
    spec: dict[str, Any], host: str, *, users: int, spawn_rate: float, seconds: float
) -> dict[str, Any]:
    """Start ``users`` users at ``spawn_rate`` a second against ``host``; once every one has
    started (signed in), measure the requests started in the next ``seconds`` (each user then
    finishes what it is doing). Per-route figures (requests, rps, p50/p95/p99 and the slowest
    in ms, errors), the failures, and the requests and errors of the ramp."""
    SPEC.clear()
    SPEC.update(spec)
    env = Environment(user_classes=list(USER_CLASSES), host=host, stop_timeout=120)
    window = _Window()
    env.events.request.add_listener(window.on_request)
    runner = env.create_local_runner()
    _ready.clear()
    runner.start(users, spawn_rate=spawn_rate)
    deadline = time.monotonic() + users / spawn_rate + 60
    while len(_ready) < users and time.monotonic() < deadline:
        gevent.sleep(0.1)
    window.start = time.time()
    gevent.sleep(seconds)
    window.end = time.time()
    runner.quit()  # each user finishes its task: what started in the window is counted
    measured = window.end - window.start
    routes = window.routes(measured)
    count = sum(r["requests"] for r in routes)
    return {
        "users": users,
        "users_started": len(_ready),
        "user_classes": {cls.__name__: n for cls, n in _class_counts(runner).items()},
        "seconds": round(measured, 1),
        "requests": count,
        "rps": round(count / measured, 1),
        "errors": sum(r["errors"] for r in routes),
        "routes": routes,
        "failures": [
            {"route": name, "error": error, "occurrences": n}
            for (name, error), n in sorted(window.failures.items())
        ],
        "ramp": window.before,
    }


def _class_counts(runner: Any) -> dict[type, int]:
    counts = getattr(runner, "user_classes_count", {}) or {}
    by_name = {cls.__name__: cls for cls in USER_CLASSES}
    return {by_name[name]: n for name, n in counts.items() if name in by_name}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="accord.cli.bench_load_users")
    parser.add_argument("--spec", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--spawn-rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args(argv)
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)
    result = run_load(
        spec, args.host.rstrip("/"), users=args.users, spawn_rate=args.spawn_rate,
        seconds=args.seconds,
    )  # fmt: skip
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
