"""Bringing a node's database up to this release: the apps' new labels, then Django's migrations.

Why a step before ``migrate``: nodes made before the apps were renamed have the TAXII 2.1
server under the label ``federation`` (tables ``federation_*``) and node-to-node transport
under ``peers`` (tables ``peers_*``); now the TAXII server is ``taxii`` and node-to-node
transport is ``federation`` (the TAXII client keeps ``feeds``). Django knows an app by its
label alone: on such a database, ``migrate`` would take the TAXII server's rows in
``django_migrations`` for the new ``federation`` app's, skip creating its tables, and create
empty ``taxii_*`` tables beside the old ones. So :func:`move_app_labels` runs first and, only on
a database with the old layout (``django_migrations`` holds rows of the app ``peers``), in one
transaction, the label ``federation`` before ``peers``:

- renames the rows of ``django_migrations`` (``federation`` -> ``taxii``, then ``peers`` ->
  ``federation``) and of ``django_content_type`` (likewise; permissions follow their content
  type by id);
- renames the tables, ``federation_*`` -> ``taxii_*``, then ``peers_*`` -> ``federation_*``.
  Foreign keys follow: SQLite rewrites the references of other tables (legacy_alter_table is
  off), PostgreSQL keeps them by oid;
- rewrites the module paths that django-tasks stored (``task_path``,
  ``exception_class_path``), so that a delivery queued before the upgrade runs after it;
- appends ``node.upgrade`` to the audit trail when the trail's tables are migrated, in the same
  transaction; otherwise it logs the change and appends the entry once ``migrate`` has run.

Names that stay: indexes and constraints. Those a migration names (``taxii_entry_*``,
``peers_outbox_*``, ``peers_nonce_once``) have the same names on new and upgraded databases.
Those Django or PostgreSQL derived from the old table names (primary keys, foreign keys,
``unique=True``, ``db_index=True``, identity sequences) keep them: no migration refers to them
by name (Django finds them by column when altering a field, and sequences with
``pg_get_serial_sequence``). They would only collide with a new table that takes an old table's
name; ``LEGACY_TABLES`` lists those names, and a test keeps models off them.

:func:`upgrade_database` is the whole upgrade: ``accord upgrade`` runs it, and so do ``accord
serve`` and its worker on start and ``accord init``/``accord demo`` (a new database has nothing
to rename).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction

__all__ = [
    "LABEL_MOVES",
    "LEGACY_TABLES",
    "MODULE_MOVES",
    "UpgradeError",
    "UpgradeReport",
    "move_app_labels",
    "moved_module_path",
    "pending_migrations",
    "upgrade_database",
]

log = logging.getLogger(__name__)

#: (old label, new label), in the order they must be applied: ``federation`` is free for the
#: peers app only once the TAXII server has left it.
LABEL_MOVES: tuple[tuple[str, str], ...] = (("federation", "taxii"), ("peers", "federation"))

#: (old module prefix, new), the first that matches applies.
MODULE_MOVES: tuple[tuple[str, str], ...] = (
    ("accord.federation.peers.", "accord.federation."),
    ("accord.federation.feeds.", "accord.feeds."),
    ("accord.federation.taxii.", "accord.taxii."),
    ("accord.federation.bench.", "accord.cli.bench_taxii."),
    ("accord.federation.", "accord.taxii."),
    ("accord.intel.bench.", "accord.intel.factories."),
)

#: Tables of the old layout whose names now belong to no table: indexes and constraints of the
#: renamed tables still carry names derived from them, so no new model may take them.
LEGACY_TABLES: frozenset[str] = frozenset(
    {
        "federation_collection",
        "federation_collectionaccess",
        "federation_collectionentry",
        "federation_taxiistatus",
        "peers_peer",
        "peers_outboxitem",
        "peers_pullcursor",
        "peers_seennonce",
        "peers_workerbeat",
    }
)

#: A migration only the old TAXII server app (label ``federation``) had.
_OLD_TAXII_MIGRATION = "0002_entry_record_index"
#: The apps the audit trail reads and writes.
_AUDIT_APPS = ("node", "oversight")


class UpgradeError(RuntimeError):
    """The database is in a state the upgrade does not know how to bring forward."""


@dataclass
class UpgradeReport:
    """What :func:`upgrade_database` did."""

    #: table renames, old -> new, in the order made (empty: the layout was already current)
    tables: dict[str, str] = field(default_factory=dict)
    #: rows of django_migrations, django_content_type and task results rewritten
    migration_rows: int = 0
    content_types: int = 0
    tasks: int = 0
    #: the ``node.upgrade`` audit entry's sequence number (None: not written)
    audit_seq: int | None = None
    #: the migrations ``migrate`` applied, as "app.name"
    migrations: list[str] = field(default_factory=list)

    @property
    def moved(self) -> bool:
        return bool(self.tables or self.migration_rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "moved_labels": self.moved,
            "tables": self.tables,
            "migration_rows": self.migration_rows,
            "content_types": self.content_types,
            "tasks": self.tasks,
            "audit_seq": self.audit_seq,
            "migrations": self.migrations,
        }


def moved_module_path(path: str) -> str:
    """``path`` (a dotted path to a function or class) under the current module layout."""
    for old, new in MODULE_MOVES:
        if path.startswith(old):
            return new + path[len(old) :]
    return path


def _applied(cursor: Any, app: str) -> set[str]:
    cursor.execute("SELECT name FROM django_migrations WHERE app = %s", [app])
    return {row[0] for row in cursor.fetchall()}


def _audit_ready(cursor: Any) -> bool:
    """Whether every migration of the apps the audit trail uses is applied."""
    from django.db.migrations.loader import MigrationLoader

    on_disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    for app in _AUDIT_APPS:
        if not {name for label, name in on_disk if label == app} <= _applied(cursor, app):
            return False
    return True


def _rename_tables(cursor: Any, connection: Any, tables: list[str], report: UpgradeReport) -> None:
    existing = set(tables)
    quote = connection.ops.quote_name
    for old_label, new_label in LABEL_MOVES:
        prefix = f"{old_label}_"
        for old in sorted(t for t in existing if t.startswith(prefix)):
            new = f"{new_label}_{old[len(prefix) :]}"
            if new in existing:
                raise UpgradeError(
                    f"cannot rename table {old} to {new}: {new} exists already (was this "
                    f"database migrated by a newer release without `accord upgrade`?)"
                )
            cursor.execute(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}")
            existing.discard(old)
            existing.add(new)
            report.tables[old] = new


def _rewrite_task_paths(cursor: Any, tables: list[str], report: UpgradeReport) -> None:
    from django_tasks_db.models import DBTaskResult

    table = DBTaskResult._meta.db_table
    if table not in tables:
        return
    cursor.execute(
        f"SELECT id, task_path, exception_class_path FROM {table}"
        " WHERE task_path LIKE %s OR exception_class_path LIKE %s",
        ["accord.%", "accord.%"],
    )
    for pk, task_path, exception_path in cursor.fetchall():
        new_task, new_exception = moved_module_path(task_path), moved_module_path(exception_path)
        if (new_task, new_exception) != (task_path, exception_path):
            cursor.execute(
                f"UPDATE {table} SET task_path = %s, exception_class_path = %s WHERE id = %s",
                [new_task, new_exception, pk],
            )
            report.tasks += 1


def _audit(report: UpgradeReport) -> None:
    from accord.oversight.services import audit

    event = audit(
        "system",
        "node.upgrade",
        detail={
            "step": "app labels",
            "labels": dict(LABEL_MOVES),
            "tables": report.tables,
            "migration_rows": report.migration_rows,
            "content_types": report.content_types,
            "tasks": report.tasks,
        },
    )
    report.audit_seq = event.seq


def move_app_labels(using: str = DEFAULT_DB_ALIAS) -> UpgradeReport:
    """On a database with the old app layout, move it to the new labels (see the module
    docstring); on any other database, do nothing. One transaction: all of it or none.

    Legal effect: none on records; the node's data keeps its content and its audit trail, under
    the apps' new names. Audited (``node.upgrade``).
    """
    report = UpgradeReport()
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if "django_migrations" not in tables:
        return report  # a new database: migrate creates everything under the new labels
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one upgrade at a time (SQLite: IMMEDIATE)
            cursor.execute("LOCK TABLE django_migrations IN SHARE ROW EXCLUSIVE MODE")
        if not _applied(cursor, "peers"):
            if _OLD_TAXII_MIGRATION in _applied(cursor, "federation"):
                raise UpgradeError(
                    "django_migrations holds the old TAXII server's migrations under the label "
                    "'federation' but none of 'peers': not a layout this upgrade knows"
                )
            return report
        if _applied(cursor, "taxii"):
            raise UpgradeError(
                "django_migrations holds rows of both 'peers' (the old layout) and 'taxii' (the "
                "new one): was this database migrated by a newer release without `accord "
                "upgrade`? Restore it from a backup made before that."
            )
        has_content_types = "django_content_type" in tables
        for old_label, new_label in LABEL_MOVES:
            cursor.execute(
                "UPDATE django_migrations SET app = %s WHERE app = %s", [new_label, old_label]
            )
            report.migration_rows += cursor.rowcount
            if has_content_types:
                cursor.execute(
                    "UPDATE django_content_type SET app_label = %s WHERE app_label = %s",
                    [new_label, old_label],
                )
                report.content_types += cursor.rowcount
        _rename_tables(cursor, connection, tables, report)
        _rewrite_task_paths(cursor, tables, report)
        log.info(
            "upgrade: app labels moved (%s); tables renamed: %s; task results rewritten: %d",
            ", ".join(f"{old} -> {new}" for old, new in LABEL_MOVES),
            ", ".join(f"{old} -> {new}" for old, new in report.tables.items()),
            report.tasks,
        )
        if _audit_ready(cursor):
            _audit(report)
        else:
            log.warning("upgrade: the audit trail is not migrated yet; audited after migrate")
    return report


def pending_migrations(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The migrations ``migrate`` would apply now, as "app.name", in order."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, backwards in plan if not backwards]


def upgrade_database(using: str = DEFAULT_DB_ALIAS, *, verbosity: int = 0) -> UpgradeReport:
    """Bring the database up to this release: :func:`move_app_labels`, then Django's
    ``migrate`` when a migration is pending. Safe to run on every start: on a current
    database it reads ``django_migrations`` and returns.

    Legal effect: none on records (see :func:`move_app_labels`).
    """
    report = move_app_labels(using)
    report.migrations = pending_migrations(using)
    if report.migrations:
        call_command("migrate", database=using, interactive=False, verbosity=verbosity)
    if report.moved and report.audit_seq is None:
        _audit(report)
    return report
