"""The record store: one ``Record`` per STIX id, one ``RecordVersion`` per (id, modified).

Markings are pulled out of the STIX JSON into indexed columns (``Record.tlp``,
``Record.handling_code``) and rows of ``RecordMarking`` (releasability, purposes), names into
``NameToken`` rows (normalised: case-, accent- and script-insensitive) and identifiers
(documents, phones, e-mails, reference numbers) into ``Identifier`` rows, so that search and
access checks never parse JSON.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.intel.querysets import RecordQuerySet

__all__ = [
    "Case",
    "CaseMembership",
    "Identifier",
    "ImportJob",
    "NameToken",
    "Record",
    "RecordGrant",
    "RecordMarking",
    "RecordVersion",
]


class Case(models.Model):
    """An investigation. A record tied to a case is visible only to the case's members."""

    reference = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CaseMembership", related_name="cases"
    )

    def __str__(self) -> str:
        return self.reference


class CaseMembership(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="uniq_case_member")]


class Record(models.Model):
    """The current state of one STIX object (its latest version), with indexed markings."""

    stix_id = models.CharField(max_length=100, unique=True)
    #: Indexed by ``record_type_modified`` (type first), so no index of its own.
    stix_type = models.CharField(max_length=64)
    spec_version = models.CharField(max_length=8, default="2.1")
    created_by_ref = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(null=True)
    modified = models.DateTimeField(null=True, db_index=True)
    display_name = models.CharField(max_length=300, blank=True)
    revoked = models.BooleanField(default=False)
    personal_data = models.BooleanField(default=False)
    #: TLP 2.0 colour ('clear', 'green', 'amber', 'amber+strict', 'red') or '' when unmarked.
    tlp = models.CharField(max_length=16, blank=True, db_index=True)
    #: Europol handling code H0-H3 or ''.
    handling_code = models.CharField(max_length=2, blank=True, db_index=True)
    #: Node that originated the object ('' for this node).
    origin_node = models.CharField(max_length=64, blank=True, db_index=True)
    owner_agency = models.CharField(max_length=64, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT)
    #: Earliest and latest possible birth year (persons), for date search.
    birth_year_min = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_year_max = models.PositiveSmallIntegerField(null=True, blank=True)
    version_count = models.PositiveIntegerField(default=1)
    #: The latest version's JSON text (a copy of ``RecordVersion.data``), for fast reads.
    data = models.TextField()
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["stix_type", "modified"], name="record_type_modified"),
            models.Index(fields=["birth_year_min", "birth_year_max"], name="record_birth_years"),
            # The screening watchlist's look for changed persons (accord.screening.watchlist).
            models.Index(fields=["stix_type", "updated_at"], name="record_type_updated"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.stix_id


class RecordVersion(models.Model):
    """One version of a STIX object, identified by (id, modified), never changed once written."""

    #: Not indexed on its own: the unique (record, modified) constraint serves look-ups.
    record = models.ForeignKey(
        Record, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    #: The exact STIX ``modified`` timestamp string (or ``created`` for unversioned objects).
    modified = models.CharField(max_length=40)
    data = models.TextField(help_text="The object's JSON as received.")
    sha256 = models.CharField(max_length=64)
    added_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=200, blank=True, help_text="Import file, feed or user.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "modified"], name="uniq_record_version")
        ]
        ordering = ["record", "modified"]


#: Name tokens, identifiers and marking rows are derived from a record's current version, written
#: and deleted with it by the import and the write services (``intel.services``), and read only
#: joined to ``Record`` (an orphan row would match no record). Their ``record`` keys carry no
#: foreign-key constraint in the database: on PostgreSQL each of the eight or so rows a record
#: adds was checked at commit, about 6 us of the server's time each (measured, 500,000 rows:
#: 5.6 s with the constraint, 2.5 s without), a third of a bulk import's time on the server.
#: Deleting a record through the ORM still deletes them (Django's cascade, in Python).
DERIVED_ROWS = ("intel_nametoken", "intel_identifier", "intel_recordmarking")


class RecordMarking(models.Model):
    """One marking fact of a record, indexed: kind 'release' (jurisdiction) or 'purpose'."""

    #: Not indexed on its own: the (record, kind, value) index serves look-ups. No foreign-key
    #: constraint in the database (``DERIVED_ROWS``).
    record = models.ForeignKey(
        Record,
        on_delete=models.CASCADE,
        related_name="marking_rows",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(max_length=16)
    value = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "value", "record"], name="marking_kind_value"),
            models.Index(fields=["record", "kind", "value"], name="marking_record_kind"),
        ]


class NameToken(models.Model):
    """A normalised token of a record's name (every script, accent- and case-folded).

    Two covering indexes: (token, record) drives a search by the rarest token as a range scan;
    (record, token) answers "does this record also have a token starting with ..." in one seek.
    On PostgreSQL both order ``token`` by its bytes (``varchar_pattern_ops``), so the prefix
    test ``LIKE 't%'`` is an index range whatever the database's collation; SQLite ignores the
    operator classes (its search compares ``token >= t AND token < t || U+10FFFF``).
    """

    record = models.ForeignKey(
        Record, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )  # no foreign-key constraint in the database: ``DERIVED_ROWS``
    token = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(
                fields=["token", "record"],
                name="nametoken_token",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
            models.Index(
                fields=["record", "token"],
                name="nametoken_record_token",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
        ]


class Identifier(models.Model):
    """A normalised identifier of a record: document number, phone, e-mail, reference, hash."""

    record = models.ForeignKey(
        Record, on_delete=models.CASCADE, related_name="identifiers", db_constraint=False
    )  # no foreign-key constraint in the database: ``DERIVED_ROWS``
    kind = models.CharField(max_length=32)
    value = models.CharField(max_length=200)

    class Meta:
        indexes = [models.Index(fields=["value", "record"], name="identifier_value")]


class RecordGrant(models.Model):
    """A named user allowed to see a TLP:RED record (TLP:RED goes to named recipients only),
    and, with ``can_write``, to change it as its owner may (new versions, revocation)."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    can_write = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "user"], name="uniq_grant")]


class ImportJob(models.Model):
    """One file being imported: progress while it runs, then the report."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    format = models.CharField(max_length=16)
    filename = models.CharField(max_length=255)
    path = models.CharField(max_length=500, blank=True)
    purpose = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
