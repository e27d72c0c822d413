"""Database triggers that make the audit trail append-only.

``oversight_auditevent`` refuses every UPDATE and DELETE (and, on PostgreSQL, TRUNCATE); the
head row ``oversight_audithead`` may only move forward and may not be deleted. Neither the ORM
nor a stray SQL statement can then silently rewrite history. Someone with full control of the
database can still drop the triggers; ``accord audit verify`` (the hash chain, the head row and
the signed checkpoints) detects what they change afterwards. See docs/adr/0003-audit-trail.md.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ALL_SETS", "APPEND_ONLY_MESSAGE", "install_triggers", "remove_triggers"]

APPEND_ONLY_MESSAGE = "audit trail is append-only"

_SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS oversight_auditevent_no_update
    BEFORE UPDATE ON oversight_auditevent
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS oversight_auditevent_no_delete
    BEFORE DELETE ON oversight_auditevent
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS oversight_audithead_forward_only
    BEFORE UPDATE ON oversight_audithead
    WHEN NEW.seq < OLD.seq OR NEW.id <> OLD.id
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS oversight_audithead_no_delete
    BEFORE DELETE ON oversight_audithead
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;""",
]
_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS oversight_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS oversight_auditevent_no_delete;",
    "DROP TRIGGER IF EXISTS oversight_audithead_forward_only;",
    "DROP TRIGGER IF EXISTS oversight_audithead_no_delete;",
]

_POSTGRES_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION oversight_audit_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_TABLE_NAME = 'oversight_audithead' AND TG_OP = 'UPDATE'
           AND NEW.seq >= OLD.seq AND NEW.id = OLD.id THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER oversight_auditevent_append_only
    BEFORE UPDATE OR DELETE ON oversight_auditevent
    FOR EACH ROW EXECUTE FUNCTION oversight_audit_append_only();""",
    """CREATE TRIGGER oversight_auditevent_no_truncate
    BEFORE TRUNCATE ON oversight_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION oversight_audit_append_only();""",
    """CREATE TRIGGER oversight_audithead_forward_only
    BEFORE UPDATE OR DELETE ON oversight_audithead
    FOR EACH ROW EXECUTE FUNCTION oversight_audit_append_only();""",
    """CREATE TRIGGER oversight_audithead_no_truncate
    BEFORE TRUNCATE ON oversight_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION oversight_audit_append_only();""",
]
_POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS oversight_auditevent_append_only ON oversight_auditevent;",
    "DROP TRIGGER IF EXISTS oversight_auditevent_no_truncate ON oversight_auditevent;",
    "DROP TRIGGER IF EXISTS oversight_audithead_forward_only ON oversight_audithead;",
    "DROP TRIGGER IF EXISTS oversight_audithead_no_truncate ON oversight_audithead;",
    "DROP FUNCTION IF EXISTS oversight_audit_append_only();",
]

_SQLITE_CHECKPOINT_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS oversight_auditcheckpoint_no_update
    BEFORE UPDATE ON oversight_auditcheckpoint
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS oversight_auditcheckpoint_no_delete
    BEFORE DELETE ON oversight_auditcheckpoint
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;""",
]
_SQLITE_CHECKPOINT_REMOVE = [
    "DROP TRIGGER IF EXISTS oversight_auditcheckpoint_no_update;",
    "DROP TRIGGER IF EXISTS oversight_auditcheckpoint_no_delete;",
]
_POSTGRES_CHECKPOINT_INSTALL = [
    """CREATE TRIGGER oversight_auditcheckpoint_append_only
    BEFORE UPDATE OR DELETE ON oversight_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION oversight_audit_append_only();""",
    """CREATE TRIGGER oversight_auditcheckpoint_no_truncate
    BEFORE TRUNCATE ON oversight_auditcheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION oversight_audit_append_only();""",
]
_POSTGRES_CHECKPOINT_REMOVE = [
    "DROP TRIGGER IF EXISTS oversight_auditcheckpoint_append_only ON oversight_auditcheckpoint;",
    "DROP TRIGGER IF EXISTS oversight_auditcheckpoint_no_truncate ON oversight_auditcheckpoint;",
]

#: Trigger sets by name: ``trail`` (migration 0002) and ``checkpoints`` (migration 0003).
_INSTALL = {
    "trail": {"sqlite": _SQLITE_INSTALL, "postgresql": _POSTGRES_INSTALL},
    "checkpoints": {
        "sqlite": _SQLITE_CHECKPOINT_INSTALL,
        "postgresql": _POSTGRES_CHECKPOINT_INSTALL,
    },
}
_REMOVE = {
    "trail": {"sqlite": _SQLITE_REMOVE, "postgresql": _POSTGRES_REMOVE},
    "checkpoints": {"sqlite": _SQLITE_CHECKPOINT_REMOVE, "postgresql": _POSTGRES_CHECKPOINT_REMOVE},
}
ALL_SETS = ("trail", "checkpoints")


def _statements(table: dict[str, list[str]], vendor: str) -> list[str]:
    if vendor not in table:
        raise RuntimeError(f"append-only audit triggers are not written for {vendor}")
    return table[vendor]


def install_triggers(connection: Any, sets: tuple[str, ...] = ALL_SETS) -> None:
    """Install the append-only triggers on ``connection``'s database."""
    with connection.cursor() as cursor:
        for name in sets:
            for sql in _statements(_INSTALL[name], connection.vendor):
                cursor.execute(sql)


def remove_triggers(connection: Any, sets: tuple[str, ...] = ALL_SETS) -> None:
    """Remove them: only for migrations backwards and for ``flush`` (which wipes everything).
    The shared PostgreSQL function goes last, with the ``trail`` set."""
    with connection.cursor() as cursor:
        for name in reversed(ALL_SETS):
            if name in sets:
                for sql in _statements(_REMOVE[name], connection.vendor):
                    cursor.execute(sql)
