"""``accord bench policy``: decisions per second of the policy engine, uncached and cached.

The workload is a federation like BRIEF flow 1: an originator shares records with recipients
under full, hit/no-hit, withdrawn and missing agreements, with random markings, purposes and
approvals. Requests repeat the way real dissemination does (many records carry the same
markings to the same recipients), which is what makes the cache correct and useful: a decision
is a pure function of (request facts, agreements version, profiles version).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date
from typing import Any

from accord.engine.policy.agreements import Agreement, load_agreement
from accord.engine.policy.engine import PolicyEngine, PolicyRequest
from accord.engine.policy.profiles import ProfileSet, default_profiles

__all__ = ["bench_agreements", "bench_requests", "run_policy_bench", "table"]

_RECIPIENTS = ("DE", "FR", "GB", "KE", "JO", "US", "IN", "BR", "JP", "MA", "EG", "NG")


def bench_agreements(profiles: ProfileSet) -> list[Agreement]:
    """A demo set: full sharing, hit/no-hit, a withdrawn and an expired agreement, a partnership."""

    def make(ident: str, parties: list[str], mode: str, **extra: Any) -> Agreement:
        data: dict[str, Any] = {
            "id": ident,
            "version": 1,
            "title": ident,
            "type": "bilateral_memorandum",
            "parties": parties,
            "in_force": {"from": "2020-01-01", "until": None},
            "status": "in_force",
            "data_categories": ["persons", "organisations", "travel"],
            "permitted_purposes": ["counter-terrorism", "border-security"],
            "sharing_mode": mode,
            "onward_transfer": "with_consent",
            "max_retention_days": 1095,
        }
        data.update(extra)
        return load_agreement(data, profiles)

    return [
        make("nl-de-mou", ["NL", "DE"], "full"),
        make("nl-fr-mou", ["NL", "FR"], "full"),
        make("nl-gb-mou", ["NL", "GB"], "full", conditions={"supervisor_approval": True}),
        make("nl-ke-mou", ["NL", "KE"], "hit_no_hit"),
        make("nl-jo-mou", ["NL", "JO"], "full"),
        make("nl-us-mou", ["NL", "US"], "full"),
        make("nl-in-mou", ["NL", "IN"], "full", status="withdrawn"),
        make(
            "nl-jp-mou",
            ["NL", "JP"],
            "full",
            in_force={"from": "2020-01-01", "until": "2024-12-31"},
        ),
        make(
            "ct-partnership",
            ["CT-PARTNERSHIP-DEMO"],
            "hit_no_hit",
            type="regional_partnership",
            onward_transfer="allowed_within_parties",
        ),
    ]


def bench_requests(count: int, seed: int = 7, patterns: int = 300) -> list[PolicyRequest]:
    """``count`` requests: records drawn from ``patterns`` marking patterns (TLP, handling code,
    releasability, category, personal data), each shared to a random recipient for a random
    purpose, with or without approval and an assurance reference."""
    shapes = random.Random(0)  # the same record patterns whatever the seed
    rng = random.Random(seed)
    records = [
        (
            shapes.choice(("clear", "green", "amber", "amber", "amber+strict", "red")),
            shapes.choice(("", "H0", "H1", "H2", "H2")),
            shapes.choice((frozenset(), frozenset({"DE", "FR", "GB", "KE"}))),
            shapes.choice(("persons", "persons", "organisations", "financial")),
            shapes.random() < 0.8,
        )
        for _ in range(patterns)
    ]
    out = []
    for _ in range(count):
        rec = rng.choice(_RECIPIENTS)
        tlp, code, releasable, category, personal = rng.choice(records)
        approved = rng.random() < 0.3
        out.append(
            PolicyRequest(
                originator_node="node-nl",
                originator_jurisdiction="NL",
                recipient_node=f"node-{rec.lower()}",
                recipient_jurisdiction=rec,
                purpose=rng.choice(("counter-terrorism", "counter-terrorism", "serious-crime")),
                data_category=category,
                at=date(2026, 6, 1),
                tlp=tlp,
                handling_code=code,
                releasable_to=releasable,
                personal_data=personal,
                supervisor_approved=approved,
                assurance_reference="ASSUR-2026-001" if approved and rng.random() < 0.5 else None,
            )
        )
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_policy_bench(decisions: int = 200_000, uncached: int = 5_000) -> dict[str, Any]:
    """Three phases: ``uncached`` fresh evaluations (no cache); ``decisions`` requests through an
    empty cache (cold: every first occurrence is evaluated); ``decisions`` new requests of the
    same workload through the warmed cache (warm: the steady state of a running node)."""
    profiles = default_profiles()
    engine = PolicyEngine(bench_agreements(profiles), profiles)
    clock = time.perf_counter
    for request in bench_requests(200, seed=99):  # parse the per-pair policy sets once
        engine.decide_uncached(request)
    lat: list[float] = []
    start = clock()
    for request in bench_requests(uncached, seed=1):
        t = clock()
        engine.decide_uncached(request)
        lat.append(clock() - t)
    uncached_s = clock() - start
    engine.clear_cache()
    cold = bench_requests(decisions, seed=2)
    start = clock()
    for request in cold:
        engine.decide(request)
    cold_s = clock() - start
    cold_misses = len(engine._cache)
    warm = bench_requests(decisions, seed=3)
    start = clock()
    for request in warm:
        engine.decide(request)
    warm_s = clock() - start
    warm_misses = len(engine._cache) - cold_misses
    cached_lat: list[float] = []
    for request in warm[:20_000]:
        t = clock()
        engine.decide(request)
        cached_lat.append(clock() - t)
    return {
        "benchmark": "policy",
        "engine": "cedar (cedarpy) with decision cache",
        "policies": len(engine._metas),
        "decisions": decisions,
        "decisions_per_s": int(decisions / warm_s),
        "decisions_per_s_cold": int(decisions / cold_s),
        "decisions_per_s_uncached": int(uncached / uncached_s),
        "cache_misses_cold": cold_misses,
        "cache_misses_warm": warm_misses,
        "p50_us": round(_percentile(cached_lat, 0.5) * 1e6, 2),
        "p99_us": round(_percentile(cached_lat, 0.99) * 1e6, 2),
        "p50_us_uncached": round(statistics.median(lat) * 1e6, 1),
        "p99_us_uncached": round(_percentile(lat, 0.99) * 1e6, 1),
    }


def table(result: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"{'':>16}  {'decisions/s':>12}  {'p50 us':>8}  {'p99 us':>8}",
            f"{'uncached':>16}  {result['decisions_per_s_uncached']:>12,}  "
            f"{result['p50_us_uncached']:>8}  {result['p99_us_uncached']:>8}",
            f"{'cached (cold)':>16}  {result['decisions_per_s_cold']:>12,}",
            f"{'cached (warm)':>16}  {result['decisions_per_s']:>12,}  "
            f"{result['p50_us']:>8}  {result['p99_us']:>8}",
            f"{result['decisions']:,} decisions per cached phase; cache misses "
            f"{result['cache_misses_cold']:,} cold, {result['cache_misses_warm']:,} warm; "
            f"{result['policies']} Cedar policies",
        ]
    )
