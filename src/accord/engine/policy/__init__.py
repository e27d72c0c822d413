"""Agreements, jurisdiction profiles and the policy engine (framework-free; docs/policy.md)."""

from accord.engine.policy.agreements import (
    AGREEMENT_SCHEMA,
    Agreement,
    AgreementError,
    load_agreement,
)
from accord.engine.policy.engine import (
    Decision,
    PolicyEngine,
    PolicyRequest,
    PolicyResult,
    Reason,
    policies_for,
)
from accord.engine.policy.profiles import JurisdictionProfile, ProfileSet, default_profiles

__all__ = [
    "AGREEMENT_SCHEMA",
    "Agreement",
    "AgreementError",
    "Decision",
    "JurisdictionProfile",
    "PolicyEngine",
    "PolicyRequest",
    "PolicyResult",
    "ProfileSet",
    "Reason",
    "default_profiles",
    "load_agreement",
    "policies_for",
]
