"""The authorisation matrix: every route x every identity x every protection, each cell's
outcome compared with what the tables of :mod:`tests.security.expected` say, and written down
cell by cell in ``matrix.csv`` (reviewed like code: a change of who may do what shows there).

Each cell runs in a transaction rolled back after it, so that a write allowed in one cell does
not change the next. A refused read of a record must not carry any of its content.
"""

from __future__ import annotations

import copy
import csv
import io
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from tests.security.expected import expected, may_read
from tests.security.routes import EXEMPT, ROUTES, TAXII, Route
from tests.security.world import IDENTITIES, PEER_KEY, PROTECTIONS, World, build_world, dumps

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MATRIX_CSV = Path(__file__).with_name("matrix.csv")


def _channel(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/taxii2/"):
        return "taxii"
    if path.startswith("/federation/"):
        return "federation"
    return "web"


def cells() -> Iterator[tuple[Route, str, str | None]]:
    for route in ROUTES:
        protections: tuple[str | None, ...] = PROTECTIONS if route.per_record else (None,)
        for identity in IDENTITIES:
            for protection in protections:
                yield route, identity, protection


def _expected_rows() -> list[tuple[str, str, str, str]]:
    return [(route.key, identity, protection or "-", _want(route, identity, protection))
            for route, identity, protection in cells()]  # fmt: skip


def _want(route: Route, identity: str, protection: str | None) -> str:
    """The expected outcome of one cell, as the tables give it for this route's shape."""
    want = expected(route.rule, identity, protection, _channel(route.path))
    if route.listing and want == "hidden":
        return "allow"  # absent from the list, as a missing record is
    return route.passes if want == "allow" else want


def _csv_text(rows: list[tuple[str, str, str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("route", "identity", "protection", "expected"))
    writer.writerows(rows)
    return out.getvalue()


def test_matrix_csv_is_the_tables_written_out():
    """The cell-by-cell file is what the tables say (``ACCORD_MATRIX_WRITE=1`` rewrites it)."""
    text = _csv_text(_expected_rows())
    if os.environ.get("ACCORD_MATRIX_WRITE") == "1":
        MATRIX_CSV.write_text(text)
    assert MATRIX_CSV.read_text() == text, (
        "tests/security/matrix.csv differs from the tables in tests/security/expected.py: "
        "rewrite it with ACCORD_MATRIX_WRITE=1 and review the diff"
    )


# --------------------------------------------------------------------------------------------
# Calling a route as an identity


class Caller:
    def __init__(self, world: World) -> None:
        self.world = world
        self.clients: dict[str, Client] = {}
        self.cookies: dict[str, Any] = {}

    def client(self, identity: str) -> Client:
        """The identity's client, its cookies as they were after signing in (a cell that signs
        out or changes the session does not change the next cell's)."""
        if identity in self.clients:
            client = self.clients[identity]
            client.cookies = copy.deepcopy(self.cookies[identity])
            return client
        if identity not in self.clients:
            client = Client(raise_request_exception=False)
            if identity in self.world.users and identity != "peer":
                client.force_login(self.world.users[identity])
                if identity == "olga":
                    session = client.session
                    session["accord_purpose"] = "oversight-review"
                    session.save()
            if identity == "wrong":
                client.cookies["accord_session"] = "not-a-session"
            self.clients[identity] = client
            self.cookies[identity] = copy.deepcopy(client.cookies)
        return self.clients[identity]

    def headers(
        self, identity: str, channel: str, method: str, url: str, body: bytes, content_type: str
    ) -> dict[str, str]:
        headers: dict[str, str] = {}
        if channel in ("api", "taxii", "federation") and identity in self.world.tokens:
            headers["Authorization"] = f"Bearer {self.world.tokens[identity]}"
        if identity == "wrong" and channel in ("api", "federation"):
            headers["Authorization"] = "Bearer acc_this-token-does-not-exist"
        if identity == "wrong" and channel == "taxii":
            headers["Authorization"] = "Basic YWxpY2U6d3JvbmctcGFzc3dvcmQ="  # alice:wrong-password
        if identity == "node-b":
            from accord.engine.signing import sign_request

            signed = sign_request(
                method,
                f"http://testserver{url}",
                {"Content-Type": content_type} if content_type else {},
                body,
                keyid="node-b",
                private_key=PEER_KEY,
            )
            headers.update({k: v for k, v in signed.items() if k.lower() != "content-type"})
        if identity == "olga":
            headers["X-Accord-Purpose"] = "oversight-review"
        if channel == "taxii":
            headers["Accept"] = TAXII
        return headers

    def url(self, route: Route, protection: str | None) -> str:
        values: dict[str, Any] = dict(self.world.ids)
        values["collection"] = self.world.collection.pk
        if protection is not None:
            values["record"] = self.world.records[protection]["id"]
        return route.path.format(**values)

    def call(self, route: Route, identity: str, protection: str | None) -> Any:
        url = self.url(route, protection)
        channel = _channel(url)
        obj = self.world.records[protection] if protection else self.world.records["green"]
        body = route.body(self.world, obj) if route.body else None
        client = self.client(identity)
        if route.content_type == "form":
            data: Any = body or {}
            raw = b""
            kwargs: dict[str, Any] = {}
        elif route.content_type == "multipart":
            data = body if body is not None else _empty_bundle_upload()
            raw = b""
            kwargs = {}
        elif body is None:
            data, raw, kwargs = {}, b"", {}
        else:
            raw = dumps(body).encode()
            data = raw
            kwargs = {"content_type": route.content_type}
        signed_type = route.content_type if raw else ""
        headers = self.headers(identity, channel, route.method, url, raw, signed_type)
        method = getattr(client, route.method.lower())
        if route.method == "GET" or (route.method == "DELETE" and body is None):
            return method(url, headers=headers)
        return method(url, data=data, headers=headers, **kwargs)


def _empty_bundle_upload() -> dict[str, Any]:
    upload = io.BytesIO(b'{"type": "bundle", "id": "bundle--0", "objects": []}')
    upload.name = "empty.json"
    return {"format": "stix", "file": upload}


def classify(response: Any) -> str:
    status = response.status_code
    if status == 202 and response.get("Content-Type", "").startswith("application/taxii+json"):
        # TAXII 2.1 section 5.5: per-object outcomes in a status resource.
        body = response.json()
        return "refuse" if body.get("success_count") == 0 and body.get("failure_count") else "allow"
    if status >= 500:
        return f"error {status}"
    if status == 401:
        return "login"
    if status in (301, 302, 303, 307, 308):
        return "login" if "/login/" in response.get("Location", "") else "allow"
    if status == 403:
        return "forbid"
    if status == 404:
        return "hidden"
    if status in (400, 409, 413, 415, 422):
        return "refuse"
    if 200 <= status < 300:
        return "allow"
    return f"other {status}"


@pytest.fixture
def world(make_user) -> World:
    return build_world(make_user)


def _content_markers(obj: dict[str, Any]) -> list[str]:
    ext = next(iter(obj.get("extensions", {}).values()), {})
    return [obj["name"], *(d["number"] for d in ext.get("documents", ()))]


def _run(world: World, routes: tuple[Route, ...]) -> list[str]:
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # thousands of 4xx lines
    caller = Caller(world)
    for identity in IDENTITIES:  # signed in before the cells, whose writes are rolled back
        caller.client(identity)
    mismatches: list[str] = []
    for route, identity, protection in cells():
        if route not in routes:
            continue
        want = _want(route, identity, protection)
        channel = _channel(route.path)
        unreadable = protection is not None and not may_read(identity, protection, channel)
        with transaction.atomic():
            response = caller.call(route, identity, protection)
            transaction.set_rollback(True)
        got = classify(response)
        where = f"{route.key} as {identity}" + (f" on {protection}" if protection else "")
        if got != want:
            detail = response.content[:160].decode(errors="replace").replace("\n", " ")
            mismatches.append(
                f"{where}: expected {want}, got {got} ({response.status_code}: {detail})"
            )
        elif unreadable and route.reads_record:
            text = response.content.decode(errors="replace")
            leaked = [m for m in _content_markers(world.records[protection]) if m in text]
            if leaked:
                mismatches.append(f"{where}: refused ({got}) but the answer carries {leaked}")
    return mismatches


def _family(prefix: str) -> tuple[Route, ...]:
    return tuple(r for r in ROUTES if r.name.startswith(prefix))


@pytest.mark.parametrize(
    "family",
    ["api:", "taxii:", "web:", ("federation:", "dissemination-federation:", "extension-schema")],
    ids=["rest", "taxii", "web", "federation"],
)
def test_matrix(world, family):
    prefixes = (family,) if isinstance(family, str) else family
    routes = tuple(r for r in ROUTES if r.name.startswith(prefixes))
    mismatches = _run(world, routes)
    assert not mismatches, f"{len(mismatches)} cells differ:\n" + "\n".join(mismatches)


# --------------------------------------------------------------------------------------------
# Every route has an entry


def _url_names() -> set[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    names: set[str] = set()

    def walk(patterns: Any, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(x for x in (namespace, p.namespace or "") if x)
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern):
                if not p.name:
                    names.add(f"<unnamed {p.pattern}>")
                else:
                    names.add(":".join(x for x in (namespace, p.name) if x))

    walk(get_resolver().url_patterns, "")
    return names


def test_every_route_has_an_entry():
    listed = {r.name.split("#")[0] for r in ROUTES}
    missing = sorted(_url_names() - listed - set(EXEMPT))
    assert not missing, f"routes without an entry in tests/security/routes.py: {missing}"


def test_every_openapi_operation_has_an_entry(client):
    document = client.get("/api/openapi.json").json()
    listed = {
        (r.method, r.path.split("?")[0].format(**_PLACEHOLDERS))
        for r in ROUTES
        if r.path.startswith("/api/")
    }
    missing = []
    for path, operations in document["paths"].items():
        for method in operations:
            concrete = path
            for name in (
                "stix_id",
                "job_id",
                "hit_id",
                "incoming_id",
                "dissemination_id",
                "approval_id",
                "consent_id",
            ):
                concrete = concrete.replace("{" + name + "}", "{x}")
            if (method.upper(), concrete) not in listed:
                missing.append(f"{method.upper()} {path}")
    assert not missing, f"OpenAPI operations without an entry: {missing}"


_PLACEHOLDERS = dict.fromkeys(
    (
        "record",
        "import",
        "screening_job",
        "hit",
        "incoming",
        "dissemination",
        "approval",
        "consent",
        "collection",
        "status",
        "feed",
        "feed_run",
        "token",
        "agreement",
        "profile",
    ),
    "{x}",
)
