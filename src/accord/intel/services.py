"""Record-store services: every write and every read of personal data goes through here.

CONTRACT (implemented by the record-store work; callers rely on these signatures):

- ``ingest_objects(user, objects, *, source, purpose="", case=None, origin_node="",
  progress=None) -> ImportReport``: validate every object (fast validator), all-or-nothing:
  if any object is refused nothing is stored and the report lists each refusal with the
  property path; otherwise all are stored in one transaction (new records, new versions; an
  identical (id, modified) already stored counts as unchanged). Audits ``record.import``.
- ``create_record(user, obj, *, purpose, case=None) -> Record``
- ``get_record(user, stix_id, *, purpose, case="") -> Record`` restricted + audited read.
- ``search_records(user, query: SearchQuery, *, purpose) -> SearchPage`` restricted; audits
  the read when results hold personal data.
- ``export_bundle(user, *, purpose, query=None) -> dict`` restricted, audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ImportReport", "Refusal", "ingest_objects"]


@dataclass
class Refusal:
    index: int
    stix_id: str
    path: str
    message: str


@dataclass
class ImportReport:
    source: str
    received: int = 0
    imported: int = 0
    new_versions: int = 0
    unchanged: int = 0
    refused: list[Refusal] = field(default_factory=list)
    by_type: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.refused


def ingest_objects(
    user: Any,
    objects: Sequence[dict[str, Any]],
    *,
    source: str,
    purpose: str = "",
    case: Any = None,
    origin_node: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    raise NotImplementedError("record store: being implemented")
