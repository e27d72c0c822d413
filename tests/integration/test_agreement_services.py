"""Agreement and profile services against a real database: versions, audit, refusals, roles,
the engine built from what is stored, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from tests.nodes import node_env

from accord.agreement import services
from accord.agreement.models import AgreementVersion, JurisdictionProfileRecord
from accord.engine.policy import AgreementError, Decision, PolicyRequest
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db


def agreement(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "nl-de-ct",
        "version": 1,
        "title": "NL-DE counter-terrorism memorandum",
        "type": "bilateral_memorandum",
        "parties": ["NL", "DE"],
        "in_force": {"from": "2024-01-01", "until": None},
        "status": "in_force",
        "data_categories": ["persons"],
        "permitted_purposes": ["counter-terrorism"],
        "sharing_mode": "full",
        "onward_transfer": "with_consent",
        "max_retention_days": 730,
        "clauses": {"scope": "Art 2"},
    }
    data.update(extra)
    return data


@pytest.fixture
def legal(make_user):
    return make_user("lena", role="legal")


def request_to(recipient: str = "DE", **facts: Any) -> PolicyRequest:
    from datetime import date

    return PolicyRequest(
        originator_node="node-a",
        originator_jurisdiction="NL",
        recipient_node="node-b",
        recipient_jurisdiction=recipient,
        purpose="counter-terrorism",
        data_category="persons",
        at=date(2026, 6, 1),
        **facts,
    )


def test_save_agreement_versions_and_audits(legal, node_identity):
    services.save_agreement(legal, agreement())
    services.save_agreement(legal, agreement(version=2, status="withdrawn"))
    rows = list(AgreementVersion.objects.filter(agreement_id="nl-de-ct").order_by("version"))
    assert [(r.version, r.status, r.created_by) for r in rows] == [
        (1, "in_force", "lena"),
        (2, "withdrawn", "lena"),
    ]
    events = AuditEvent.objects.filter(action="agreement.save", outcome="ok")
    assert events.count() == 2
    assert [a.version for a in services.current_agreements()] == [2]


def test_withdrawal_stops_the_next_disclosure(legal, node_identity):
    services.save_agreement(legal, agreement())
    assert services.policy_engine().decide(request_to()).decision is Decision.ALLOW
    services.save_agreement(legal, agreement(version=2, status="withdrawn"))
    result = services.policy_engine().decide(request_to())
    assert result.decision is Decision.DENY
    assert "agreement.withdrawn" in [r.code for r in result.reasons]


def test_bad_agreement_is_refused_with_its_path_audited_and_not_stored(legal, node_identity):
    with pytest.raises(AgreementError) as caught:
        services.save_agreement(legal, agreement(parties=["NL", "XX"]))
    assert caught.value.path == "$.parties[1]"
    assert not AgreementVersion.objects.exists()
    event = AuditEvent.objects.get(action="agreement.save")
    assert event.outcome == "refused"
    assert event.detail["path"] == "$.parties[1]"


def test_version_must_increase(legal, node_identity):
    services.save_agreement(legal, agreement())
    with pytest.raises(AgreementError, match=r"^\$\.version: 1 is not above"):
        services.save_agreement(legal, agreement(title="changed"))
    assert AgreementVersion.objects.count() == 1


@pytest.mark.parametrize("role", ["analyst", "supervisor", "admin", "oversight"])
def test_only_the_legal_officer_edits(make_user, node_identity, role):
    user = make_user(f"u-{role}", role=role)
    with pytest.raises(PermissionDenied):
        services.save_agreement(user, agreement())
    with pytest.raises(PermissionDenied):
        services.update_profile(user, {"code": "KE"})
    assert not AgreementVersion.objects.exists()
    assert not JurisdictionProfileRecord.objects.exists()
    assert AuditEvent.objects.filter(outcome="denied").count() == 2


def test_profiles_load_update_history_and_engine(legal, node_identity):
    assert services.load_default_profiles(legal) >= 15
    assert services.load_default_profiles(legal) == 0  # nothing twice
    services.save_agreement(legal, agreement())
    assert services.policy_engine().decide(request_to()).decision is Decision.ALLOW
    de = services.current_profiles().get("DE").to_dict()
    row = services.update_profile(legal, {**de, "torture_risk": "high"}, note="review 2026")
    assert row.version == 2
    history = JurisdictionProfileRecord.objects.filter(code="DE").order_by("version")
    assert [r.data["torture_risk"] for r in history] == ["low", "high"]
    event = AuditEvent.objects.filter(action="profile.update").latest("seq")
    assert event.detail["changed"] == ["torture_risk"]
    result = services.policy_engine().decide(request_to())
    assert result.decision is Decision.NEEDS_APPROVAL
    assert "safeguard.torture_risk" in [r.code for r in result.reasons]


def test_bad_profile_is_refused(legal, node_identity):
    with pytest.raises(services.ProfileError, match=r"^\$\.torture_risk"):
        services.update_profile(
            legal,
            {"code": "DE", "name": "Germany", "death_penalty": "abolitionist",
             "death_penalty_for_terrorism": False, "torture_risk": "none"},
        )  # fmt: skip
    assert not JurisdictionProfileRecord.objects.exists()


@pytest.mark.slow
def test_cli_load_list_policies(tmp_path):
    data_dir = tmp_path / "node"

    def accord(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "accord.cli.main", *args],
            capture_output=True, text=True, env=node_env(str(data_dir)), timeout=300,
            check=False,
        )  # fmt: skip

    init = accord(
        "init", "--data-dir", str(data_dir), "--node-id", "node-a", "--jurisdiction", "NL"
    )
    assert init.returncode == 0, init.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps([agreement(), agreement(id="nl-ke-ct", parties=["NL", "KE"])]))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([agreement(id="nl-fr-ct", parties=["NL", "FR"]),
                               agreement(id="x", sharing_mode="most")]))  # fmt: skip
    refused = accord("agreement", "load", "--data-dir", str(data_dir), str(bad))
    assert refused.returncode == 1
    assert "[1]: $.id:" in refused.stderr or "[1]: $.sharing_mode:" in refused.stderr
    loaded = accord("agreement", "load", "--data-dir", str(data_dir), str(good))
    assert loaded.returncode == 0, loaded.stderr
    listed = accord("agreement", "list", "--data-dir", str(data_dir), "--json")
    assert [a["id"] for a in json.loads(listed.stdout)] == ["nl-de-ct", "nl-ke-ct"]  # not nl-fr
    policies = accord("agreement", "policies", "--data-dir", str(data_dir))
    assert '@id("nl-ke-ct.v1.permit")' in policies.stdout
    profiles = accord("profile", "list", "--data-dir", str(data_dir))
    assert profiles.returncode == 0 and "INTERPOL" in profiles.stdout
