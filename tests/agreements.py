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
