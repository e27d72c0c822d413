"""Record-store services: every write and every read of personal data goes through here.

- ``ingest_objects(user, objects, *, source, purpose="", case=None, origin_node="",
  progress=None) -> ImportReport``: validate every object, all-or-nothing: if any object is
  refused nothing is stored and the report lists each refusal with the property path; otherwise
  all are stored in one transaction (new records, new versions; an identical (id, modified)
  already stored counts as unchanged). Audits ``record.import``.
- ``create_record(user, obj, *, purpose, case=None) -> Record``
- ``get_record(user, stix_id, *, purpose, case="") -> Record``: restricted, audited read.
- ``record_versions(user, stix_id, *, purpose) -> list[RecordVersion]``
- ``search_records(user, query, *, purpose, ...) -> SearchPage`` (see :mod:`accord.intel.search`)
- ``export_bundle(user, *, purpose, query=None) -> dict`` and ``iter_export(...)``: restricted,
  audited export of the latest version of every visible record, each object exactly as stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from accord.engine.stix.markings import (
    TLP_1_0_IDS,
    TLP_BY_ID,
    MarkingSummary,
    Protection,
    marking_refs,
    summarise_markings,
)
from accord.engine.stix.validate import validate_object as _validate_object
from accord.intel.bulk import BulkWriter, allocate_ids, collector_paused, insert_rows
from accord.intel.indexing import IndexedObject, index_object, parse_timestamp
from accord.intel.models import (
    Case,
    Identifier,
    NameToken,
    Record,
    RecordMarking,
    RecordVersion,
)
from accord.intel.querysets import may_read_protection
from accord.intel.search import (
    SearchError,
    SearchPage,
    SearchQuery,
    filtered_records,
    search_records,
)
from accord.intel.writes import (
    NOT_YOURS,
    ProtectionApproval,
    RecordState,
    WriteContext,
    may_change,
    protection_of,
    version_refusal,
)
from accord.node.chunking import chunks
from accord.oversight.services import Outcome, audit

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accord.accounts.models import User

__all__ = [
    "ImportReport",
    "ProtectionApproval",
    "RecordNotFound",
    "RecordRefused",
    "Refusal",
    "SearchError",
    "SearchPage",
    "SearchQuery",
    "ValidatedBatch",
    "create_record",
    "export_bundle",
    "get_record",
    "ids_sha256",
    "ingest_objects",
    "iter_export",
    "record_versions",
    "related_records",
    "search_records",
    "validate_objects",
]

#: Audit events list the object ids themselves up to this many; beyond, a count and a digest.
AUDIT_ID_LIMIT = 1000


@dataclass
class Refusal:
    """Why one object was refused: its index in the batch, its id, the property and the reason."""

    index: int
    stix_id: str
    path: str
    message: str


@dataclass
class ImportReport:
    """What an import did. ``imported``: objects stored as new records; ``new_versions``:
    objects stored as further versions of a record; ``unchanged``: versions already stored.

    ``created_versions``: for each version stored as part of a record this import created,
    ``(stix_id, modified) -> (version pk, record pk, record stix_type, record spec_version)``,
    so that a caller in the same transaction (a TAXII POST adding the objects to a collection)
    need not read back what was just written. ``audit_seq``: the sequence number of the
    ``record.import`` audit entry of a stored import (None when nothing was stored);
    ``audit_listed_ids``: the object ids that entry lists (empty when it gives their count and
    digest instead), so that a caller's own audit entry can refer to it rather than list them
    again."""

    source: str
    received: int = 0
    imported: int = 0
    new_versions: int = 0
    unchanged: int = 0
    refused: list[Refusal] = field(default_factory=list)
    by_type: dict[str, int] = field(default_factory=dict)
    created_versions: dict[tuple[str, str], tuple[int, int, str, str]] = field(
        default_factory=dict, repr=False
    )
    audit_seq: int | None = None
    audit_listed_ids: frozenset[str] = field(default_factory=frozenset, repr=False)

    @property
    def ok(self) -> bool:
        return not self.refused

    def refusal_messages(self) -> dict[int, str]:
        """Index in the batch -> why that object was refused (``path: message``, several
        joined by ``; ``): what a TAXII status or a peer's envelope answer says of it."""
        reasons: dict[int, list[str]] = {}
        for refusal in self.refused:
            where = f"{refusal.path}: " if refusal.path else ""
            reasons.setdefault(refusal.index, []).append(where + refusal.message)
        return {index: "; ".join(messages) for index, messages in reasons.items()}


class RecordRefused(Exception):
    """An object (or batch) was refused; ``refusals`` says which property and why."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        self.refusals = list(refusals)
        first = self.refusals[0] if self.refusals else None
        super().__init__(f"{first.path}: {first.message}" if first else "refused")


class RecordNotFound(Exception):
    """No such record, or not one the user may see (the same answer: existence is not leaked)."""


# --------------------------------------------------------------------------------------------
# Import


@dataclass(slots=True)
class _Prepared:
    index: int
    stix_id: str
    stix_type: str
    version: str
    modified: datetime | None
    created: datetime | None
    created_by_ref: str
    text: str
    digest: str
    obj: dict[str, Any]


def _dumps(obj: dict[str, Any]) -> tuple[str, str]:
    """The object's JSON text (keys in received order) and the SHA-256 of its sorted form."""
    try:
        text = orjson.dumps(obj).decode()
        digest = hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()
    except TypeError:  # integers beyond 64 bits
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(
            json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        ).hexdigest()
    return text, digest


def _nul_path(value: Any, path: str = "") -> str:
    """The property path of the first string holding U+0000 (which no database stores)."""
    if isinstance(value, str):
        return path if "\x00" in value else ""
    items: Iterable[tuple[str, Any]] = ()
    if isinstance(value, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
        for key in value:
            if "\x00" in str(key):
                return f"{path}.{key}" if path else str(key)
    elif isinstance(value, list):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    for sub, item in items:
        found = _nul_path(item, sub)
        if found:
            return found
    return ""


def _marking_paths(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(property path, marking definition id) of every marking reference of ``obj``."""
    for j, ref in enumerate(obj.get("object_marking_refs") or ()):
        yield f"object_marking_refs[{j}]", str(ref)
    for j, entry in enumerate(obj.get("granular_markings") or ()):
        if isinstance(entry, dict) and "marking_ref" in entry:
            yield f"granular_markings[{j}].marking_ref", str(entry["marking_ref"])


def _stored_definitions(refs: Iterable[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    wanted = sorted(set(refs))
    for chunk in chunks(wanted):
        for sid, data in Record.objects.filter(stix_id__in=chunk).values_list("stix_id", "data"):
            out[sid] = json.loads(data)
    return out


def ids_sha256(ids: Iterable[str]) -> str:
    """The SHA-256 of ``ids`` sorted, one per line: what audit entries carry to pin a list of
    object ids too long to record (``record.import``, ``taxii.post``, ``peer.receive``)."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def _audit_ids(ids: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    if len(ids) <= AUDIT_ID_LIMIT:
        return list(ids), {}
    return [], {"object_count": len(ids), "object_ids_sha256": ids_sha256(ids)}


@lru_cache(maxsize=65_536)
def _adapt_dt(value: datetime | None) -> Any:
    if value is None:
        return None
    if connection.vendor == "sqlite":  # what Django stores: naive UTC, ISO with a space
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return connection.ops.adapt_datetimefield_value(value)


@lru_cache(maxsize=65_536)
def _timestamp(value: str) -> datetime | None:
    return parse_timestamp(value)


_RECORD_FIELDS = (
    "stix_id",
    "stix_type",
    "spec_version",
    "created_by_ref",
    "created",
    "modified",
    "display_name",
    "revoked",
    "personal_data",
    "tlp",
    "handling_code",
    "origin_node",
    "owner_agency",
    "owner",
    "case",
    "birth_year_min",
    "birth_year_max",
    "version_count",
    "data",
    "added_at",
    "updated_at",
)


def _record_values(p: _Prepared, summary: MarkingSummary, idx: IndexedObject) -> dict[str, Any]:
    obj = p.obj
    return {
        "stix_type": p.stix_type[:64],
        "spec_version": str(obj.get("spec_version", "2.1"))[:8],
        "created_by_ref": p.created_by_ref[:100],
        "created": p.created,
        "modified": p.modified,
        "display_name": idx.display_name,
        "revoked": bool(obj.get("revoked", False)),
        "personal_data": idx.personal_data,
        "tlp": summary.tlp,
        "handling_code": summary.handling_code[:2],
        "birth_year_min": idx.birth_year_min,
        "birth_year_max": idx.birth_year_max,
        "data": p.text,
    }


_VERSION_FIELDS = ("id", "record", "modified", "data", "sha256", "added_at", "source")
#: Records per chunk handed to the writer thread.
_PIPELINE_CHUNK = 5_000


def _index_rows(
    pk: int,
    idx: IndexedObject,
    summary: MarkingSummary,
    tokens: list[tuple[int, str]],
    idents: list[tuple[int, str, str]],
    markings: list[tuple[int, str, str]],
) -> None:
    """Append the name-token, identifier and marking rows of one record."""
    tokens.extend((pk, t) for t in idx.tokens)
    idents.extend((pk, kind, value) for kind, value in idx.identifiers)
    markings.extend((pk, "release", str(c)[:64]) for c in summary.releasable_to)
    markings.extend((pk, "purpose", str(c)[:64]) for c in summary.purposes)


def _newer(a: _Prepared, than: datetime | None) -> bool:
    if than is None:
        return True
    return a.modified is not None and a.modified > than


@collector_paused()  # a batch of acyclic objects: see collector_paused
def ingest_objects(  # noqa: PLR0913  the import service's options, keyword-only with defaults
    user: User | None,
    objects: Sequence[dict[str, Any]] | ValidatedBatch,
    *,
    source: str,
    purpose: str = "",
    case: Case | None = None,
    origin_node: str = "",
    progress: Callable[[int, int], None] | None = None,
    all_or_nothing: bool = True,
    approval: ProtectionApproval | None = None,
) -> ImportReport:
    """Validate and store STIX objects, all or nothing, and audit the import.

    With ``all_or_nothing=False`` (a TAXII envelope, where the specification reports success
    and failure per object) the refused objects are left out and the others are stored; the
    report lists both. ``objects`` may be a :class:`ValidatedBatch` from
    :func:`validate_objects` (validated before the caller's transaction); a batch is stored
    once, and its report is the one returned.

    Legal effect: adds the objects to the node's records (new records, or new versions of
    records this creator already holds) under the importing user's ownership and agency; the
    markings they carry then govern every later read and disclosure. ``user`` None is the
    node itself (system import). Nothing is stored when any object is refused.

    A version of a stored record is written only as :mod:`accord.intel.writes` allows: by the
    record's originator (``origin_node``), and there by a user who may read the record and
    change it; never lowering its protection unless ``approval`` gives a supervisor's reason
    (audited as ``record.protection_lowered``).
    """
    if user is not None and not (user.can("record.import") or user.can("record.create")):
        raise PermissionDenied("this role may not add records")
    if isinstance(objects, ValidatedBatch):
        if objects.stored:
            raise ValueError("this validated batch was already stored")
        batch = objects
    else:
        batch = validate_objects(objects, source=source, progress=progress)
    batch.stored = True
    request = _ImportRequest(
        user=user,
        source=source,
        purpose=purpose,
        case=case,
        origin_node=origin_node,
        progress=progress,
        all_or_nothing=all_or_nothing,
        approval=approval,
    )
    return _ingest_validated(request, batch)


@dataclass(frozen=True, slots=True)
class _ImportRequest:
    """One call of :func:`ingest_objects`: who stores the objects (``user``, None for the node
    itself), the source named in the audit entry, the purpose and case of the write, the node
    the objects come from ('' for this node), the progress callback, whether one refusal
    refuses the whole batch, and a supervisor's approval of lowered protection."""

    user: User | None
    source: str
    purpose: str
    case: Case | None
    origin_node: str
    progress: Callable[[int, int], None] | None
    all_or_nothing: bool
    approval: ProtectionApproval | None


@dataclass(frozen=True, slots=True)
class _ImportWrite:
    """What one import writes, decided before anything is written: the prepared objects and
    their marking summaries (of the :class:`ValidatedBatch`), the indexes into ``prepared`` of
    the versions to store, the records already stored (stix id -> (pk, creator, modified,
    version count)), per stix id the index of its latest new version and how many versions it
    gains, and the stix ids that become new records (sorted), that gain a newer latest version
    (``replaced``) or only older versions (``kept``)."""

    prepared: list[_Prepared]
    marking_of: list[MarkingSummary]
    new_versions: list[int]
    existing: dict[str, tuple[int, str, datetime | None, int]]
    latest: dict[str, int]
    gained: dict[str, int]
    new_ids: list[str]
    replaced: list[str]
    kept: list[str]


@dataclass
class ValidatedBatch:
    """Objects checked and serialised by :func:`validate_objects`, not yet stored: what
    :func:`ingest_objects` then stores. The report holds the refusals found so far."""

    report: ImportReport
    prepared: list[_Prepared]
    marking_of: list[MarkingSummary]
    #: Handed to :func:`ingest_objects` already (a batch is stored once).
    stored: bool = False


@collector_paused()
def validate_objects(
    objects: Sequence[Any],
    *,
    source: str,
    progress: Callable[[int, int], None] | None = None,
) -> ValidatedBatch:
    """Validate ``objects`` and serialise the valid ones, writing nothing.

    Reads only the marking definitions the objects refer to, so it runs outside any
    transaction: a TAXII POST validates its envelope before it takes the database's write
    lock (docs/taxii.md). Pass the result to :func:`ingest_objects`, which looks up what is
    stored and decides inside its transaction.
    """
    objects = list(objects)
    total = len(objects)
    report = ImportReport(source=source, received=total)
    step = max(1, total // 100)
    refusals = report.refused

    # 1. Which marking definitions are known: TLP constants, the batch, the store.
    batch_defs: dict[str, dict[str, Any]] = {}
    refs_seen: set[str] = set()
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        if obj.get("type") == "marking-definition" and isinstance(obj.get("id"), str):
            batch_defs[obj["id"]] = obj
        refs_seen.update(marking_refs(obj))
    unknown = {
        r for r in refs_seen if r not in TLP_BY_ID and r not in TLP_1_0_IDS and r not in batch_defs
    }
    definitions = {**_stored_definitions(unknown), **batch_defs} if unknown else batch_defs

    # 2. Validate and prepare every object (no database access).
    prepared: list[_Prepared] = []
    summaries: dict[tuple[str, ...], MarkingSummary] = {}
    marking_of: list[MarkingSummary] = []
    for i, obj in enumerate(objects):
        if progress is not None and i % step == 0:
            progress(int(i * 0.7), total)
        if not isinstance(obj, dict):
            refusals.append(Refusal(i, "", "", "not a JSON object"))
            continue
        raw_id = obj.get("id")
        sid = raw_id if isinstance(raw_id, str) else ""
        issues = _validate_object(obj)
        if issues:
            refusals.extend(Refusal(i, sid, s.path, s.message) for s in issues)
            continue
        refs = tuple(marking_refs(obj))
        summary = summaries.get(refs)
        if summary is None:
            summary = summaries[refs] = summarise_markings(obj, definitions)
        if summary.unknown_refs:
            refusals.extend(
                Refusal(
                    i,
                    sid,
                    path,
                    f"unknown marking definition {ref}: neither a TLP marking, nor in "
                    "this import, nor stored on this node",
                )
                for path, ref in _marking_paths(obj)
                if ref in summary.unknown_refs
            )
            continue
        text, digest = _dumps(obj)
        if "\\u0000" in text:
            refusals.append(
                Refusal(i, sid, _nul_path(obj), "contains a NUL character (U+0000); remove it")
            )
            continue
        version = str(obj.get("modified") or obj.get("created") or "")
        created_raw = obj.get("created")
        created = _timestamp(created_raw) if isinstance(created_raw, str) else None
        modified_raw = obj.get("modified")
        prepared.append(
            _Prepared(
                i,
                sid,
                str(obj.get("type")),
                version,
                (_timestamp(modified_raw) if isinstance(modified_raw, str) else None) or created,
                created,
                str(obj.get("created_by_ref") or ""),
                text,
                digest,
                obj,
            )
        )
        marking_of.append(summary)
    return ValidatedBatch(report, prepared, marking_of)


def _ingest_validated(request: _ImportRequest, batch: ValidatedBatch) -> ImportReport:
    user, source, purpose = request.user, request.source, request.purpose
    case, progress, approval = request.case, request.progress, request.approval
    report, prepared = batch.report, batch.prepared
    refusals = report.refused
    total = report.received

    # 3. What is already stored for these ids (looked up in chunks), as the writer sees it.
    by_id: dict[str, list[int]] = {}
    for n, p in enumerate(prepared):
        by_id.setdefault(p.stix_id, []).append(n)
    ctx = WriteContext(user, _writer_origin(request.origin_node), approval)
    stored = _stored_records(list(by_id), ctx, purpose)

    # 4. Decide: new record, new version, unchanged, or refused.
    new_versions, lowered = _decide_versions(batch, by_id, stored, ctx)

    if refusals:
        refusals.sort(key=lambda r: r.index)
    if refusals and (request.all_or_nothing or not new_versions):
        report.unchanged = 0 if request.all_or_nothing else report.unchanged
        audit(
            user,
            "record.import",
            purpose=purpose,
            outcome=Outcome.REFUSED,
            detail={"source": source, "received": total, "refused": len(refusals)},
        )
        if progress is not None:
            progress(total, total)
        return report

    _store(request, batch, new_versions, stored.existing)
    for sid, changes in sorted(lowered.items()):
        audit(
            user,
            "record.protection_lowered",
            object_ids=[sid],
            purpose=purpose,
            case=getattr(case, "reference", "") or "",
            detail={"changes": changes, "reason": approval.reason if approval else ""},
        )
    return report


@dataclass(frozen=True, slots=True)
class _StoredRecords:
    """What is stored of an import's ids: per stix id (pk, creator, modified, version count)
    and the :class:`RecordState` the writer sees, and per record pk its stored versions
    (modified -> SHA-256)."""

    existing: dict[str, tuple[int, str, datetime | None, int]]
    states: dict[str, RecordState]
    versions: dict[int, dict[str, str]]


def _stored_records(ids: list[str], ctx: WriteContext, purpose: str) -> _StoredRecords:
    """What is stored of ``ids`` (looked up in chunks), as ``ctx``'s writer sees it."""
    existing, states = _existing_records(ids, ctx, purpose)
    versions: dict[int, dict[str, str]] = {}
    pks = [e[0] for e in existing.values()]
    for chunk in chunks(pks):
        for rid, version, digest in RecordVersion.objects.filter(record_id__in=chunk).values_list(
            "record_id", "modified", "sha256"
        ):
            versions.setdefault(rid, {})[version] = digest
    return _StoredRecords(existing, states, versions)


def _decide_versions(
    batch: ValidatedBatch, by_id: dict[str, list[int]], stored: _StoredRecords, ctx: WriteContext
) -> tuple[list[int], dict[str, list[str]]]:
    """Decide each prepared object of ``batch`` (grouped by stix id in ``by_id``): a new record,
    a new version, unchanged (counted in the report), or refused (added to the report's
    refusals; :mod:`accord.intel.writes` says who may write a version of a stored record).
    Returns the indexes into the prepared objects of the versions to store, and per stix id
    the protection it loses (a lowering the approval allows)."""
    report, prepared, marking_of = batch.report, batch.prepared, batch.marking_of
    refusals = report.refused
    new_versions: list[int] = []  # indexes into prepared
    lowered: dict[str, list[str]] = {}
    for sid, members in by_id.items():
        known = stored.existing.get(sid)
        state = stored.states.get(sid)
        versions: dict[str, str] = dict(stored.versions.get(known[0], {})) if known else {}
        for n in members:
            p = prepared[n]
            have = versions.get(p.version)
            if state is not None and not ctx.federated and not state.visible:
                refusals.append(Refusal(p.index, sid, "id", NOT_YOURS))
                continue
            if have is not None:
                if have == p.digest:
                    report.unchanged += 1
                else:
                    refusals.append(
                        Refusal(
                            p.index,
                            sid,
                            "modified",
                            f"id/modified already stored with other content ({p.version}): a "
                            "changed object needs a new 'modified' timestamp",
                        )
                    )
                continue
            if state is not None and known is not None:
                path, message, lowering = version_refusal(
                    ctx,
                    state,
                    creator=p.created_by_ref,
                    newer=_newer(p, known[2]),
                    protection=Protection.of(marking_of[n]),
                )
                if message:
                    refusals.append(Refusal(p.index, sid, path, message))
                    continue
                if lowering:
                    lowered[sid] = lowering
            versions[p.version] = p.digest
            new_versions.append(n)
    return new_versions, lowered


def _writer_origin(origin_node: str) -> str:
    """The node a write comes from, '' for this node (a relayed copy of this node's own
    object, signed by it, is this node's)."""
    if not origin_node:
        return ""
    from accord.node.models import NodeIdentity

    me = NodeIdentity.objects.values_list("node_id", flat=True).first()
    return "" if origin_node == me else origin_node


def _existing_records(
    ids: list[str], ctx: WriteContext, purpose: str
) -> tuple[dict[str, tuple[int, str, datetime | None, int]], dict[str, RecordState]]:
    """The stored records among ``ids``: (pk, creator, modified, version count) for the store,
    and each one's :class:`RecordState` as ``ctx``'s writer sees it (looked up in chunks)."""
    from accord.intel.models import RecordGrant

    existing: dict[str, tuple[int, str, datetime | None, int]] = {}
    states: dict[str, RecordState] = {}
    user = ctx.user
    check_user = user is not None and not ctx.federated
    for chunk in chunks(ids):
        rows = list(
            Record.objects.filter(stix_id__in=chunk).values_list(
                "pk",
                "stix_id",
                "created_by_ref",
                "modified",
                "version_count",
                "origin_node",
                "owner_id",
                "owner_agency",
                "stix_type",
                "revoked",
                "tlp",
                "handling_code",
            )
        )
        if not rows:
            continue
        pks = [row[0] for row in rows]
        marking_rows: dict[int, list[tuple[str, str]]] = {}
        for rid, kind, value in RecordMarking.objects.filter(record_id__in=pks).values_list(
            "record_id", "kind", "value"
        ):
            marking_rows.setdefault(rid, []).append((kind, value))
        visible: set[int] = set(pks)
        granted: set[int] = set()
        if check_user:
            visible = set(
                Record.objects.restrict(user, purpose=purpose)
                .filter(pk__in=pks)
                .values_list("pk", flat=True)
            )
            granted = set(
                RecordGrant.objects.filter(
                    record_id__in=pks, user=user, can_write=True
                ).values_list("record_id", flat=True)
            )
        for row in rows:
            pk, sid, creator, modified, count, origin, owner, agency = row[:8]
            kind, revoked, tlp, code = row[8:]
            existing[sid] = (pk, creator, modified, count)
            states[sid] = RecordState(
                stix_type=kind,
                creator=creator,
                origin=origin,
                revoked=revoked,
                protection=protection_of(tlp, code, marking_rows.get(pk, ())),
                visible=pk in visible,
                writable=may_change(user, owner, agency, pk in granted),
            )
    return existing, states


def _store(
    request: _ImportRequest,
    batch: ValidatedBatch,
    new_versions: list[int],
    existing: dict[str, tuple[int, str, datetime | None, int]],
) -> None:
    """Store the versions ``new_versions`` (indexes into the batch's prepared objects) of an
    import that was decided, filling in the batch's report (see :class:`_ImportWrite`)."""
    report, prepared = batch.report, batch.prepared
    progress, total = request.progress, report.received
    # Latest new version per id, and how many versions each id gains.
    latest: dict[str, int] = {}
    gained: dict[str, int] = {}
    for n in new_versions:
        p = prepared[n]
        gained[p.stix_id] = gained.get(p.stix_id, 0) + 1
        best = latest.get(p.stix_id)
        if best is None or _newer(p, prepared[best].modified):
            latest[p.stix_id] = n
        report.by_type[p.stix_type] = report.by_type.get(p.stix_type, 0) + 1

    # Sorted by id: the new rows then land in ascending order in the stix_id index too.
    new_ids = sorted(sid for sid in latest if sid not in existing)
    replaced = [
        sid for sid in latest if sid in existing and _newer(prepared[latest[sid]], existing[sid][2])
    ]
    kept = [sid for sid in latest if sid in existing and sid not in replaced]
    report.imported = len(new_ids)
    report.new_versions = len(new_versions) - len(new_ids)

    big = connection.vendor == "sqlite" and len(new_versions) >= 10_000
    if big:
        with connection.cursor() as cursor:  # a large import: a 1 GiB page cache while it runs
            cursor.execute("PRAGMA cache_size")
            previous = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA cache_size=-1048576")
    try:
        write = _ImportWrite(
            prepared=prepared,
            marking_of=batch.marking_of,
            new_versions=new_versions,
            existing=existing,
            latest=latest,
            gained=gained,
            new_ids=new_ids,
            replaced=replaced,
            kept=kept,
        )
        _write(request, report, write)
    finally:
        if big:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size={int(previous)}")
    if progress is not None:
        progress(total, total)


@dataclass(slots=True)
class _Rows:
    """The keys and the constant values of one import's rows: the record pk of every stix id
    it writes, the version pks still to hand out (in insertion order, so that the table is
    appended to), the time of the write as the database stores it, and the source."""

    prepared: list[_Prepared]
    pk_of: dict[str, int]
    version_pks: Iterator[int]
    now_db: Any
    source_text: str

    def version(self, n: int) -> tuple[Any, ...]:
        """The row of the version ``prepared[n]``, with the next version pk."""
        p = self.prepared[n]
        return (
            next(self.version_pks),
            self.pk_of[p.stix_id],
            p.version[:40],
            p.text,
            p.digest,
            self.now_db,
            self.source_text,
        )


def _write(request: _ImportRequest, report: ImportReport, write: _ImportWrite) -> None:
    """Write ``write`` in one transaction (new records in bulk, new versions, re-indexed
    records) and audit it as ``record.import``."""
    prepared, existing, new_versions = write.prepared, write.existing, write.new_versions
    now = timezone.now()
    with transaction.atomic():
        pk_of: dict[str, int] = {sid: existing[sid][0] for sid in existing}
        pk_of.update(zip(write.new_ids, allocate_ids(Record, len(write.new_ids)), strict=True))
        # Version keys too, handed out in insertion order (so that the table is appended to):
        # the caller may then use them without reading them back.
        version_pks = iter(allocate_ids(RecordVersion, len(new_versions)))
        rows = _Rows(prepared, pk_of, version_pks, _adapt_dt(now), request.source[:200])
        # Versions of new records go with their record; versions of records already stored
        # (new or late versions) are written after.
        versions_of_new: dict[str, list[int]] = {}
        other_versions: list[int] = []
        for n in new_versions:
            sid = prepared[n].stix_id
            if sid in existing:
                other_versions.append(n)
            else:
                versions_of_new.setdefault(sid, []).append(n)
        _write_new_records(request, report, write, rows, versions_of_new)
        _write_stored_records(write, rows, now, other_versions)
        if request.progress is not None:
            request.progress(int(report.received * 0.95), report.received)

        stored_ids = [prepared[n].stix_id for n in new_versions]
        object_ids, extra = _audit_ids(sorted(set(stored_ids)))
        report.audit_listed_ids = frozenset(object_ids)
        report.audit_seq = audit(
            request.user,
            "record.import",
            object_ids=object_ids,
            detail={
                "source": request.source,
                "received": report.received,
                "imported": report.imported,
                "new_versions": report.new_versions,
                "unchanged": report.unchanged,
                "refused": len(report.refused),
                "by_type": report.by_type,
                **extra,
            },
        ).seq


def _write_new_records(
    request: _ImportRequest,
    report: ImportReport,
    write: _ImportWrite,
    rows: _Rows,
    versions_of_new: dict[str, list[int]],
) -> None:
    """Insert the records ``write`` creates, with their versions and index rows, chunk by
    chunk: this thread normalises and builds the rows of chunk k+1 while the writer thread
    inserts chunk k (see accord.intel.bulk). One chunk (a TAXII envelope): nothing to
    overlap, so no writer thread. Fills in the report's ``created_versions``."""
    user, case, progress = request.user, request.case, request.progress
    total = report.received
    prepared, marking_of, latest, gained = (
        write.prepared,
        write.marking_of,
        write.latest,
        write.gained,
    )
    new_ids, pk_of, now_db = write.new_ids, rows.pk_of, rows.now_db
    owner_id = getattr(user, "pk", None)
    agency = (getattr(user, "agency", "") or "")[:64]
    case_id = getattr(case, "pk", None)
    origin = request.origin_node[:64]
    created = report.created_versions
    with BulkWriter(inline=len(new_ids) <= _PIPELINE_CHUNK) as writer:
        done = 0
        for chunk in chunks(new_ids, _PIPELINE_CHUNK):
            records: list[tuple[Any, ...]] = []
            versions: list[tuple[Any, ...]] = []
            tokens: list[tuple[int, str]] = []
            idents: list[tuple[int, str, str]] = []
            markings: list[tuple[int, str, str]] = []
            for sid in chunk:
                n = latest[sid]
                p = prepared[n]
                idx = index_object(p.obj)
                values = _record_values(p, marking_of[n], idx)
                pk = pk_of[sid]
                records.append(
                    (
                        pk,
                        sid,
                        values["stix_type"],
                        values["spec_version"],
                        values["created_by_ref"],
                        _adapt_dt(p.created),
                        _adapt_dt(p.modified),
                        values["display_name"],
                        values["revoked"],
                        values["personal_data"],
                        values["tlp"],
                        values["handling_code"],
                        origin,
                        agency,
                        owner_id,
                        case_id,
                        values["birth_year_min"],
                        values["birth_year_max"],
                        gained[sid],
                        p.text,
                        now_db,
                        now_db,
                    )
                )
                for v in versions_of_new[sid]:
                    row = rows.version(v)
                    versions.append(row)
                    created[(sid, row[2])] = (
                        row[0],
                        pk,
                        values["stix_type"],
                        values["spec_version"],
                    )
                _index_rows(pk, idx, marking_of[n], tokens, idents, markings)
            # Sorted by key, so that each index is filled in order (fewer pages touched).
            tokens.sort(key=lambda row: row[1])
            idents.sort(key=lambda row: row[2])
            writer.insert(Record, ("id", *_RECORD_FIELDS), records)
            writer.insert(RecordVersion, _VERSION_FIELDS, versions)
            writer.insert(NameToken, ("record", "token"), tokens)
            writer.insert(Identifier, ("record", "kind", "value"), idents)
            writer.insert(RecordMarking, ("record", "kind", "value"), markings)
            done += len(chunk)
            if progress is not None:
                progress(int(total * (0.7 + 0.2 * done / max(1, len(new_ids)))), total)


def _write_stored_records(
    write: _ImportWrite, rows: _Rows, now: datetime, other_versions: list[int]
) -> None:
    """Update and re-index the records that gain a newer version, count the late older
    versions of the others (their ``data`` unchanged), and insert ``other_versions`` (indexes
    into the prepared objects: the new versions of records already stored)."""
    prepared, marking_of, existing = write.prepared, write.marking_of, write.existing
    latest, gained, pk_of = write.latest, write.gained, rows.pk_of
    tokens: list[tuple[int, str]] = []
    idents: list[tuple[int, str, str]] = []
    markings: list[tuple[int, str, str]] = []
    for sid in write.replaced:
        n = latest[sid]
        p = prepared[n]
        idx = index_object(p.obj)
        values = _record_values(p, marking_of[n], idx)
        values["version_count"] = existing[sid][3] + gained[sid]
        values["updated_at"] = now
        Record.objects.filter(pk=pk_of[sid]).update(**values)
        _index_rows(pk_of[sid], idx, marking_of[n], tokens, idents, markings)
    for sid in write.kept:  # older versions arrived late: counted, Record.data unchanged
        Record.objects.filter(pk=pk_of[sid]).update(
            version_count=existing[sid][3] + gained[sid], updated_at=now
        )
    if write.replaced:
        old = [pk_of[sid] for sid in write.replaced]
        for chunk in chunks(old):
            NameToken.objects.filter(record_id__in=chunk).delete()
            Identifier.objects.filter(record_id__in=chunk).delete()
            RecordMarking.objects.filter(record_id__in=chunk).delete()
    insert_rows(RecordVersion, _VERSION_FIELDS, [rows.version(n) for n in other_versions])
    insert_rows(NameToken, ("record", "token"), tokens)
    insert_rows(Identifier, ("record", "kind", "value"), idents)
    insert_rows(RecordMarking, ("record", "kind", "value"), markings)


def create_record(
    user: User | None,
    obj: dict[str, Any],
    *,
    purpose: str,
    case: Case | None = None,
    approval: ProtectionApproval | None = None,
) -> Record:
    """Store one object written by ``user`` (a new record or a new version of one).

    Legal effect: as :func:`ingest_objects`, for one object; raises :class:`RecordRefused`
    with the reasons when the object is invalid or not the user's to write.
    """
    if user is not None and not user.can("record.create"):
        raise PermissionDenied("this role may not create records")
    source = f"user:{getattr(user, 'username', 'system')}"
    report = ingest_objects(
        user, [obj], source=source, purpose=purpose, case=case, approval=approval
    )
    if not report.ok:
        raise RecordRefused(report.refused)
    return Record.objects.get(stix_id=obj["id"])


# --------------------------------------------------------------------------------------------
# Reads


def _restricted_get(
    user: User | None, stix_id: str, *, purpose: str, case: str, what: str
) -> Record:
    record = Record.objects.restrict(user, purpose=purpose).filter(stix_id=stix_id).first()
    if record is None:
        if Record.objects.filter(stix_id=stix_id).exists():
            audit(
                user,
                "record.read",
                object_ids=[stix_id],
                purpose=purpose,
                case=case,
                outcome=Outcome.DENIED,
                detail={"what": what},
            )
        raise RecordNotFound(stix_id)
    if record.personal_data:
        audit(
            user,
            "record.read",
            object_ids=[stix_id],
            purpose=purpose,
            case=case,
            detail={"what": what},
        )
    return record


def get_record(user: User | None, stix_id: str, *, purpose: str, case: str = "") -> Record:
    """The record ``stix_id`` if ``user`` may see it under ``purpose``.

    Legal effect: a consultation of the record; when it holds personal data the read is logged
    with its purpose and case (LED Art 25). A hidden record answers exactly like a missing one
    (:class:`RecordNotFound`), and the refused attempt is logged as denied.
    """
    return _restricted_get(user, stix_id, purpose=purpose, case=case, what="record")


def record_versions(
    user: User | None, stix_id: str, *, purpose: str, case: str = ""
) -> list[RecordVersion]:
    """Every stored version of a visible record that ``user`` may read under that version's
    own markings, oldest first (a consultation, logged as :func:`get_record` logs it)."""
    record = _restricted_get(user, stix_id, purpose=purpose, case=case, what="versions")
    versions = list(record.versions.all())
    versions.sort(key=lambda v: (parse_timestamp(v.modified) or timezone.now(), v.pk))
    return [v for v in versions if _version_readable(user, record, v, purpose)]


def _version_readable(
    user: User | None, record: Record, version: RecordVersion, purpose: str
) -> bool:
    """Whether ``user`` may read this version under its own markings (an older version keeps
    the protection it was written with)."""
    obj = orjson.loads(version.data)
    refs = marking_refs(obj)
    other = [r for r in refs if r not in TLP_BY_ID and r not in TLP_1_0_IDS]
    summary = summarise_markings(obj, _stored_definitions(other) if other else {})
    return may_read_protection(user, record, Protection.of(summary), purpose)


# --------------------------------------------------------------------------------------------
# Export


def related_records(
    user: User | None, stix_id: str, *, purpose: str, case: str = "", limit: int = 200
) -> list[dict[str, Any]]:
    """Relationships and sightings that refer to ``stix_id`` and that ``user`` may see, each
    with the record at its other end (its name only when that record is visible too).

    Legal effect: a consultation of the linked records' names; audited as ``record.related``
    with the personal-data records whose names are shown.
    """
    visible = Record.objects.restrict(user, purpose=purpose)
    links = list(
        visible.filter(
            stix_type__in=("relationship", "sighting"),
            identifiers__kind="ref",
            identifiers__value=stix_id,
        )
        .distinct()
        .order_by("-modified")[:limit]
    )
    rows: list[dict[str, Any]] = []
    for link in links:
        obj = json.loads(link.data)
        if link.stix_type == "relationship":
            source, target = obj.get("source_ref"), obj.get("target_ref")
            other = target if source == stix_id else source
            verb = str(obj.get("relationship_type", "related-to"))
            direction = "outgoing" if source == stix_id else "incoming"
        else:
            other = (obj.get("where_sighted_refs") or [""])[0]
            verb, direction = "sighted", "incoming"
        rows.append({"rel": link, "verb": verb, "direction": direction, "other_id": other})
    others = {
        sid: (name, personal)
        for sid, name, personal in visible.filter(
            stix_id__in=[r["other_id"] for r in rows]
        ).values_list("stix_id", "display_name", "personal_data")
    }
    for row in rows:
        row["other_visible"] = row["other_id"] in others
        row["other_name"] = others.get(row["other_id"], ("", False))[0]
    shown = sorted({sid for sid, (_, personal) in others.items() if personal})
    if shown:
        audit(
            user,
            "record.related",
            object_ids=[stix_id, *shown],
            purpose=purpose,
            case=case,
            detail={"links": len(rows)},
        )
    return rows


def _export_queryset(
    user: User | None, purpose: str, query: SearchQuery | None
) -> QuerySet[Record]:
    if user is None:
        qs: QuerySet[Record] = Record.objects.all()
        if query is not None:
            qs = filtered_records(None, query, purpose=purpose, action="export", base=qs)
        return qs
    if not user.can("record.export"):
        raise PermissionDenied("this role may not export records")
    if query is not None:
        return filtered_records(user, query, purpose=purpose, action="export")
    return Record.objects.restrict(user, purpose=purpose, action="export")


def iter_export(
    user: User | None, *, purpose: str, query: SearchQuery | None = None, chunk: int = 2000
) -> Iterator[bytes]:
    """A STIX 2.1 bundle as JSON bytes, streamed record by record (for large stores).

    Legal effect: a disclosure of every visible record to whoever receives the file; logged
    (``record.export``) before the first byte is produced, with the count and a digest of the
    ids when there are more than 1,000.
    """
    qs = _export_queryset(user, purpose, query).order_by("pk")
    ids = list(qs.values_list("stix_id", flat=True))
    object_ids, extra = _audit_ids(sorted(ids))
    audit(
        user,
        "record.export",
        object_ids=object_ids,
        purpose=purpose,
        detail={"count": len(ids), **extra},
    )

    def generate() -> Iterator[bytes]:
        yield b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":['
        first = True
        last_pk = 0
        pks = qs.values_list("pk", "data")
        while True:
            rows = list(pks.filter(pk__gt=last_pk)[:chunk])
            if not rows:
                break
            for pk, data in rows:
                last_pk = pk
                yield (b"" if first else b",") + data.encode()
                first = False
        yield b"]}"

    return generate()


def export_bundle(
    user: User | None, *, purpose: str, query: SearchQuery | None = None
) -> dict[str, Any]:
    """A STIX 2.1 bundle of the latest version of every record ``user`` may export.

    Legal effect: as :func:`iter_export` (a logged disclosure); each object is exactly as stored,
    so that importing the bundle elsewhere reproduces the same objects.
    """
    bundle: dict[str, Any] = json.loads(b"".join(iter_export(user, purpose=purpose, query=query)))
    return bundle
