"""The watchlist: records with a person-extension ``watchlist`` entry, from the enabled sources,
held in an in-process :class:`~accord.engine.matching.WatchlistIndex`.

Built lazily on first use and kept current without a full rebuild: before each screening a
cheap fingerprint of the store (number of ``identity`` records, latest ``updated_at``) is read;
records changed since the last look are revoked from the index and added again when they are
still watch-listed (new versions, revocations). A record deleted from the store, or a source
switched on or off, rebuilds the index. Every process (web server, task worker, CLI) holds its
own copy; the fingerprint keeps each one current.

The index holds every watch-listed record of the enabled sources, whoever may see it; the
screening service keeps only the candidates the screening user may see (``Record.objects
.restrict``) before scoring, so a hidden record never shapes a result.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
from django.db.models import Count, Max

from accord.engine.matching import Person, WatchlistIndex
from accord.engine.stix.person import matching_birth_dates, person_extension

__all__ = [
    "PUBLIC_LIST_PREFIXES",
    "Entry",
    "Watchlist",
    "enabled_kinds",
    "entries_of",
    "source_kind",
    "watchlist",
]

#: A record of this node whose watchlist ``list_name`` starts with one of these is part of an
#: imported public list (the UN list importer writes "UN Security Council <list type>").
PUBLIC_LIST_PREFIXES: Final = (
    "UN Security Council",
    "United Nations Security Council",
    "OpenSanctions",
)
#: At most this many index entries per record (one per birth date; the names are shared).
_MAX_ENTRIES_PER_RECORD: Final = 5


@dataclass(frozen=True, slots=True)
class Entry:
    """One index entry: a watch-listed record (one of its birth dates) and what to do on a hit."""

    record_id: str
    names: tuple[str, ...]
    action: str
    list_name: str
    kind: str
    person: Person


def source_kind(origin_node: str, watch: dict[str, Any]) -> str:
    """``partner``, ``public`` or ``own`` (see :class:`accord.screening.models.WatchlistSource`)."""
    if origin_node:
        return "partner"
    list_name = str(watch.get("list_name", ""))
    if list_name.startswith(PUBLIC_LIST_PREFIXES):
        return "public"
    return "own"


def _birth_dates(ext: dict[str, Any]) -> list[str]:
    return matching_birth_dates(ext)[:_MAX_ENTRIES_PER_RECORD] or [""]


def entries_of(stix_id: str, data: str, origin_node: str) -> list[Entry]:
    """The index entries of one stored record ('' list when it is not watch-listed)."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(obj, dict) or obj.get("revoked"):
        return []
    ext = person_extension(obj)
    if ext is None or not isinstance(ext.get("watchlist"), dict):
        return []
    watch = ext["watchlist"]
    names = tuple(
        dict.fromkeys(
            str(n["full_name"])
            for n in ext.get("names") or ()
            if isinstance(n, dict) and n.get("full_name")
        )
    )
    if not names:
        return []
    nationalities = tuple(str(c) for c in ext.get("nationalities") or () if isinstance(c, str))
    documents = tuple(
        str(d["number"])
        for d in ext.get("documents") or ()
        if isinstance(d, dict) and "number" in d
    )
    gender = str(ext.get("gender", "")) if ext.get("gender") in ("male", "female") else ""
    kind = source_kind(origin_node, watch)
    out = []
    for i, birth_date in enumerate(_birth_dates(ext)):
        person = Person(
            names=names,
            birth_date=birth_date,
            nationalities=nationalities,
            gender=gender,
            documents=documents,
            id=stix_id if i == 0 else f"{stix_id}#{i}",
        )
        out.append(
            Entry(
                stix_id,
                names,
                str(watch.get("action", "")),
                str(watch.get("list_name", "")),
                kind,
                person,
            )
        )
    return out


def enabled_kinds() -> frozenset[str]:
    """The sources switched on (every source is on until someone switches it off)."""
    from accord.screening.models import WatchlistSource

    off = set(WatchlistSource.objects.filter(enabled=False).values_list("kind", flat=True))
    return frozenset(k for k in WatchlistSource.Kind.values if k not in off)


class Watchlist:
    """The in-process index with its slot -> entry map, refreshed from the store on use."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.index: WatchlistIndex | None = None
        self._entries: dict[int, Entry] = {}
        self._slots_of: dict[str, list[int]] = {}
        #: stix_id -> the ``updated_at`` of the record as indexed (watch-listed records only).
        self._indexed: dict[str, datetime] = {}
        self._kinds: frozenset[str] = frozenset()
        self._count = -1
        self._seen: datetime | None = None
        self.built_at: datetime | None = None

    def invalidate(self) -> None:
        """Drop the index; the next use rebuilds it (after a source is switched on or off)."""
        with self._lock:
            self.index = None

    def __len__(self) -> int:
        return len(self.index) if self.index is not None else 0

    def entry(self, slot: int) -> Entry | None:
        return self._entries.get(slot)

    def _records(self) -> Any:
        from accord.intel.models import Record

        return Record.objects.filter(stix_type="identity", data__contains='"watchlist"')

    def _add(self, rows: Iterable[tuple[str, str, str, datetime]]) -> None:
        """Index these records (stix_id, data, origin node, updated_at) anew, except those
        already indexed as they are: the look for changes starts at the last ``updated_at``
        seen, which one import gives to every record it stores, and revoking and adding again
        thousands of unchanged entries would hold the lock for nothing."""
        assert self.index is not None
        for stix_id, data, origin, updated_at in rows:
            if self._indexed.get(stix_id) == updated_at:
                continue
            self._revoke(stix_id)
            self._indexed[stix_id] = updated_at
            for entry in entries_of(stix_id, data, origin):
                if entry.kind not in self._kinds:
                    continue
                slot = self.index.add(entry.person)
                self._entries[slot] = entry
                self._slots_of.setdefault(stix_id, []).append(slot)

    def _revoke(self, stix_id: str) -> None:
        assert self.index is not None
        self._indexed.pop(stix_id, None)
        for slot in self._slots_of.pop(stix_id, ()):
            entry = self._entries.pop(slot, None)
            if entry is not None:
                self.index.revoke(entry.person.id)

    def current(self) -> Watchlist:
        """This watchlist, rebuilt or brought up to date with the store first."""
        from accord.intel.models import Record

        with self._lock:
            kinds = enabled_kinds()
            stats = Record.objects.filter(stix_type="identity").aggregate(
                n=Count("id"), last=Max("updated_at")
            )
            count, last = int(stats["n"] or 0), stats["last"]
            if self.index is None or kinds != self._kinds or count < self._count:
                self._rebuild(kinds)
            elif last is not None and (self._seen is None or last > self._seen):
                changed = (
                    self._records().filter(updated_at__gte=self._seen)
                    if self._seen
                    else (self._records())
                )
                self._add(
                    changed.values_list("stix_id", "data", "origin_node", "updated_at").iterator()
                )
                # records that stopped being watch-listed (their new version lost the entry)
                gone = (
                    Record.objects.filter(stix_type="identity", updated_at__gte=self._seen)
                    .exclude(data__contains='"watchlist"')
                    .values_list("stix_id", flat=True)
                    if self._seen
                    else []
                )
                for stix_id in gone:
                    self._revoke(stix_id)
            self._count = count
            self._seen = last
            return self

    def _rebuild(self, kinds: frozenset[str]) -> None:
        from django.utils import timezone

        self.index = WatchlistIndex()
        self._entries, self._slots_of, self._indexed, self._kinds = {}, {}, {}, kinds
        rows = self._records().values_list("stix_id", "data", "origin_node", "updated_at")
        self._add(rows.iterator())
        self.built_at = timezone.now()


#: The process's watchlist.
watchlist = Watchlist()
