"""Every route of a node, as data: how to call it and which rule decides who may.

A route is named by its URL pattern name (``namespace:name``, as ``reverse`` takes it) and its
method. ``rule`` names the rule of :mod:`tests.security.expected` that gives the expected
outcome of each cell (identity x protection); a route that addresses a record (``{record}`` in
its path or body) is tried on a record of every protection, any other once per identity.

The coverage test (``test_every_route_has_an_entry``) walks the URL configuration and the
OpenAPI document: a route that is not listed here fails the suite until it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.security.world import World, dumps, version_of

__all__ = ["EXEMPT", "ROUTES", "Route"]

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"

Body = Callable[[World, dict[str, Any]], Any]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    rule: str
    body: Body | None = None
    content_type: str = "application/json"
    #: Also checks that an identity that may not read the record gets none of its content.
    reads_record: bool = False
    #: A filtered list: a record the caller may not read is simply not in it (200), as a
    #: record that does not exist is not (TAXII 2.1 section 3.5: filters select).
    listing: bool = False
    #: The outcome that shows a call was let through (a body refused after the checks of who
    #: may call shows the caller was let through too).
    passes: str = "allow"

    @property
    def per_record(self) -> bool:
        return "{record}" in self.path or self.rule.startswith("record")

    @property
    def key(self) -> str:
        return f"{self.method} {self.name}"


def _version(world: World, obj: dict[str, Any]) -> dict[str, Any]:
    return version_of(obj, description="a later version")


def _envelope(world: World, obj: dict[str, Any]) -> dict[str, Any]:
    return {"objects": [_version(world, obj)]}


def _share(world: World, obj: dict[str, Any]) -> dict[str, Any]:
    return {"records": [obj["id"]], "recipients": ["node-b"], "purpose": "counter-terrorism"}


def _reason(world: World, obj: dict[str, Any]) -> dict[str, Any]:
    return {"reason": "the matrix says so"}


def _new_person(world: World, obj: dict[str, Any]) -> dict[str, Any]:
    from accord.intel.factories import person_object

    return person_object(900, tlp="amber")


def _upload(world: World, obj: dict[str, Any]) -> dict[str, Any]:
    import io

    data = io.BytesIO(dumps({"type": "bundle", "id": "bundle--0", "objects": []}).encode())
    data.name = "empty.json"
    return {"format": "stix", "purpose": "counter-terrorism", "file": data}


_R = "/api/records"
_T = "/taxii2/accord/collections/{collection}"

ROUTES: tuple[Route, ...] = (
    # ---------------------------------------------------------------- REST: records
    Route("api:create", "POST", _R, "record_version", _version),
    Route("api:create#new", "POST", _R, "create_record", _new_person),
    Route("api:search", "GET", _R + "?q=", "role:record.search"),
    Route("api:read", "GET", _R + "/{record}", "record_read", reads_record=True),
    Route("api:versions", "GET", _R + "/{record}/versions", "record_read", reads_record=True),
    Route("api:provenance_view", "GET", _R + "/{record}/provenance", "record_read"),
    Route("api:revoke_view", "POST", _R + "/{record}/revoke", "record_revoke", _reason),
    Route("api:delete_order_view", "POST", _R + "/{record}/delete-order", "record_revoke", _reason),
    Route("api:export", "GET", "/api/export", "role:record.export"),
    # ---------------------------------------------------------------- REST: sharing
    Route("api:preview_view", "POST", "/api/disseminations/preview", "record_share", _share),
    Route("api:share_view", "POST", "/api/disseminations", "record_share", _share),
    Route("api:dissemination_view", "GET", "/api/disseminations/{dissemination}", "dissemination"),
    Route(
        "api:approval_view",
        "POST",
        "/api/approvals/{approval}",
        "role:disclosure.approve",
        lambda w, o: {"decision": "deny", "reason": "not now"},
    ),
    Route("api:consents_view", "GET", "/api/consents", "role:consent.answer"),
    Route(
        "api:consent_answer_view",
        "POST",
        "/api/consents/{consent}",
        "role:consent.answer",
        lambda w, o: {"decision": "refuse", "reason": "no consent"},
    ),
    # ---------------------------------------------------------------- REST: imports, screening
    Route("api:create#import", "POST", "/api/imports", "role:record.import", None, "multipart"),
    Route("api:read#import", "GET", "/api/imports/{import}", "own_import"),
    Route(
        "api:create#screening",
        "POST",
        "/api/screenings",
        "role:screening.run",
        lambda w, o: {"full_name": "Nobody Known"},
    ),
    Route("api:pending_hits", "GET", "/api/screenings/hits", "role:screening.review"),
    Route("api:job_view", "GET", "/api/screenings/jobs/{screening_job}", "own_screening_job"),
    Route("api:hit_view", "GET", "/api/screenings/hits/{hit}", "own_hit"),
    Route(
        "api:hit_review",
        "POST",
        "/api/screenings/hits/{hit}",
        "role:screening.review",
        lambda w, o: {"decision": "dismissed", "reason": "not the same person"},
    ),
    Route("api:incoming_view", "GET", "/api/screenings/incoming", "role:consent.answer"),
    Route(
        "api:incoming_answer",
        "POST",
        "/api/screenings/incoming/{incoming}/answer",
        "role:consent.answer",
        lambda w, o: {"action": "monitor", "text": "keep watching"},
    ),
    Route("api:openapi-json", "GET", "/api/openapi.json", "public"),
    # ---------------------------------------------------------------- TAXII 2.1
    Route("taxii:discovery", "GET", "/taxii2/", "authenticated"),
    Route("taxii:api-root", "GET", "/taxii2/accord/", "authenticated"),
    Route("taxii:status", "GET", "/taxii2/accord/status/{status}/", "own_status"),
    Route("taxii:collections", "GET", "/taxii2/accord/collections/", "authenticated"),
    Route("taxii:collection", "GET", _T + "/", "collection_member"),
    Route("taxii:manifest", "GET", _T + "/manifest/", "collection_member"),
    Route(
        "taxii:objects",
        "GET",
        _T + "/objects/?match[id]={record}",
        "record_read",
        reads_record=True,
        listing=True,
    ),
    Route("taxii:objects#post", "POST", _T + "/objects/", "record_version", _envelope, TAXII),
    Route("taxii:object", "GET", _T + "/objects/{record}/", "record_read", reads_record=True),
    Route("taxii:object#delete", "DELETE", _T + "/objects/{record}/", "record_remove"),
    Route("taxii:object-versions", "GET", _T + "/objects/{record}/versions/", "record_read"),
    # ---------------------------------------------------------------- federation (signed)
    Route(
        "federation:inbox",
        "POST",
        "/federation/inbox/",
        "signed_peer",
        lambda w, o: {"objects": []},
        TAXII,
    ),
    Route("federation:outbox-objects", "GET", "/federation/outbox/objects/", "signed_peer"),
    Route(
        "dissemination-federation:notices",
        "POST",
        "/federation/dissemination/notices/",
        "signed_peer",
        lambda w, o: {"kind": "unknown"},
        passes="refuse",  # the signature accepted, the notice (of no known kind) refused
    ),
    Route("extension-schema", "GET", "/schemas/person-of-interest.json", "public"),
    # ---------------------------------------------------------------- web pages
    Route("web:login", "GET", "/login/", "public"),
    Route("web:logout", "POST", "/logout/", "logout"),
    Route("web:dashboard", "GET", "/", "member"),
    Route("web:dashboard-counts", "GET", "/dashboard/counts/", "member"),
    Route(
        "web:context",
        "POST",
        "/context/",
        "member",
        lambda w, o: {"purpose": "counter-terrorism"},
        "form",
    ),
    Route("web:records", "GET", "/records/", "member"),
    Route("web:record", "GET", "/records/{record}/", "record_read", reads_record=True),
    Route(
        "web:record-history", "GET", "/records/{record}/history/", "record_read", reads_record=True
    ),
    Route("web:import-new", "GET", "/imports/new/", "member"),
    Route(
        "web:import-new#post", "POST", "/imports/new/", "role:record.import", _upload, "multipart"
    ),
    Route("web:import-detail", "GET", "/imports/{import}/", "own_import"),
    Route("web:import-progress", "GET", "/imports/{import}/progress/", "own_import"),
    Route("web:tokens", "GET", "/tokens/", "member"),
    Route("web:token-revoke", "POST", "/tokens/{token}/revoke/", "own_token", None, "form"),
    Route("web:feeds:list", "GET", "/feeds/", "role:feed.view"),
    Route("web:feeds:new", "GET", "/feeds/new/", "role:feed.manage"),
    Route("web:feeds:detail", "GET", "/feeds/{feed}/", "role:feed.view"),
    Route("web:feeds:edit", "GET", "/feeds/{feed}/edit/", "role:feed.manage"),
    Route("web:feeds:pull", "POST", "/feeds/{feed}/pull/", "role:feed.pull", None, "form"),
    Route("web:feeds:run", "GET", "/feeds/runs/{feed_run}/", "role:feed.view"),
    Route("web:feeds:run-progress", "GET", "/feeds/runs/{feed_run}/progress/", "role:feed.view"),
    Route("web:screening:person", "GET", "/screening/", "member"),
    Route(
        "web:screening:person#post",
        "POST",
        "/screening/",
        "role:screening.run",
        lambda w, o: {"full_name": "Nobody Known"},
        "form",
    ),
    Route("web:screening:batch", "GET", "/screening/batch/", "member"),
    Route("web:screening:hits", "GET", "/screening/hits/", "member"),
    Route("web:screening:hit", "GET", "/screening/hits/{hit}/", "own_hit"),
    Route("web:screening:sources", "GET", "/screening/sources/", "member"),
    Route(
        "web:screening:sources#post",
        "POST",
        "/screening/sources/",
        "role:screening.sources",
        lambda w, o: {"kind": "un", "enabled": "1"},
        "form",
    ),
    Route("web:screening:job", "GET", "/screening/jobs/{screening_job}/", "own_screening_job"),
    Route("web:screening:incoming", "GET", "/screening/incoming/", "role:consent.answer"),
    Route(
        "web:screening:incoming_hit",
        "GET",
        "/screening/incoming/{incoming}/",
        "role:consent.answer",
    ),
    Route("web:dissemination:list", "GET", "/disseminations/", "member"),
    Route(
        "web:dissemination:new",
        "GET",
        "/disseminations/new/?record={record}",
        "role:record.share",
        reads_record=True,
    ),
    Route(
        "web:dissemination:new#send",
        "POST",
        "/disseminations/new/",
        "record_share_page",
        lambda w, o: {
            "records": o["id"],
            "recipients": ["node-b"],
            "purpose": "counter-terrorism",
            "action": "send",
        },
        "form",
    ),
    Route(
        "web:dissemination:person-new", "GET", "/disseminations/person/new/", "role:record.create"
    ),
    Route(
        "web:dissemination:approvals",
        "GET",
        "/disseminations/approvals/",
        "role:disclosure.approve",
    ),
    Route(
        "web:dissemination:revoke",
        "POST",
        "/disseminations/revoke/?record={record}",
        "record_revoke_page",
        lambda w, o: {"action": "revoke", "reason": "the matrix says so", "confirm": "on"},
        "form",
    ),
    Route("web:dissemination:consents", "GET", "/disseminations/consents/", "role:consent.answer"),
    Route("web:dissemination:detail", "GET", "/disseminations/{dissemination}/", "dissemination"),
    Route("web:legal:index", "GET", "/legal/", "role:agreement.view"),
    Route("web:legal:agreements", "GET", "/legal/agreements/", "role:agreement.view"),
    Route("web:legal:agreement-new", "GET", "/legal/new-agreement/", "role:agreement.manage"),
    Route("web:legal:agreement", "GET", "/legal/agreements/{agreement}/", "role:agreement.view"),
    Route(
        "web:legal:agreement-version-new",
        "GET",
        "/legal/agreements/{agreement}/new-version/",
        "role:agreement.manage",
    ),
    Route("web:legal:profiles", "GET", "/legal/profiles/", "role:agreement.view"),
    Route("web:legal:profile-new", "GET", "/legal/profiles/new/", "role:profile.manage"),
    Route("web:legal:profile", "GET", "/legal/profiles/{profile}/", "role:agreement.view"),
    Route(
        "web:legal:profile-edit", "GET", "/legal/profiles/{profile}/edit/", "role:profile.manage"
    ),
    Route("web:legal:policies", "GET", "/legal/policies/", "role:agreement.view"),
    Route("web:legal:schema", "GET", "/legal/agreement.schema.json", "role:agreement.view"),
)

#: Patterns that are not routes of their own (catch-alls answering "not found" in the style of
#: their prefix), with the reason.
EXEMPT: dict[str, str] = {
    "api:api-root": "django-ninja's root, which answers a 404 problem (the API is its operations)",
    "api-not-found": "the REST API's catch-all: a problem document for any unknown path",
    "taxii:unknown": "TAXII's catch-all: a TAXII error for any unknown path under /taxii2/",
    "<unnamed taxii2>": "answers /taxii2 without its slash with a TAXII error naming /taxii2/",
}
