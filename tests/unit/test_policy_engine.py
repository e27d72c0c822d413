"""Golden cases of the policy engine (BRIEF flow 1) and the agreement loader's refusals."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from accord.engine.policy import (
    AGREEMENT_SCHEMA,
    AgreementError,
    Decision,
    PolicyEngine,
    PolicyRequest,
    default_profiles,
    load_agreement,
    policies_for,
)
from accord.engine.policy.profiles import CT_INSTRUMENTS, ProfileError, load_profiles

PROFILES = default_profiles()
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "schemas" / "agreement.schema.json"
DAY = date(2026, 6, 1)


def agreement(ident: str, parties: list[str], mode: str = "full", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": ident,
        "version": 1,
        "title": f"Memorandum {ident}",
        "type": "bilateral_memorandum",
        "parties": parties,
        "in_force": {"from": "2024-01-01", "until": None},
        "status": "in_force",
        "data_categories": ["persons", "organisations"],
        "permitted_purposes": ["counter-terrorism"],
        "sharing_mode": mode,
        "onward_transfer": "with_consent",
        "max_retention_days": 730,
        "clauses": {
            "scope": "Art 2 (Scope)",
            "sharing_mode": "Art 5 (Mode of exchange)",
            "onward_transfer": "Art 7 (Onward transfer)",
            "conditions": "Art 9 (Safeguards)",
            "duration": "Art 12 (Entry into force)",
        },
    }
    data.update(extra)
    return data


# Flow 1: A = NL (abolitionist); B = DE (full); C = KE (hit/no-hit); D = BR (no agreement);
# E = US (retains the death penalty for terrorism).
FLOW1 = [
    agreement("nl-de-ct", ["NL", "DE"], "full"),
    agreement("nl-ke-ct", ["NL", "KE"], "hit_no_hit"),
    agreement("nl-us-ct", ["NL", "US"], "full"),
]


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine([load_agreement(a, PROFILES) for a in FLOW1], PROFILES)


def share(recipient: str, **facts: Any) -> PolicyRequest:
    base: dict[str, Any] = {
        "originator_node": "node-a",
        "originator_jurisdiction": "NL",
        "recipient_node": f"node-{recipient.lower()}",
        "recipient_jurisdiction": recipient,
        "purpose": "counter-terrorism",
        "data_category": "persons",
        "at": DAY,
        "tlp": "amber",
        "handling_code": "H2",
        "record_purposes": frozenset({"counter-terrorism"}),
    }
    base.update(facts)
    return PolicyRequest(**base)


def codes(result) -> list[str]:
    return [r.code for r in result.reasons]


GOLDEN = [
    # name, recipient, extra facts, decision, reason codes that must be present, source fragment
    ("B full sharing", "DE", {}, Decision.ALLOW, ["agreement.permits"], "nl-de-ct Art 2"),
    (
        "C hit/no-hit only",
        "KE",
        {},
        Decision.HIT_NO_HIT_ONLY,
        ["agreement.hit_no_hit", "agreement.permits"],
        "nl-ke-ct Art 5",
    ),
    ("D no agreement", "BR", {}, Decision.DENY, ["agreement.none"], "sharing only under"),
    (
        "E death penalty for terrorism",
        "US",
        {},
        Decision.NEEDS_APPROVAL,
        ["safeguard.death_penalty"],
        "Protocols 6 and 13",
    ),
    (
        "E approved without assurance",
        "US",
        {"supervisor_approved": True},
        Decision.NEEDS_APPROVAL,
        ["safeguard.death_penalty"],
        "assurance",
    ),
    (
        "E approved with assurance",
        "US",
        {"supervisor_approved": True, "assurance_reference": "ASSUR-2026-17"},
        Decision.ALLOW,
        ["agreement.permits", "safeguard.death_penalty"],
        "nl-us-ct",
    ),
    ("TLP:RED to B", "DE", {"tlp": "red"}, Decision.DENY, ["marking.tlp_red"], "TLP:RED"),
    (
        "AMBER+STRICT to B",
        "DE",
        {"tlp": "amber+strict"},
        Decision.DENY,
        ["marking.tlp_amber_strict"],
        "AMBER+STRICT",
    ),
    (
        "releasability excludes B",
        "DE",
        {"releasable_to": frozenset({"FR", "GB"})},
        Decision.DENY,
        ["marking.releasability"],
        "releasability",
    ),
    (
        "record purpose excludes the request's",
        "DE",
        {"record_purposes": frozenset({"border-security"})},
        Decision.DENY,
        ["marking.purpose"],
        "ER Arts 19, 28",
    ),
    (
        "purpose not in the agreement",
        "DE",
        {"purpose": "serious-crime", "record_purposes": frozenset()},
        Decision.DENY,
        ["agreement.purpose", "agreement.none"],
        "nl-de-ct",
    ),
    (
        "expired on the day after",
        "DE",
        {"at": date(2023, 12, 31)},
        Decision.DENY,
        ["agreement.not_in_force"],
        "Art 12",
    ),
    (
        "B re-shares H2 (GREEN) to C without consent",
        "KE",
        {"onward": True, "sender_jurisdiction": "DE", "tlp": "green"},
        Decision.NEEDS_APPROVAL,
        ["marking.h2_onward"],
        "H2",
    ),
    (
        "B re-shares AMBER onward",
        "KE",
        {"onward": True, "sender_jurisdiction": "DE", "originator_consent": True},
        Decision.DENY,
        ["marking.tlp_amber_onward"],
        "TLP:AMBER",
    ),
]


@pytest.mark.parametrize(
    ("name", "recipient", "facts", "decision", "expected", "source"),
    GOLDEN,
    ids=[g[0] for g in GOLDEN],
)
def test_golden(engine, name, recipient, facts, decision, expected, source):
    result = engine.decide(share(recipient, **facts))
    assert result.decision is decision, result
    for code in expected:
        assert code in codes(result), (code, result)
    assert any(source in r.source or source in r.message for r in result.reasons), result


def test_flow1_b_carries_the_h2_condition_and_retention(engine):
    result = engine.decide(share("DE"))
    assert result.conditions == ("H2: no onward dissemination without the originator's consent",)
    assert result.agreements == ("nl-de-ct",)
    assert result.max_retention_days == 730


def test_h1_is_a_condition_on_the_result(engine):
    result = engine.decide(share("DE", handling_code="H1"))
    assert result.decision is Decision.ALLOW
    assert "no use as evidence" in result.conditions[0]


def test_approved_safeguard_is_recorded_as_a_condition(engine):
    result = engine.decide(
        share("US", supervisor_approved=True, assurance_reference="ASSUR-2026-17")
    )
    assert any("assurance reference recorded" in c for c in result.conditions)


def test_stricter_of_two_agreements_wins():
    both = [
        load_agreement(agreement("nl-ke-full", ["NL", "KE"], "full"), PROFILES),
        load_agreement(agreement("nl-ke-hnh", ["NL", "KE"], "hit_no_hit"), PROFILES),
    ]
    result = PolicyEngine(both, PROFILES).decide(share("KE", personal_data=False))
    assert result.decision is Decision.HIT_NO_HIT_ONLY
    assert any("stricter" in r.message for r in result.reasons)


def test_withdrawn_agreement_denies_and_says_so():
    withdrawn = load_agreement(agreement("nl-de-ct", ["NL", "DE"], status="withdrawn"), PROFILES)
    result = PolicyEngine([withdrawn], PROFILES).decide(share("DE"))
    assert result.decision is Decision.DENY
    assert "agreement.withdrawn" in codes(result)


def test_partnership_resolves_to_members():
    data = agreement("ct-demo", ["CT-PARTNERSHIP-DEMO"], type="regional_partnership")
    engine = PolicyEngine([load_agreement(data, PROFILES)], PROFILES)
    assert engine.decide(share("FR")).decision is Decision.ALLOW
    assert engine.decide(share("BR")).decision is Decision.DENY


def test_generated_policies_are_readable_and_name_the_clause(engine):
    text = policies_for(engine.agreements, PROFILES)
    assert '@id("nl-de-ct.v1.permit")' in text
    assert '@source("agreement nl-de-ct Art 2 (Scope); agreement nl-de-ct Art 5' in text
    assert '@id("safeguard.death_penalty")' in text
    assert "forbid (principal" in text
    assert text == engine.policy_text


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["parties"].__setitem__(1, "XX"), "$.parties[1]"),
        (lambda d: d["parties"].append("NL"), "$.parties[2]"),
        (lambda d: d.__setitem__("sharing_mode", "most"), "$.sharing_mode"),
        (lambda d: d["permitted_purposes"].append("espionage"), "$.permitted_purposes[1]"),
        (lambda d: d["in_force"].__setitem__("until", "2023-01-01"), "$.in_force.until"),
        (lambda d: d["in_force"].__setitem__("from", "2024-02-30"), "$.in_force.from"),
        (lambda d: d.pop("max_retention_days"), "$"),
        (lambda d: d.__setitem__("extra", 1), "$"),
        (lambda d: d["clauses"].__setitem__("preamble", "x"), "$.clauses"),
    ],
)
def test_agreement_errors_name_the_path(mutate, path):
    data = agreement("nl-de-ct", ["NL", "DE"])
    mutate(data)
    with pytest.raises(AgreementError) as caught:
        load_agreement(data, PROFILES)
    assert caught.value.path == path, str(caught.value)
    assert str(caught.value).startswith(path + ": ")


def test_unknown_jurisdiction_message():
    with pytest.raises(AgreementError, match=r"^\$\.parties\[1\]: 'XX' is not a known"):
        load_agreement(agreement("x-y", ["NL", "XX"]), PROFILES)


def test_agreement_round_trips():
    loaded = load_agreement(agreement("nl-de-ct", ["NL", "DE"]), PROFILES)
    assert load_agreement(loaded.to_dict(), PROFILES) == loaded


def test_published_schema_file_matches():
    """docs/schemas/agreement.schema.json is AGREEMENT_SCHEMA (regenerate it with
    ``json.dumps(AGREEMENT_SCHEMA, indent=2)`` plus a newline when the schema changes)."""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == json.dumps(AGREEMENT_SCHEMA, indent=2) + "\n"


def test_default_profiles_cover_regions_and_name_sources():
    codes_ = set(PROFILES.profiles)
    assert len(codes_ - {"EU", "EUROPOL", "INTERPOL"}) >= 12
    assert {"EU", "EUROPOL", "INTERPOL"} <= codes_
    for profile in PROFILES.profiles.values():
        assert profile.sources
        assert "legal officer" in profile.notes
        assert profile.ct_instruments <= set(CT_INSTRUMENTS)
    nl = PROFILES.get("NL")
    assert nl is not None and nl.death_penalty == "abolitionist"
    assert {"bombings_1997", "financing_1999", "nuclear_terrorism_2005"} <= nl.ct_instruments
    assert PROFILES.get("US").death_penalty_for_terrorism


def test_profile_errors_name_the_path():
    with pytest.raises(ProfileError, match=r"^\$\.profiles\[0\]\.death_penalty:"):
        load_profiles({"profiles": [{"code": "NL", "name": "x", "death_penalty": "maybe"}]})
