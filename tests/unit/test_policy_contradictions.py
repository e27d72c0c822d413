"""Contradictions between agreements (accord.engine.policy.contradictions, framework-free): which
pairs overlap and disagree, on what, who wins; and the engine decides as the warning says."""

from __future__ import annotations

from datetime import date
from itertools import product
from typing import Any

import pytest
from tests.agreements import nl_to_de_request

from accord.engine.policy import Decision, PolicyEngine, default_profiles
from accord.engine.policy.agreements import load_agreement
from accord.engine.policy.contradictions import find_contradictions

PROFILES = default_profiles()


def agreement(ident: str, parties: list[str], **extra: Any) -> Any:
    data: dict[str, Any] = {
        "id": ident,
        "version": 1,
        "title": f"Memorandum {ident}",
        "type": "bilateral_memorandum",
        "parties": parties,
        "in_force": {"from": "2024-01-01", "until": None},
        "status": "in_force",
        "data_categories": ["persons"],
        "permitted_purposes": ["counter-terrorism"],
        "sharing_mode": "full",
        "onward_transfer": "with_consent",
        "max_retention_days": 730,
    }
    data.update(extra)
    return load_agreement(data, PROFILES)


BASE = agreement("a-nl-de", ["NL", "DE"])


@pytest.mark.parametrize(
    ("other", "why"),
    [
        (agreement("b-nl-fr", ["NL", "FR"], sharing_mode="none"), "one jurisdiction in common"),
        (
            agreement("b-nl-de", ["NL", "DE"], sharing_mode="none", status="suspended"),
            "not in force",
        ),
        (
            agreement(
                "b-nl-de",
                ["NL", "DE"],
                sharing_mode="none",
                in_force={"from": "2020-01-01", "until": "2023-12-31"},
            ),
            "the dates do not meet",
        ),
        (
            agreement("b-nl-de", ["DE", "NL"], data_categories=["financial"]),
            "other category, same onward clause",
        ),
        (agreement("b-nl-de", ["NL", "DE"]), "same terms"),
    ],
)
def test_no_contradiction(other, why):
    assert find_contradictions([BASE, other], PROFILES) == [], why


def test_sharing_mode_stricter_wins_with_scope_in_words():
    other = agreement(
        "b-eu", ["EU-MEMBER-STATES"], sharing_mode="hit_no_hit", max_retention_days=365
    )
    [found] = find_contradictions([other, BASE], PROFILES)
    assert (found.first_id, found.second_id) == ("a-nl-de", "b-eu")
    assert found.jurisdictions == ("DE", "NL")  # partnership members resolved
    assert found.scope == (
        "between DE, NL for persons for the purpose counter-terrorism, from 2024-01-01"
    )
    topics = {d.topic: d for d in found.disagreements}
    assert set(topics) == {"sharing_mode", "retention"}
    assert topics["sharing_mode"].stricter_id == "b-eu"
    assert topics["retention"].stricter_id == "b-eu"
    assert found.messages[0] == (
        "Sharing mode: a-nl-de says full sharing, b-eu says hit/no-hit only; "
        "the stricter one wins: b-eu (hit/no-hit only)"
    )
    assert "a-nl-de v1 and b-eu v1 overlap" in found.summary()


def test_onward_transfer_differs_even_without_common_category():
    other = agreement(
        "b-nl-de", ["NL", "DE"], data_categories=["financial"], onward_transfer="forbidden"
    )
    [found] = find_contradictions([BASE, other], PROFILES)
    assert found.categories == () and found.purposes == ()
    [d] = found.disagreements
    assert (d.topic, d.stricter_id, d.outcome) == (
        "onward_transfer",
        "b-nl-de",
        "no onward transfer",
    )


def test_conditions_and_overlapping_dates():
    other = agreement(
        "b-nl-de",
        ["NL", "DE", "FR"],
        conditions={"supervisor_approval": True},
        in_force={"from": "2025-03-01", "until": "2027-12-31"},
    )
    [found] = find_contradictions([BASE, other], PROFILES)
    assert (found.overlap_from, found.overlap_until) == (date(2025, 3, 1), date(2027, 12, 31))
    [d] = found.disagreements
    assert (d.topic, d.first, d.second, d.stricter_id) == (
        "supervisor_approval",
        "not required",
        "required",
        "b-nl-de",
    )


_OUTCOME = {
    "full": Decision.ALLOW,
    "hit_no_hit": Decision.HIT_NO_HIT_ONLY,
    "none": Decision.DENY,
}


@pytest.mark.parametrize(("mode_a", "mode_b"), list(product(_OUTCOME, repeat=2)))
def test_engine_decides_as_the_warning_says(mode_a, mode_b):
    a = agreement("a-nl-de", ["NL", "DE"], sharing_mode=mode_a)
    b = agreement("b-nl-de", ["NL", "DE"], sharing_mode=mode_b)
    found = find_contradictions([a, b], PROFILES)
    result = PolicyEngine([a, b], PROFILES).decide(nl_to_de_request(tlp="green"))
    if mode_a == mode_b:
        assert found == []
        assert result.decision is _OUTCOME[mode_a]
        return
    [c] = found
    [d] = [x for x in c.disagreements if x.topic == "sharing_mode"]
    winner = a if d.stricter_id == a.id else b
    assert result.decision is _OUTCOME[winner.sharing_mode]
