"""``accord demo --check`` on the five-node federation: BRIEF flow 1 over real HTTP.

A's analyst records a suspect with ``POST /api/records`` (names in Latin and Arabic script,
aliases, date of birth, passport; TLP:AMBER; the Accord handling marking H2 restricted to
counter-terrorism), previews the dissemination to B, C, D and E (``POST
/api/disseminations/preview``), shares it with the assurance reference E's authorities gave
(``POST /api/disseminations``) and the check verifies
every outcome with its reason: B ALLOW, the record arrives on B read-only with its provenance;
C HIT_NO_HIT_ONLY and nothing on C; D DENY and nothing on D; E NEEDS_APPROVAL, the analyst may
not approve their own request, A's supervisor approves with an assurance reference, and the
record reaches E. A step whose endpoint is missing is reported as such (✗ with the reason).
The suspect carries a watchlist entry (action: arrest), so that flow 2
(:mod:`accord.cli.demo_federation.flow_two`) can screen travellers against it on B.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from accord.cli.demo_federation.nodes import FederationNode

if TYPE_CHECKING:
    import httpx

__all__ = ["EXPECTED", "FlowOne", "suspect_object"]

PURPOSE = "counter-terrorism"
ASSURANCE = "US-DOJ/ASSUR/2026/0117 (death penalty will not be sought)"
#: recipient letter -> (decision, dissemination status)
EXPECTED: dict[str, tuple[str, str]] = {
    "B": ("ALLOW", "queued"),
    "C": ("HIT_NO_HIT_ONLY", "recorded"),
    "D": ("DENY", "denied"),
    "E": ("NEEDS_APPROVAL", "awaiting_approval"),
}
ARRIVAL_TIMEOUT = 60.0


class StepMissing(AssertionError):
    """An endpoint the flow needs is not there (yet)."""


def suspect_object(identity_id: str) -> dict[str, Any]:
    """The suspect of flow 1, created by node A (watch-listed: flow 2 screens against it)."""
    from accord.engine.stix.markings import TLP_IDS, HandlingMarking
    from accord.engine.stix.person import PERSON_EXTENSION_ID

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    h2 = HandlingMarking(handling_code="H2", purposes=(PURPOSE,))
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{uuid.uuid4()}",
        "created_by_ref": identity_id,
        "created": now,
        "modified": now,
        "name": "Yusuf Al-Rashidi",
        "identity_class": "individual",
        "object_marking_refs": [TLP_IDS["amber"], h2.id],
        "extensions": {
            PERSON_EXTENSION_ID: {
                "extension_type": "property-extension",
                "subject_type": "person",
                "names": [
                    {"full_name": "Yusuf Al-Rashidi", "name_type": "primary", "script": "Latn"},
                    {"full_name": "يوسف الراشدي", "name_type": "primary", "script": "Arab"},
                    {"full_name": "Abu Yahya al-Shami", "name_type": "alias", "script": "Latn"},
                    {"full_name": "Youssef Rachidi", "name_type": "alias", "script": "Latn"},
                ],
                "birth_dates": [{"precision": "exact", "date": "1987-03-14"}],
                "nationalities": ["SY"],
                "documents": [
                    {"document_type": "passport", "number": "N04417729", "issuing_country": "SY"}
                ],
                # On the watchlist: partners screening travellers against what they received
                # from A find this person (flow 2, :mod:`accord.cli.demo_federation.flow_two`).
                "watchlist": {
                    "action": "arrest",
                    "reason": "European arrest warrant (demo)",
                    "list_name": "NL counter-terrorism watchlist (demo)",
                    "reference": "NL-2026-0117",
                },
            }
        },
    }


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _entries(body: Any) -> list[dict[str, Any]]:
    """The per-recipient entries of a dissemination answer, wherever the answer nests them."""
    return [v for v in _walk(body) if isinstance(v, dict) and "recipient" in v and "decision" in v]


def _first(entry: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value: Any = entry
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value not in (None, ""):
            return value
    return None


def _reason_text(entry: dict[str, Any]) -> str:
    reasons = entry.get("reasons") or []
    bits = []
    for r in reasons[:2]:
        if isinstance(r, dict):
            bits.append(f"{r.get('code', '?')}: {str(r.get('message', ''))[:90]}")
    return "; ".join(bits) or "no reason given"


def _as_expected(
    entry: dict[str, Any], found: tuple[Any, ...], expected: tuple[str, ...], what: str
) -> str:
    """Check that a recipient's entry has the ``expected`` values (its decision, or its decision
    and status) and names its reasons; the reasons are the step's detail."""
    assert found == expected, (
        f"{'/'.join(map(str, found))} instead of {'/'.join(expected)} ({_reason_text(entry)})"
    )
    assert entry.get("reasons"), f"the {what} names no reason"
    return _reason_text(entry)


class FlowOne:
    """The steps of flow 1; each returns a short detail or raises AssertionError."""

    def __init__(self, nodes: list[FederationNode]) -> None:
        import httpx

        self.nodes = {n.spec.letter: n for n in nodes}
        self.http = httpx.Client(timeout=30.0, follow_redirects=False, trust_env=False)
        self.suspect: dict[str, Any] = {}
        self.preview: dict[str, dict[str, Any]] = {}
        self.shared: dict[str, dict[str, Any]] = {}
        self.share_body: Any = None
        self.arrived: dict[str, dict[str, Any]] = {}

    def close(self) -> None:
        self.http.close()

    # -- helpers

    def _call(
        self, letter: str, method: str, path: str, *, role: str = "analyst", **kw: Any
    ) -> httpx.Response:
        node = self.nodes[letter]
        headers = {
            "Authorization": f"Bearer {node.tokens[role]}",
            "X-Accord-Purpose": PURPOSE,
            **kw.pop("headers", {}),
        }
        return self.http.request(method, node.url.rstrip("/") + path, headers=headers, **kw)

    def _endpoint(self, response: Any, what: str, ok: tuple[int, ...] = (200, 201, 202)) -> Any:
        no_route = response.status_code == 404 and (
            "no such API endpoint" in response.text
            or "application/problem" not in response.headers.get("content-type", "")
        )
        if no_route or response.status_code == 405:
            raise StepMissing(
                f"{what} answered {response.status_code}: the endpoint is not there yet "
                "(the dissemination service has not landed on this node)"
            )
        assert response.status_code in ok, (
            f"{what} answered {response.status_code}: {response.text[:300]}"
        )
        return response.json()

    def _by_recipient(self, body: Any) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        ids = {n.spec.node_id: letter for letter, n in self.nodes.items()}
        for entry in _entries(body):
            letter = ids.get(str(entry.get("recipient")))
            if letter:
                out[letter] = entry
        missing = sorted(set(EXPECTED) - set(out))
        assert not missing, f"no entry for {', '.join(missing)} in {json.dumps(body)[:300]}"
        return out

    def _after_share(self) -> dict[str, dict[str, Any]]:
        """The share step's entry for each recipient, for the steps that follow it (which are
        missing, not failed, when the share step gave nothing)."""
        if not self.shared:
            raise StepMissing("nothing was shared (see the share step)")
        return self.shared

    def _record_on(self, letter: str) -> Any:
        return self._call(letter, "GET", f"/api/records/{self.suspect['id']}")

    def _wait_for(self, letter: str, timeout: float = ARRIVAL_TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        start = time.monotonic()
        while time.monotonic() < deadline:
            response = self._record_on(letter)
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                body["_seconds"] = round(time.monotonic() - start, 2)
                return body
            time.sleep(0.25)
        raise AssertionError(f"the record did not reach node {letter} within {timeout:.0f}s")

    # -- steps

    def record(self) -> str:
        self.suspect = suspect_object(self.nodes["A"].identity_id)
        response = self._call(
            "A",
            "POST",
            "/api/records",
            content=json.dumps(self.suspect, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 201, (
            f"POST /api/records answered {response.status_code}: {response.text[:400]}"
        )
        body = response.json()
        assert body.get("tlp") in (None, "amber"), f"stored as TLP {body.get('tlp')}"
        return f"{self.suspect['id']} (TLP:AMBER, H2, counter-terrorism)"

    def _request(self, assurance: str = "") -> dict[str, Any]:
        recipients = [self.nodes[x].spec.node_id for x in EXPECTED]
        return {
            "records": [self.suspect["id"]],
            "recipients": recipients,
            "purpose": PURPOSE,
            "assurance_reference": assurance,
        }

    def do_preview(self) -> str:
        assert self.suspect, "no record to share (the previous step failed)"
        response = self._call("A", "POST", "/api/disseminations/preview", json=self._request())
        self.preview = self._by_recipient(
            self._endpoint(response, "POST /api/disseminations/preview")
        )
        return ", ".join(f"{x} {self.preview[x]['decision']}" for x in EXPECTED)

    def preview_of(self, letter: str) -> Callable[[], str]:
        def step() -> str:
            if not self.preview:
                raise StepMissing("no preview (see the preview step)")
            entry = self.preview[letter]
            return _as_expected(entry, (entry["decision"],), EXPECTED[letter][:1], "decision")

        return step

    def share(self) -> str:
        assert self.suspect, "no record to share (the previous step failed)"
        # The analyst enters the assurance reference E's authorities gave; E still waits for
        # a supervisor (four-eyes).
        response = self._call("A", "POST", "/api/disseminations", json=self._request(ASSURANCE))
        self.share_body = self._endpoint(response, "POST /api/disseminations")
        self.shared = self._by_recipient(self.share_body)
        return ", ".join(f"{x} {self.shared[x].get('status')}" for x in EXPECTED)

    def outcome_of(self, letter: str) -> Callable[[], str]:
        def step() -> str:
            entry = self._after_share()[letter]
            found = (entry["decision"], entry.get("status"))
            return _as_expected(entry, found, EXPECTED[letter], "outcome")

        return step

    def b_receives(self) -> str:
        self._after_share()
        body = self._wait_for("B")
        self.arrived["B"] = body
        assert body.get("origin_node") == "node-a", f"origin_node is {body.get('origin_node')!r}"
        provenance = {
            k: v for k, v in body.items() if "provenance" in k or k in ("sender", "agreement")
        }
        return f"after {body['_seconds']}s, origin node-a" + (
            f", provenance {json.dumps(provenance)[:160]}" if provenance else ""
        )

    def b_read_only(self) -> str:
        if "B" not in self.arrived:
            raise StepMissing("the record is not on B (see the previous step)")
        changed = dict(self.suspect)
        changed["modified"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        changed["name"] = "Altered By B"
        response = self._call(
            "B",
            "POST",
            "/api/records",
            content=json.dumps(changed, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code in (403, 409, 422), (
            f"B's analyst wrote a new version: {response.status_code} {response.text[:200]}"
        )
        again = self._record_on("B").json()
        assert again.get("name", self.suspect["name"]) == self.suspect["name"], "B changed it"
        return f"a new version by B refused ({response.status_code})"

    def nothing_on(self, letter: str) -> Callable[[], str]:
        def step() -> str:
            self._after_share()
            response = self._record_on(letter)
            assert response.status_code == 404, (
                f"GET on {letter} answered {response.status_code}: the record is there"
            )
            return "404 on the node"

        return step

    def _approval_id(self) -> str:
        entry = self.shared.get("E") or {}
        found = _first(entry, "approval_id", "approval.id", "approval")
        if found is None and isinstance(self.share_body, dict):
            found = _first(self.share_body, "approval_id")
        if found is None:
            found = _first(entry, "id")
        if found is None:
            raise AssertionError(f"no approval id in E's entry: {json.dumps(entry)[:300]}")
        return str(found)

    def _approve(self, reason: str, *, role: str) -> Any:
        """A's ``role`` approves the share to E, with the assurance reference."""
        self._after_share()
        return self._call(
            "A",
            "POST",
            f"/api/approvals/{self._approval_id()}",
            role=role,
            json={"decision": "approve", "reason": reason, "assurance_reference": ASSURANCE},
        )

    def requester_cannot_approve(self) -> str:
        response = self._approve("self", role="analyst")
        self._endpoint(response, "POST /api/approvals/{id}", ok=(400, 403, 409, 422))
        return f"four-eyes: {response.status_code}"

    def supervisor_approves(self) -> str:
        reason = "Assurance received through the liaison channel; proportionate."
        response = self._approve(reason, role="supervisor")
        body = self._endpoint(response, "POST /api/approvals/{id}")
        status = _first(body, "status", "decision") if isinstance(body, dict) else None
        return f"approved ({status or response.status_code}), assurance {ASSURANCE.split(' ')[0]}"

    def e_receives(self) -> str:
        self._after_share()
        body = self._wait_for("E")
        assert body.get("origin_node") == "node-a", f"origin_node is {body.get('origin_node')!r}"
        return f"after {body['_seconds']}s, origin node-a"

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("A's analyst records the suspect (POST /api/records)", self.record),
            ("A previews the share to B, C, D, E", self.do_preview),
            *[
                (f"preview: {letter} {EXPECTED[letter][0]}", self.preview_of(letter))
                for letter in EXPECTED
            ],
            ("A shares to B, C, D, E (POST /api/disseminations)", self.share),
            *[
                (
                    f"outcome: {letter} {EXPECTED[letter][0]} ({EXPECTED[letter][1]})",
                    self.outcome_of(letter),
                )
                for letter in EXPECTED
            ],
            ("B holds the record with its provenance", self.b_receives),
            ("B holds it read-only (only A writes versions)", self.b_read_only),
            ("nothing on C (hit/no-hit only)", self.nothing_on("C")),
            ("nothing on D (no agreement)", self.nothing_on("D")),
            ("nothing on E before approval", self.nothing_on("E")),
            ("A's analyst cannot approve their own share", self.requester_cannot_approve),
            ("A's supervisor approves E with an assurance reference", self.supervisor_approves),
            ("the record reaches E after approval", self.e_receives),
        ]
