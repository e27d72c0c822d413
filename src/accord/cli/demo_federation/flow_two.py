"""``accord demo --check``, BRIEF flow 2 over real HTTP, after flow 1 put A's suspect on B.

B's passenger information unit (B's analyst) screens the PAXLST manifest :data:`PAXLST` of an
invented flight LH992 Amsterdam-Frankfurt with ``POST /api/screenings``: four passengers, one of
them A's suspect spelt the German way ("AL RASCHIDI:JUSSUF") with a new passport number, so the
match rests on the name across transliterations and the birth date. The received record is on
B's watchlist through the ``partner`` source (switched on by the demo's set-up). B's analyst may
not confirm the hit of their own screening; B's supervisor confirms it (``POST
/api/screenings/hits/{id}``), which sends A a signed ``screening.hit`` notice with what the A-B
agreement allows (level ``full``). A's analyst may not read it; A's liaison officer receives it
(``GET /api/screenings/incoming``), and the check verifies it carries only the traveller's
details as screened, the flight and the agreement, not B's reviewer, reason or input row, and
that A keeps them until the agreement's retention ends (:mod:`accord.screening.retention`). The
liaison officer answers with the action to take (``POST /api/screenings/incoming/{id}/answer``)
and B sees the answer on its hit (``GET /api/screenings/hits/{id}``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Final

from accord.cli.demo_federation.check import ARRIVAL_TIMEOUT, FlowOne, StepMissing

__all__ = ["ANSWER", "PAXLST", "FlowTwo"]

#: The agreement under which B tells A (``agreements.json``: full sharing of persons).
AGREEMENT: Final = "demo-nl-de-ct"
#: The row of :data:`PAXLST` that is A's suspect, and how the manifest spells them.
SUSPECT_ROW: Final = 2
SUSPECT_AS_SCREENED: Final = "JUSSUF AL RASCHIDI"
#: An invented UN/EDIFACT PAXLST (D:05B, IATA) message: flight LH992 AMS-FRA, four passengers
#: (segment group 4: NAD+FL name, ATT gender, DTM+329 birth date, NAT, DOC+P passport).
PAXLST: Final = (
    b"UNA:+.? 'UNB+UNOA:4+INVENTED AIR+DEPIU+261128:0600+88002'"
    b"UNH+88002+PAXLST:D:05B:UN:IATA'BGM+745'"
    b"TDT+20+LH992+++LH'LOC+125+AMS'DTM+189:2611281410:201'LOC+87+FRA'DTM+232:2611281525:201'"
    b"NAD+FL+++BRANDT:SOFIE'ATT+2++F'DTM+329:910212'NAT+2+DEU'DOC+P:110:111+C4X9T2LM1'"
    b"NAD+FL+++AL RASCHIDI:JUSSUF'ATT+2++M'DTM+329:870314'NAT+2+SYR'DOC+P:110:111+N05528841'"
    b"NAD+FL+++OKONKWO:CHIDI'ATT+2++M'DTM+329:790930'NAT+2+NGA'DOC+P:110:111+A07731642'"
    b"NAD+FL+++VAN DER BERG:ANNEKE'ATT+2++F'DTM+329:650419'NAT+2+NLD'"
    b"CNT+42:4'UNT+20+88002'UNZ+1+88002'"
)
PASSENGERS: Final = 4
#: The traveller's details a ``full`` hit notice may carry
#: (:data:`accord.screening.notices._TRAVELLER_FIELDS`): never the input's row or reference.
TRAVELLER_FIELDS: Final = frozenset(
    {"names", "birth_date", "gender", "nationalities", "documents", "place_of_birth", "role"}
)
ANSWER: Final = {
    "action": "arrest",
    "text": "Arrest on European arrest warrant NL-2026-0117; call the NL SPOC (demo).",
}


class FlowTwo:
    """The steps of flow 2; each returns a short detail or raises AssertionError."""

    def __init__(self, flow_one: FlowOne) -> None:
        self.one = flow_one
        self.screened: dict[str, Any] = {}
        self.hit_id: int | None = None
        self.reviewed: dict[str, Any] = {}
        self.incoming: dict[str, Any] = {}
        self.answered: dict[str, Any] = {}

    # -- helpers

    def _call(self, letter: str, method: str, path: str, *, role: str, **kw: Any) -> Any:
        return self.one._call(letter, method, path, role=role, **kw)

    def _suspect_id(self) -> str:
        if not self.one.arrived.get("B"):
            raise StepMissing("A's record is not on B (see flow 1)")
        return str(self.one.suspect["id"])

    def _hit(self) -> int:
        if self.hit_id is None:
            raise StepMissing("no hit to review (see the screening step)")
        return self.hit_id

    def _until(self, get: Callable[[], Any], what: str) -> tuple[Any, float]:
        start = time.monotonic()
        while True:
            found = get()
            if found:
                return found, round(time.monotonic() - start, 2)
            if time.monotonic() - start > ARRIVAL_TIMEOUT:
                raise AssertionError(f"{what} within {ARRIVAL_TIMEOUT:.0f}s")
            time.sleep(0.25)

    # -- steps

    def screen(self) -> str:
        self._suspect_id()
        response = self._call(
            "B",
            "POST",
            "/api/screenings",
            role="analyst",
            data={"format": "paxlst"},
            files={"file": ("lh992-20261128.edi", PAXLST, "application/edifact")},
        )
        body = self.one._endpoint(response, "POST /api/screenings", ok=(200,))
        self.screened = body
        assert body.get("count") == PASSENGERS, f"{body.get('count')} passengers read"
        assert body.get("hits") == 1, f"{body.get('hits')} hits instead of 1"
        return f"{body['count']} passengers of LH992 AMS-FRA, {body['hits']} hit"

    def suspect_matches(self) -> str:
        suspect = self._suspect_id()
        if not self.screened:
            raise StepMissing("nothing was screened (see the previous step)")
        rows = {r["row"]: r for r in self.screened["results"]}
        row = rows[SUSPECT_ROW]
        assert row["hit"], f"row {SUSPECT_ROW} is no hit: {json.dumps(row)[:300]}"
        best = row["matches"][0]
        assert best["record_id"] == suspect, f"row {SUSPECT_ROW} matched {best['record_id']}"
        assert best["source"] == "partner", f"matched through the {best['source']!r} source"
        others = [r["row"] for r in rows.values() if r["hit"] and r["row"] != SUSPECT_ROW]
        assert not others, f"rows {others} hit as well"
        (self.hit_id,) = row["review"]
        names = best["explanation"].get("name_best_coverage", {}).get("reason", "")
        return (
            f"row {SUSPECT_ROW} {SUSPECT_AS_SCREENED} ~ {self.one.suspect['name']}, score "
            f"{best['score']:.2f} ({names}), partner source, action {best['action'] or '-'}; "
            f"the {PASSENGERS - 1} others: no hit; hit {self.hit_id} queued for review"
        )

    def screener_cannot_confirm(self) -> str:
        hit = self._hit()
        review = {"decision": "confirmed", "reason": "my own screening"}
        path = f"/api/screenings/hits/{hit}"
        response = self._call("B", "POST", path, role="analyst", json=review)
        assert response.status_code == 403, (
            f"B's analyst reviewed the hit: {response.status_code} {response.text[:200]}"
        )
        return f"four-eyes: {response.status_code}"

    def supervisor_confirms(self) -> str:
        hit = self._hit()
        review = {
            "decision": "confirmed",
            "reason": "Name and birth date agree; the passport is new (issued 2025).",
        }
        response = self._call(
            "B", "POST", f"/api/screenings/hits/{hit}", role="supervisor", json=review
        )
        body = self.one._endpoint(response, "POST /api/screenings/hits/{id}", ok=(200,))
        self.reviewed = body
        assert body["status"] == "confirmed", f"status {body['status']}"
        assert body.get("sighting_id"), "no sighting stored"
        originator = body["originator"]
        assert (originator["decision"], originator["level"]) == ("ALLOW", "full"), (
            f"{originator['decision']}/{originator['level']}: {originator['status']}"
        )
        return f"sighting {body['sighting_id']}; {originator['status']}"

    def originator_analyst_refused(self) -> str:
        response = self._call("A", "GET", "/api/screenings/incoming", role="analyst")
        assert response.status_code == 403, (
            f"A's analyst read partners' hits: {response.status_code} {response.text[:200]}"
        )
        return f"{response.status_code}: liaison officers only"

    def liaison_receives(self) -> str:
        hit = self._hit()
        if not self.reviewed:
            raise StepMissing("the hit was not confirmed (see the previous step)")

        def arrived() -> dict[str, Any] | None:
            response = self._call("A", "GET", "/api/screenings/incoming", role="liaison")
            items = self.one._endpoint(response, "GET /api/screenings/incoming", ok=(200,))
            for item in items["items"]:
                if item["peer"] == "node-b" and item["remote_hit"] == hit:
                    return dict(item)
            return None

        item, seconds = self._until(arrived, "the hit did not reach A's liaison officer")
        self.incoming = item
        assert item["record_id"] == self._suspect_id(), f"on {item['record_id']}"
        assert item["level"] == "full", f"level {item['level']}"
        assert item["sighting"]["sighting_of_ref"] == item["record_id"], "sighting of what?"
        traveller = item["traveller"] or {}
        assert traveller.get("names") == [SUSPECT_AS_SCREENED], f"names {traveller.get('names')}"
        assert str(item["where"] or "").startswith("LH992 AMS-FRA"), f"where {item['where']}"
        agency = item["reviewing_agency"]
        return (
            f"after {seconds}s: {', '.join(traveller['names'])}, born "
            f"{traveller.get('birth_date', '?')}, seen {item['where']}, reviewed by "
            f"{agency.get('node')} ({agency.get('jurisdiction')})"
        )

    def only_what_allowed(self) -> str:
        if not self.incoming:
            raise StepMissing("no incoming hit on A (see the previous step)")
        item = self.incoming
        traveller = item["traveller"] or {}
        extra = sorted(set(traveller) - TRAVELLER_FIELDS)
        assert not extra, f"traveller fields beyond the notice's: {extra}"
        assert "description" not in item["sighting"], "B's reviewer and reason reached A"
        assert item["agreements"] == [AGREEMENT], f"agreements {item['agreements']}"
        assert not item["withheld"], f"details withheld or discarded: {item['withheld']}"
        basis = str(item.get("retention_basis") or "")
        assert basis.startswith(f"agreement {AGREEMENT} "), f"retention basis {basis!r}"
        assert item.get("retain_until"), "no retention date"
        assert not item.get("erased_at"), f"erased already on {item['erased_at']}"
        return (
            f"under {AGREEMENT} (full sharing of persons): {', '.join(sorted(traveller))}, "
            "flight and time; not B's reviewer, reason or manifest row; kept until "
            f"{item['retain_until'][:10]} ({basis})"
        )

    def liaison_answers(self) -> str:
        if not self.incoming:
            raise StepMissing("no incoming hit on A (see the receiving step)")
        path = f"/api/screenings/incoming/{self.incoming['id']}/answer"
        response = self._call("A", "POST", path, role="liaison", json=ANSWER)
        body = self.one._endpoint(response, "POST /api/screenings/incoming/{id}/answer", ok=(200,))
        assert body["status"] == "answered", f"status {body['status']}"
        assert body["answer"]["action"] == ANSWER["action"], f"answer {body['answer']}"
        return f"{ANSWER['action']}: {ANSWER['text']}"

    def b_sees_answer(self) -> str:
        hit = self._hit()
        if not self.incoming:
            raise StepMissing("A did not answer (see the previous step)")

        def answered() -> dict[str, Any] | None:
            response = self._call("B", "GET", f"/api/screenings/hits/{hit}", role="supervisor")
            body = self.one._endpoint(response, "GET /api/screenings/hits/{id}", ok=(200,))
            return dict(body) if body.get("answer") else None

        body, seconds = self._until(answered, "A's answer did not reach B")
        answer = body["answer"]
        assert answer["action"] == ANSWER["action"], f"action {answer['action']}"
        assert answer["text"] == ANSWER["text"], f"text {answer['text']!r}"
        assert answer["answered_by"] == "node-a:liaison", f"by {answer['answered_by']}"
        self.answered = body
        return f"after {seconds}s: {answer['action']} by {answer['answered_by']}; " + (
            f"hit notice {body['originator']['delivery']}"
        )

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("B's passenger information unit screens a PAXLST manifest", self.screen),
            ("one passenger matches A's record despite the transliteration", self.suspect_matches),
            ("B's analyst cannot confirm their own screening's hit", self.screener_cannot_confirm),
            ("B's supervisor confirms the hit", self.supervisor_confirms),
            ("A's analyst cannot read partners' hits", self.originator_analyst_refused),
            ("A's liaison officer receives the sighting", self.liaison_receives),
            ("the sighting holds only what the A-B agreement allows", self.only_what_allowed),
            ("A's liaison officer answers with the action to take", self.liaison_answers),
            ("B sees A's answer on its hit", self.b_sees_answer),
        ]
