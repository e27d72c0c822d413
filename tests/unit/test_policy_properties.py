"""Invariants of the policy engine, for random records, recipients, purposes and agreements."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.engine.policy import (
    Decision,
    PolicyEngine,
    PolicyRequest,
    default_profiles,
    load_agreement,
)
from accord.engine.policy.agreements import DATA_CATEGORIES
from accord.engine.stix.markings import PURPOSES

PROFILES = default_profiles()
CODES = ["NL", "DE", "FR", "GB", "US", "JO", "KE", "IN", "BR", "JP", "MA", "EG"]
PURPOSE_KEYS = sorted(PURPOSES)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def agreements(draw: Any, ident: str = "") -> dict[str, Any]:
    parties = draw(st.lists(st.sampled_from(CODES), min_size=2, max_size=4, unique=True))
    start = date(2024, 1, 1) + timedelta(days=draw(st.integers(-400, 400)))
    until = draw(st.one_of(st.none(), st.integers(0, 900).map(lambda d: start + timedelta(d))))
    return {
        "id": ident or draw(st.from_regex(r"\Aag-[a-z]{3}\Z")),
        "version": 1,
        "title": "generated",
        "type": "bilateral_memorandum",
        "parties": parties,
        "in_force": {"from": start.isoformat(), "until": until.isoformat() if until else None},
        "status": draw(st.sampled_from(["in_force", "in_force", "suspended", "withdrawn"])),
        "data_categories": draw(
            st.lists(st.sampled_from(DATA_CATEGORIES), min_size=1, max_size=3, unique=True)
        ),
        "permitted_purposes": draw(
            st.lists(st.sampled_from(PURPOSE_KEYS), min_size=1, max_size=3, unique=True)
        ),
        "sharing_mode": draw(st.sampled_from(["full", "full", "hit_no_hit", "none"])),
        "onward_transfer": draw(
            st.sampled_from(["forbidden", "with_consent", "allowed_within_parties"])
        ),
        "max_retention_days": draw(st.integers(1, 3650)),
        "conditions": {
            "supervisor_approval": draw(st.booleans()),
            "assurance_reference_required": draw(st.booleans()),
        },
    }


@st.composite
def requests(draw: Any, parties: list[str] | None = None) -> PolicyRequest:
    pool = parties or CODES
    originator = draw(st.sampled_from(pool))
    recipient = draw(st.sampled_from(pool))
    onward = draw(st.booleans())
    return PolicyRequest(
        originator_node="node-o",
        originator_jurisdiction=originator,
        recipient_node=draw(st.sampled_from(["node-r", "node-o"]))
        if recipient == originator
        else "node-r",
        recipient_jurisdiction=recipient,
        purpose=draw(st.sampled_from(PURPOSE_KEYS)),
        data_category=draw(st.sampled_from(DATA_CATEGORIES)),
        at=date(2024, 1, 1) + timedelta(days=draw(st.integers(-500, 1500))),
        tlp=draw(st.sampled_from(["clear", "green", "amber", "amber+strict", "red"])),
        handling_code=draw(st.sampled_from(["", "H0", "H1", "H2", "H3"])),
        releasable_to=frozenset(draw(st.lists(st.sampled_from(CODES), max_size=4))),
        record_purposes=frozenset(draw(st.lists(st.sampled_from(PURPOSE_KEYS), max_size=2))),
        personal_data=draw(st.booleans()),
        onward=onward,
        sender_jurisdiction=draw(st.sampled_from(pool)) if onward else "",
        originator_consent=draw(st.booleans()),
        assurance_reference=draw(st.sampled_from([None, "ASSUR-1"])),
        supervisor_approved=draw(st.booleans()),
    )


def engine_of(datas: list[dict[str, Any]]) -> PolicyEngine:
    loaded = [load_agreement({**d, "id": f"{d['id']}-{i}"}, PROFILES) for i, d in enumerate(datas)]
    return PolicyEngine(loaded, PROFILES)


ALL_APPROVALS = {"originator_consent": True, "supervisor_approved": True}


@SETTINGS
@given(st.lists(agreements(), min_size=0, max_size=3), requests())
def test_no_approval_consent_or_assurance_turns_a_deny_into_anything_else(datas, request):
    engine = engine_of(datas)
    if engine.decide_uncached(request).decision is not Decision.DENY:
        return
    for extra in (
        {"originator_consent": True},
        {"supervisor_approved": True},
        {"assurance_reference": "ASSUR-9"},
        {**ALL_APPROVALS, "assurance_reference": "ASSUR-9"},
    ):
        again = engine.decide_uncached(dataclasses.replace(request, **extra))
        assert again.decision is Decision.DENY, (extra, again)


@SETTINGS
@given(agreements(), requests())
def test_expired_withdrawn_or_suspended_agreement_never_allows(data, request):
    request = dataclasses.replace(request, **ALL_APPROVALS, assurance_reference="ASSUR-9")
    last_day = request.at - timedelta(days=1)  # expired the day before the request
    ended = dict(
        data,
        status="in_force",
        in_force={
            "from": (last_day - timedelta(days=900)).isoformat(),
            "until": last_day.isoformat(),
        },
    )
    for variant in (ended, dict(data, status="withdrawn"), dict(data, status="suspended")):
        result = engine_of([variant]).decide_uncached(request)
        if request.originator_node != request.recipient_node:
            assert result.decision is Decision.DENY, (variant, result)


def stricter(data: dict[str, Any], how: int) -> dict[str, Any]:
    out = dict(data, id=data["id"] + "-strict")
    if how == 0:
        out["sharing_mode"] = "hit_no_hit" if data["sharing_mode"] == "full" else "none"
    elif how == 1:
        out["conditions"] = {"supervisor_approval": True, "assurance_reference_required": True}
    elif how == 2:
        out["onward_transfer"] = "forbidden"
    else:
        out["sharing_mode"] = "none"
    return out


@SETTINGS
@given(st.lists(agreements(), min_size=1, max_size=3), st.integers(0, 3), requests())
def test_adding_a_stricter_agreement_never_makes_a_result_more_permissive(datas, how, request):
    before = engine_of(datas).decide_uncached(request)
    after = engine_of([*datas, stricter(datas[0], how)]).decide_uncached(request)
    assert after.decision.rank <= before.decision.rank, (before, after)


@SETTINGS
@given(st.lists(agreements(), min_size=1, max_size=3), requests(), st.sampled_from(CODES))
def test_removing_a_releasability_entry_never_allows_what_was_denied(datas, request, code):
    engine = engine_of(datas)
    wider = dataclasses.replace(request, releasable_to=request.releasable_to | {code})
    if engine.decide_uncached(wider).decision is not Decision.DENY:
        return
    narrower = dataclasses.replace(wider, releasable_to=wider.releasable_to - {code})
    if narrower.releasable_to:  # an empty list means "no releasability restriction"
        assert engine.decide_uncached(narrower).decision is Decision.DENY


@SETTINGS
@given(st.lists(agreements(), min_size=0, max_size=3), st.lists(requests(), max_size=8))
def test_the_cache_never_changes_a_decision(datas, batch):
    engine = engine_of(datas)
    for request in [*batch, *batch]:
        assert engine.decide(request) == engine.decide_uncached(request)


@SETTINGS
@given(st.lists(agreements(), min_size=1, max_size=3), requests())
def test_hard_markings_deny_whatever_the_agreements(datas, request):
    engine = engine_of(datas)
    other = dataclasses.replace(request, recipient_node="node-x", **ALL_APPROVALS)
    for tlp in ("red", "amber+strict"):
        assert engine.decide_uncached(dataclasses.replace(other, tlp=tlp)).decision is (
            Decision.DENY
        )
    if request.recipient_jurisdiction != "NL":
        excluded = dataclasses.replace(
            other, releasable_to=frozenset({"NL"}) - {request.recipient_jurisdiction}
        )
        assert engine.decide_uncached(excluded).decision is Decision.DENY
