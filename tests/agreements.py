"""Agreements for tests: one bilateral memorandum in the shape of
``docs/schemas/agreement.schema.json``, with the fields a test cares about given as arguments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def bilateral(
    agreement_id: str = "nl-de-ct",
    parties: Sequence[str] = ("NL", "DE"),
    *,
    purposes: Sequence[str] = ("counter-terrorism",),
    **fields: Any,
) -> dict[str, Any]:
    """A bilateral counter-terrorism memorandum in force since 2024 (full sharing of persons and
    organisations, onward transfer with consent, 730 days' retention); ``fields`` replace any
    top-level field (``sharing_mode``, ``version``, ``status``, ``title``...)."""
    data: dict[str, Any] = {
        "id": agreement_id,
        "version": 1,
        "title": f"{'-'.join(parties)} memorandum on counter-terrorism information exchange",
        "type": "bilateral_memorandum",
        "parties": list(parties),
        "in_force": {"from": "2024-01-01", "until": None},
        "status": "in_force",
        "data_categories": ["persons", "organisations"],
        "permitted_purposes": list(purposes),
        "sharing_mode": "full",
        "onward_transfer": "with_consent",
        "max_retention_days": 730,
        "clauses": {"scope": "Art 2 (Scope)", "sharing_mode": "Art 5 (Mode of exchange)"},
    }
    data.update(fields)
    return data


def nl_to_de_request(**fields: Any) -> Any:
    """A request to share persons from node-a (NL) with node-b (DE) for counter-terrorism on
    2026-06-01, the agreements above in force; ``fields`` replace any field (``tlp``...)."""
    from datetime import date

    from accord.engine.policy import PolicyRequest

    values: dict[str, Any] = {
        "originator_node": "node-a",
        "originator_jurisdiction": "NL",
        "recipient_node": "node-b",
        "recipient_jurisdiction": "DE",
        "purpose": "counter-terrorism",
        "data_category": "persons",
        "at": date(2026, 6, 1),
        **fields,
    }
    return PolicyRequest(**values)
