"""TAXII collection services: collections and who may use them, collection membership of stored
object versions, POSTed envelopes and their statuses, restricted reads and their audit.

Every read of entries goes through :func:`visible_entries`, which applies exactly the rules of
``Record.objects.restrict`` (role, agency, case, TLP, purpose) through ``restrict_q``: a TAXII
client never sees what the web UI or the REST API would hide from the same user.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from accord.intel.bulk import insert_rows
from accord.intel.models import Record, RecordVersion
from accord.intel.querysets import restrict_q
from accord.intel.services import ids_sha256
from accord.node.chunking import chunks
from accord.oversight.services import Actor, Outcome, audit
from accord.taxii.filters import parse_timestamp_us
from accord.taxii.models import Collection, CollectionAccess, CollectionEntry, TaxiiStatus

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = [
    "CollectionDenied",
    "CollectionNotFound",
    "add_entries",
    "add_objects",
    "audit_read",
    "collection_for",
    "collections_for",
    "create_collection",
    "get_status",
    "grant_access",
    "remove_object",
    "visible_entries",
]

AUDIT_ID_LIMIT = 1000


class CollectionNotFound(Exception):
    """No such collection, or one the user has no access to at all (the same answer)."""


class CollectionDenied(Exception):
    """The user has access to the collection, but not this kind (read or write)."""


def _now_us() -> int:
    return time.time_ns() // 1000


# --------------------------------------------------------------------------------------------
# Collections and access


def create_collection(
    actor: Actor,
    *,
    title: str,
    description: str = "",
    alias: str | None = None,
    api_root: str = "accord",
) -> Collection:
    """Create a TAXII collection. Legal effect: none on its own; objects reach other parties only
    through the access later granted on it (audited ``taxii.collection.add``)."""
    with transaction.atomic():
        collection = Collection.objects.create(
            title=title, description=description, alias=alias or None, api_root=api_root
        )
        audit(
            actor,
            "taxii.collection.add",
            detail={"collection": str(collection.pk), "title": title, "alias": alias or ""},
        )
    return collection


def grant_access(
    actor: Actor, collection: Collection, user: User, *, can_read: bool, can_write: bool
) -> CollectionAccess:
    """Set ``user``'s read and write permission on ``collection``.

    Legal effect: reading lets the user receive, over TAXII, the collection's objects that the
    record rules (markings, case, purpose) let the user see; writing lets the user add objects
    to the node's records and to the collection, and remove objects from the collection.
    Audited (``taxii.grant``).
    """
    with transaction.atomic():
        access, _ = CollectionAccess.objects.update_or_create(
            collection=collection,
            user=user,
            peer_node_id="",
            defaults={"can_read": can_read, "can_write": can_write},
        )
        audit(
            actor,
            "taxii.grant",
            detail={
                "collection": str(collection.pk),
                "user": user.username,
                "can_read": can_read,
                "can_write": can_write,
            },
        )
    return access


def collection_for(
    user: User, collection_id: str, *, api_root: str = "accord", write: bool = False
) -> tuple[Collection, CollectionAccess]:
    """The collection (by id or alias) and the user's access to it (one query).

    A collection the user has no access row for is :class:`CollectionNotFound` (its existence is
    not disclosed); an access row without the needed permission is :class:`CollectionDenied`.
    """
    try:
        which = Q(collection__pk=uuid.UUID(collection_id))
    except ValueError:
        which = Q(collection__alias=collection_id)
    access = (
        CollectionAccess.objects.filter(which, collection__api_root=api_root, user=user)
        .select_related("collection")
        .order_by("pk")
        .first()
    )
    if access is None or not (access.can_read or access.can_write):
        raise CollectionNotFound(collection_id)
    if not (access.can_write if write else access.can_read):
        raise CollectionDenied("write" if write else "read")
    return access.collection, access


def collections_for(
    user: User, api_root: str = "accord"
) -> list[tuple[Collection, CollectionAccess]]:
    """Every collection of ``api_root`` the user may read or write, with the access row."""
    rows = (
        CollectionAccess.objects.filter(user=user, collection__api_root=api_root)
        .filter(Q(can_read=True) | Q(can_write=True))
        .select_related("collection")
        .order_by("collection__created_at", "collection__pk")
    )
    return [(a.collection, a) for a in rows]


# --------------------------------------------------------------------------------------------
# Membership


_VERSIONS_SQL = (
    "SELECT v.id, v.record_id, r.stix_id, v.modified, r.stix_type, r.spec_version"
    f" FROM {RecordVersion._meta.db_table} v JOIN {Record._meta.db_table} r"
    " ON r.id = v.record_id WHERE r.stix_id IN ({marks})"
)
_ENTRIES_SQL = (
    "SELECT id, record_id, version_id, version_us, is_latest, is_first"
    f" FROM {CollectionEntry._meta.db_table}"
    " WHERE collection_id = %s AND record_id IN ({marks})"
)


def _collection_key(collection: Collection) -> Any:
    """The collection's key as its column holds it (SQLite stores UUIDs as 32 hex digits)."""
    return collection.pk.hex if connection.vendor == "sqlite" else collection.pk


def _rows(sql: str, values: Sequence[Any], *first: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(marks=", ".join(["%s"] * len(values))), [*first, *values])
        return cursor.fetchall()


def add_entries(
    collection: Collection,
    pairs: Sequence[tuple[str, str]],
    *,
    created: Mapping[tuple[str, str], tuple[int, int, str, str]] | None = None,
) -> int:
    """Put the stored versions ``(stix_id, version)`` into ``collection`` (those already in it
    are left as they are); returns how many entries were added.

    ``created``: versions of records created earlier in the same transaction, as
    ``ImportReport.created_versions`` gives them (``(stix_id, version) -> (version pk, record
    pk, stix_type, spec_version)``); they are not read back, and no entries are looked up for
    their records (a record created in this transaction is in no collection yet).

    Each new entry gets a date added strictly after every earlier entry of the collection;
    ``is_latest`` and ``is_first`` are kept right for every object touched. Runs in the caller's
    transaction (or its own); the collection row is locked while date_added is assigned.
    """
    created = created or {}
    wanted = {(sid, ver) for sid, ver in pairs}
    found: list[tuple[int, int, str, str, str, str]] = []
    for sid, ver in wanted:
        known = created.get((sid, ver))
        if known is not None:
            found.append((known[0], known[1], sid, ver, known[2], known[3]))
    fresh_records = {r[1] for r in found}
    ids = sorted({sid for sid, ver in wanted if (sid, ver) not in created})
    with transaction.atomic():
        coll = Collection.objects.select_for_update().get(pk=collection.pk)
        # The other stored versions asked for, and the entries the collection already has for
        # these objects (by record: see the model). Plain SQL read with the cursor: up to 1,000
        # objects per envelope, no model instances needed.
        for id_chunk in chunks(ids):
            found.extend(
                r
                for r in _rows(_VERSIONS_SQL, id_chunk)
                if (r[2], r[3]) in wanted and (r[2], r[3]) not in created
            )
        record_ids = sorted({r[1] for r in found} - fresh_records)
        key = _collection_key(coll)
        existing, present = _entries_of(key, record_ids)
        new = [r for r in found if r[0] not in present]
        if not new:
            return 0
        new.sort(key=lambda r: (r[2], r[3]))
        base = max(_now_us(), coll.last_added_us + 1)
        rows: list[list[Any]] = []
        by_record: dict[int, list[list[Any]]] = {}
        for k, (vid, rid, sid, modified, stype, spec) in enumerate(new):
            added = base + k
            vus = parse_timestamp_us(modified) if modified else None
            row = [key, rid, vid, sid, stype, spec or "2.1", vus or added, added, True, True]
            rows.append(row)
            by_record.setdefault(rid, []).append(row)
        clear_latest, clear_first = _set_flags(by_record, existing)
        for chunk in chunks(clear_latest):
            CollectionEntry.objects.filter(pk__in=chunk).update(is_latest=False)
        for chunk in chunks(clear_first):
            CollectionEntry.objects.filter(pk__in=chunk).update(is_first=False)
        insert_rows(
            CollectionEntry,
            (
                "collection",
                "record",
                "version",
                "stix_id",
                "stix_type",
                "spec_version",
                "version_us",
                "date_added_us",
                "is_latest",
                "is_first",
            ),
            rows,
        )
        Collection.objects.filter(pk=coll.pk).update(last_added_us=base + len(new) - 1)
    return len(new)


def _entries_of(key: Any, record_ids: Sequence[int]) -> tuple[dict[int, list[list[Any]]], set[int]]:
    """The entries the collection ``key`` already has for ``record_ids``: per record its
    entries as ``[pk, version_us, is_latest, is_first]``, and the version pks they hold."""
    existing: dict[int, list[list[Any]]] = {}
    present: set[int] = set()
    for chunk in chunks(record_ids):
        for pk, rid, vid, vus, latest, first in _rows(_ENTRIES_SQL, chunk, key):
            existing.setdefault(rid, []).append([pk, vus, latest, first])
            present.add(vid)
    return existing, present


def _set_flags(
    by_record: dict[int, list[list[Any]]], existing: dict[int, list[list[Any]]]
) -> tuple[list[int], list[int]]:
    """Flags: the newest and the oldest version of each object in the collection. Sets them
    on the new rows ``by_record`` (per record; ``is_latest`` and ``is_first`` at 8 and 9)
    against the ``existing`` entries of the same records (as :func:`_entries_of` gives them),
    and returns the pks of the existing entries that lose ``is_latest`` and ``is_first``. An
    object new to the collection with one version needs nothing (both flags stay true)."""
    clear_latest: list[int] = []
    clear_first: list[int] = []
    for rid, fresh in by_record.items():
        old = existing.get(rid)
        if old is None and len(fresh) == 1:
            continue
        old = old or []
        top = max([r[6] for r in fresh] + [e[1] for e in old])
        bottom = min([r[6] for r in fresh] + [e[1] for e in old])
        for r in fresh:
            r[8] = r[6] == top
            r[9] = r[6] == bottom
        for pk, vus, latest, first in old:
            if latest and vus != top:
                clear_latest.append(pk)
            if first and vus != bottom:
                clear_first.append(pk)
    return clear_latest, clear_first


def _refresh_flags(collection: Collection, record_id: int) -> None:
    rows = list(
        CollectionEntry.objects.filter(collection=collection, record_id=record_id).values_list(
            "pk", "version_us"
        )
    )
    if not rows:
        return
    top = max(v for _, v in rows)
    bottom = min(v for _, v in rows)
    for pk, v in rows:
        CollectionEntry.objects.filter(pk=pk).update(is_latest=v == top, is_first=v == bottom)


# --------------------------------------------------------------------------------------------
# Reads


def visible_entries(user: User, collection: Collection, purpose: str) -> QuerySet[CollectionEntry]:
    """The collection's entries whose records ``user`` may see under ``purpose`` (the same rules
    as ``Record.objects.restrict``)."""
    q = restrict_q(user, purpose, prefix="record__")
    if q is None:
        return CollectionEntry.objects.none()
    return CollectionEntry.objects.filter(collection=collection).filter(q)


def audit_read(
    user: User,
    *,
    collection: Collection,
    what: str,
    personal_ids: Sequence[str],
    returned: int,
    purpose: str,
    case: str = "",
) -> None:
    """Log a TAXII read that returned personal data (nothing is logged when it returned none).

    Legal effect: records a consultation of personal data (LED Art 25) with its purpose.
    """
    if not personal_ids:
        return
    ids = sorted(set(personal_ids))
    audit(
        user,
        "taxii.read",
        object_ids=ids[:AUDIT_ID_LIMIT],
        purpose=purpose,
        case=case,
        detail={
            "collection": str(collection.pk),
            "what": what,
            "returned": returned,
            "personal": len(ids),
        },
    )


# --------------------------------------------------------------------------------------------
# Writes


def _timestamp_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def add_objects(
    user: User, collection: Collection, objects: Sequence[Any], *, purpose: str
) -> TaxiiStatus:
    """Store the objects of a TAXII envelope and add them to ``collection``; returns the status.

    Legal effect: as ``ingest_objects`` (the valid objects become records, or versions of
    records, owned by ``user``, whose markings then govern every read), per object: refused
    objects are listed as failures with the reason and nothing of them is stored; stored and
    already-stored objects become entries of the collection, readable by its readers within the
    record rules. Stored objects, entries, status and the audit entry (``taxii.post``) commit
    together; ``taxii.post`` lists the ids that the store's ``record.import`` entry of the same
    transaction does not, and names that entry (``record_import_seq``) with the SHA-256 of every
    succeeded id (sorted, one per line), so that no id is listed twice.
    """
    from accord.intel.services import ingest_objects, validate_objects

    requested = _timestamp_now()
    source = f"taxii:{collection.pk}"
    # Validated before the transaction, which holds the database's write lock (IMMEDIATE):
    # the lock is held for the look-ups and writes only (see docs/taxii.md).
    batch = validate_objects(objects, source=source)
    with transaction.atomic():
        report = ingest_objects(
            user,
            batch,
            source=source,
            purpose=purpose,
            all_or_nothing=False,
        )
        reasons = report.refusal_messages()
        successes: list[dict[str, str]] = []
        failures: list[dict[str, str]] = []
        pairs: list[tuple[str, str]] = []
        for i, obj in enumerate(objects):
            sid = obj.get("id") if isinstance(obj, dict) else None
            sid = sid if isinstance(sid, str) else ""
            version = ""
            if isinstance(obj, dict):
                version = str(obj.get("modified") or obj.get("created") or "")
            if i in reasons:
                failures.append({"id": sid, "version": version, "message": reasons[i]})
            else:
                successes.append({"id": sid, "version": version})
                pairs.append((sid, version))
        add_entries(collection, pairs, created=report.created_versions)
        status = TaxiiStatus.objects.create(
            user=user,
            collection=collection,
            status="complete",
            request_timestamp=requested,
            total_count=len(objects),
            success_count=len(successes),
            failure_count=len(failures),
            pending_count=0,
            successes=successes,
            failures=failures,
            pendings=[],
        )
        ids = sorted({s["id"] for s in successes})
        # The ids the store's own record.import entry (same transaction) already lists are not
        # listed again: this entry names that entry and the digest of all its ids instead.
        listed = report.audit_listed_ids
        detail: dict[str, Any] = {
            "collection": str(collection.pk),
            "status": str(status.pk),
            "total": len(objects),
            "successes": len(successes),
            "failures": len(failures),
        }
        if listed:
            detail["record_import_seq"] = report.audit_seq
            detail["object_ids_sha256"] = ids_sha256(ids)
            ids = [i for i in ids if i not in listed]
        audit(
            user,
            "taxii.post",
            object_ids=ids[:AUDIT_ID_LIMIT],
            purpose=purpose,
            outcome=Outcome.OK if successes or not failures else Outcome.REFUSED,
            detail=detail,
        )
    return status


def get_status(user: User, status_id: str) -> TaxiiStatus | None:
    """The status of one of ``user``'s own POSTs (None for anyone else's or an unknown id)."""
    try:
        key = uuid.UUID(status_id)
    except ValueError:
        return None
    return TaxiiStatus.objects.filter(pk=key, user=user).first()


def remove_object(
    user: User, collection: Collection, stix_id: str, version_q: Q, *, purpose: str
) -> int:
    """Remove the visible versions of ``stix_id`` selected by ``version_q`` from ``collection``.

    Legal effect: the object is no longer offered in this collection; it stays in the node's
    record store (its records, versions and audit trail are untouched). Only a user who may
    change the record removes it (:func:`accord.intel.writes.change_denial`; PermissionDenied
    otherwise, audited as denied); a record the user may not read answers as a missing one
    (0). Audited (``taxii.delete``).
    """
    from accord.intel.writes import change_denial

    qs = visible_entries(user, collection, purpose).filter(record__stix_id=stix_id)
    record = Record.objects.filter(pk__in=qs.values("record_id")).first()
    why = change_denial(user, record) if record is not None else ""
    if record is not None and not why and not user.can("record.create"):
        why = "your role may not remove records from a collection"
    if why:
        audit(
            user,
            "taxii.delete",
            object_ids=[stix_id],
            purpose=purpose,
            outcome=Outcome.DENIED,
            detail={"collection": str(collection.pk), "why": why},
        )
        raise PermissionDenied(why)
    with transaction.atomic():
        found = list(qs.filter(version_q).values_list("pk", "record_id"))
        if not found:
            return 0
        pks = [pk for pk, _ in found]
        CollectionEntry.objects.filter(pk__in=pks).delete()
        _refresh_flags(collection, found[0][1])
        audit(
            user,
            "taxii.delete",
            object_ids=[stix_id],
            purpose=purpose,
            detail={"collection": str(collection.pk), "entries": len(pks)},
        )
    return len(pks)
