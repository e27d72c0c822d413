"""Query filters (TAXII 2.1 section 3.4 Filtering): ``added_after``, ``match[id]``,
``match[type]``, ``match[version]`` and ``match[spec_version]``, plus ``limit``.

Comma-separated values within one parameter are OR-ed; different parameters are AND-ed.
``match[version]`` is ``last`` (the default), ``first``, ``all`` or STIX timestamps.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q
from django.http import QueryDict

from accord.taxii.envelope import TaxiiError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Filters",
    "parse_filters",
    "parse_limit",
    "parse_timestamp_us",
]

#: Page size when the client sends no ``limit``, and the most one page holds.
DEFAULT_LIMIT = 1000
MAX_LIMIT = 1000

_TS = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=65_536)
def parse_timestamp_us(value: str) -> int | None:
    """A STIX timestamp (RFC 3339, UTC, ``Z``) as microseconds since the epoch; None if malformed.
    Digits beyond microseconds are dropped."""
    m = _TS.match(value.strip())
    if not m:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        dt = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    fraction = int((m.group(7) or "0").ljust(6, "0")[:6])
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + fraction


def _values(query: QueryDict, name: str) -> list[str]:
    out: list[str] = []
    for raw in query.getlist(name):
        out.extend(v.strip() for v in raw.split(",") if v.strip())
    return out


@dataclass(frozen=True)
class Filters:
    """The parsed filters of one request."""

    limit: int
    added_after_us: int | None
    ids: tuple[str, ...]
    types: tuple[str, ...]
    versions: tuple[str, ...]  # 'last', 'first', 'all' and timestamps as given
    version_us: tuple[int, ...]
    spec_versions: tuple[str, ...]

    def q(self, *, use_version: bool = True) -> Q:
        """The filters as one ``Q`` on ``CollectionEntry``."""
        q = Q()
        if self.added_after_us is not None:
            q &= Q(date_added_us__gt=self.added_after_us)
        if self.ids:
            q &= Q(record__stix_id__in=self.ids)
        if self.types:
            q &= Q(stix_type__in=self.types)
        if self.spec_versions:
            q &= Q(spec_version__in=self.spec_versions)
        if use_version and "all" not in self.versions:
            wanted = self.versions or ("last",)
            parts: list[Q] = []
            if "last" in wanted:
                parts.append(Q(is_latest=True))
            if "first" in wanted:
                parts.append(Q(is_first=True))
            if self.version_us:
                parts.append(Q(version_us__in=self.version_us))
            q &= functools.reduce(operator.or_, parts)
        return q

    def digest(self, scope: str) -> str:
        """A short hash of everything but ``limit`` and the page position, bound into ``next``."""
        text = "|".join(
            [
                scope,
                str(self.added_after_us),
                ",".join(self.ids),
                ",".join(self.types),
                ",".join(self.versions),
                ",".join(self.spec_versions),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_limit(query: QueryDict) -> int:
    raw = query.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise TaxiiError(
            400, "Bad Request", f"limit must be a positive integer, not {raw!r}"
        ) from None
    if limit <= 0:
        raise TaxiiError(400, "Bad Request", "limit must be a positive integer")
    return min(limit, MAX_LIMIT)


def parse_filters(query: QueryDict) -> Filters:
    """The filters of a request (400 TAXII error on a malformed value)."""
    added_after_us = None
    raw = query.get("added_after")
    if raw is not None:
        added_after_us = parse_timestamp_us(raw)
        if added_after_us is None:
            raise TaxiiError(400, "Bad Request", f"added_after is not a timestamp: {raw!r}")
    versions = tuple(_values(query, "match[version]"))
    stamps: list[int] = []
    for v in versions:
        if v in ("last", "first", "all"):
            continue
        us = parse_timestamp_us(v)
        if us is None:
            raise TaxiiError(
                400,
                "Bad Request",
                f"match[version] takes last, first, all or a timestamp, not {v!r}",
            )
        stamps.append(us)
    return Filters(
        limit=parse_limit(query),
        added_after_us=added_after_us,
        ids=tuple(_values(query, "match[id]")),
        types=tuple(_values(query, "match[type]")),
        versions=versions,
        version_us=tuple(stamps),
        spec_versions=tuple(_values(query, "match[spec_version]")),
    )
