"""Record a person of interest from a form, so that flow 1 (BRIEF section 4) can start without
a STIX file: the analyst's entries become one STIX 2.1 ``identity`` with the Accord
person-of-interest extension, created by this node's identity (so this node can sign and share
it), marked with the chosen TLP and Accord handling restriction, and stored through the same
validated, audited path as any import (:func:`accord.intel.services.ingest_objects`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from accord.engine.stix.markings import TLP_IDS, HandlingMarking, handling_marking_definition
from accord.engine.stix.person import PERSON_EXTENSION_ID
from accord.oversight.services import Outcome, audit

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.intel.models import Record

__all__ = ["PersonEntry", "person_object", "record_person"]


@dataclass(frozen=True)
class PersonEntry:
    """What the analyst entered: names, birth date, nationality, passport and markings."""

    name: str
    tlp: str
    handling_code: str = ""
    purposes: tuple[str, ...] = ()
    other_name: str = ""
    other_script: str = ""
    aliases: tuple[str, ...] = field(default=())
    birth_date: date | None = None
    nationality: str = ""
    passport_number: str = ""
    passport_country: str = ""


def _now() -> str:
    return str(timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f"))[:-3] + "Z"


def person_object(entry: PersonEntry, creator: str, marking_refs: list[str]) -> dict[str, Any]:
    """The STIX ``identity`` (individual) with the person extension for ``entry``."""
    names = [{"full_name": entry.name, "name_type": "primary", "script": "Latn"}]
    if entry.other_name:
        other = {"full_name": entry.other_name, "name_type": "primary"}
        if entry.other_script:
            other["script"] = entry.other_script
        names.append(other)
    names += [{"full_name": a, "name_type": "alias"} for a in entry.aliases]
    extension: dict[str, Any] = {
        "extension_type": "property-extension",
        "subject_type": "person",
        "names": names,
    }
    if entry.birth_date:
        extension["birth_dates"] = [{"precision": "exact", "date": entry.birth_date.isoformat()}]
    if entry.nationality:
        extension["nationalities"] = [entry.nationality]
    if entry.passport_number:
        document = {"document_type": "passport", "number": entry.passport_number}
        if entry.passport_country:
            document["issuing_country"] = entry.passport_country
        extension["documents"] = [document]
    now = _now()
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{uuid.uuid4()}",
        "created_by_ref": creator,
        "created": now,
        "modified": now,
        "name": entry.name,
        "identity_class": "individual",
        "object_marking_refs": marking_refs,
        "extensions": {PERSON_EXTENSION_ID: extension},
    }


def record_person(user: User | None, entry: PersonEntry, *, purpose: str) -> Record:
    """Store a new person record written by ``user`` on this node; the stored ``Record``.

    Legal effect: this node becomes the originator (and controller) of new personal data, held
    under the chosen TLP and handling restriction (only those purposes, when given); it can
    later sign and disclose it. Stored all or nothing through ``ingest_objects`` (validated
    against the person schema, audited as ``record.import`` with the purpose); a role without
    ``record.create`` is refused and audited. Raises ``RecordRefused`` with the reasons when
    the object is invalid, ``PermissionDenied`` for the role, ``DisseminationError`` when this
    node has no identity or the TLP is unknown.
    """
    from django.core.exceptions import PermissionDenied

    from accord.dissemination.services import DisseminationError
    from accord.intel.models import Record
    from accord.intel.services import RecordRefused, ingest_objects
    from accord.node.models import NodeIdentity

    if user is None or not user.can("record.create"):
        audit(
            user,
            "record.create",
            purpose=purpose,
            outcome=Outcome.DENIED,
            detail={"permission": "record.create", "what": "person form"},
        )
        raise PermissionDenied("your role may not create records (record.create)")
    if entry.tlp not in TLP_IDS:
        raise DisseminationError(f"unknown TLP {entry.tlp!r}")
    me = NodeIdentity.current()
    if me is None:
        raise DisseminationError("this node has no identity (run accord init)")
    objects: list[dict[str, Any]] = []
    refs = [TLP_IDS[entry.tlp]]
    if entry.handling_code or entry.purposes:
        marking = HandlingMarking(handling_code=entry.handling_code, purposes=entry.purposes)
        definition = handling_marking_definition(marking)
        objects.append(definition)
        refs.append(definition["id"])
    obj = person_object(entry, me.identity_id, refs)
    objects.append(obj)
    source = f"user:{getattr(user, 'username', '')} (person form)"
    report = ingest_objects(user, objects, source=source, purpose=purpose)
    if not report.ok:
        raise RecordRefused(report.refused)
    return Record.objects.get(stix_id=obj["id"])
