"""``accord demo --check``: five nodes A to E on loopback, peered, running BRIEF flows 1 and 2
over HTTP.

Once the dissemination endpoints exist the whole check must pass (exit 0), flow 2 included (B
screens a PAXLST manifest, a passenger matches A's record, B's supervisor confirms, A's liaison
officer receives the sighting with what the agreement allows and answers; B sees the answer).
Until then the test asserts what can hold without them: the five nodes come up, each has the
four others as peers (with their jurisdictions) and the demo agreements, the single-node checks
pass on A, and the missing dissemination steps are reported as missing (never as passed).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.functional, pytest.mark.slow]

NODES = {"node-a": "NL", "node-b": "DE", "node-c": "KE", "node-d": "BR", "node-e": "US"}
MISSING = "the endpoint is not there yet"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}


def _accord(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord.cli.main", *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_demo_federation_check(tmp_path):
    root = tmp_path / "federation"
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "demo", "--check", "--persons", "200",
         "--data-dir", str(root)],
        env=_env(), capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert "Federation up in" in result.stdout, out[-4000:]
    for node, jurisdiction in NODES.items():
        row = rf"\b{node}\s+{jurisdiction}\s+http://127\.0\.0\.1:\d+/"
        assert re.search(row, result.stdout), out[-4000:]
        assert f"[{node}] peers: " in result.stdout, out[-4000:]
        peers = json.loads(_accord("peer", "list", "--data-dir", str(root / node), "--json").stdout)
        expected = {n: j for n, j in NODES.items() if n != node}
        assert {p["node_id"]: p["jurisdiction"] for p in peers} == expected
        assert all(p["enabled"] and p["url"].startswith("http://127.0.0.1:") for p in peers)
        agreements = _accord("agreement", "list", "--data-dir", str(root / node), "--json")
        ids = {a["id"] for a in json.loads(agreements.stdout)}
        assert ids == {"demo-nl-de-ct", "demo-nl-ke-ct", "demo-nl-us-ct"}
    for check in ("analyst logs in", "API search with a token", "A's analyst records the suspect"):
        assert f"✓ {check}" in result.stdout, out[-4000:]
    if MISSING in result.stdout:
        # The dissemination service has not landed: the check says so and fails.
        assert result.returncode == 1, out[-4000:]
        assert "✗ A previews the share to B, C, D, E" in result.stdout
        assert "✓ A shares" not in result.stdout
        return
    assert result.returncode == 0, out[-6000:]
    assert "✗" not in result.stdout, out[-6000:]
    for check in (
        "outcome: B ALLOW",
        "outcome: C HIT_NO_HIT_ONLY",
        "outcome: D DENY",
        "outcome: E NEEDS_APPROVAL",
        "B holds the record with its provenance",
        "nothing on C",
        "nothing on D",
        "A's supervisor approves E",
        "the record reaches E after approval",
        # flow 2
        "B's passenger information unit screens a PAXLST manifest: 4 passengers of LH992",
        "one passenger matches A's record despite the transliteration: row 2 JUSSUF AL "
        "RASCHIDI ~ Yusuf Al-Rashidi",
        "B's analyst cannot confirm their own screening's hit: four-eyes: 403",
        "B's supervisor confirms the hit",
        "A's analyst cannot read partners' hits: 403",
        "A's liaison officer receives the sighting",
        "the sighting holds only what the A-B agreement allows: under demo-nl-de-ct",
        "A's liaison officer answers with the action to take: arrest",
        "B sees A's answer on its hit",
    ):
        assert f"✓ {check}" in result.stdout, out[-6000:]
    assert "sent to node-a (full)" in result.stdout
    # A keeps the traveller's details as long as the agreement allows (issue 5).
    kept = "(agreement demo-nl-de-ct Art 8 (Retention: five years): 1825 days from receipt)"
    assert kept in result.stdout, out[-3000:]
    assert "arrest by node-a:liaison; hit notice delivered" in result.stdout
    assert re.search(r"All (\d+) checks passed\.", result.stdout), out[-2000:]
    # Flow 2 left its traces where the nodes keep them: the liaison officer has a token, B's
    # partner source is on, and both audit trails verify.
    assert re.search(r"API tokens on node-a .*liaison acc_", result.stdout)
    for node in ("node-a", "node-b"):
        done = _accord("audit", "verify", "--data-dir", str(root / node), "--json")
        assert json.loads(done.stdout)["ok"] is True, done.stdout
