"""Bulk inserts for large imports: rows are written on a background thread while the importing
thread prepares the next chunk (normalising names, building rows).

Why a thread: the database drivers release the GIL while the database works (SQLite's
``sqlite3_step``, PostgreSQL's network round trips), so on two cores preparing chunk *n + 1*
overlaps with writing chunk *n* (``accord bench store`` measures the import rate this gives).

Rules that keep it safe:

- one writer thread, jobs run in submission order, on the *same* connection and so inside the
  caller's transaction (a refusal or error rolls everything back: all or nothing still holds);
- the caller never touches the connection while jobs are pending: :meth:`BulkWriter.flush`
  waits for them (and re-raises the first error) and must be called before any other query;
- statements are parameterised (``INSERT ... VALUES (?, ...)``); nothing is interpolated but
  table and column names from the models.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import connection

from accord.node.chunking import chunks

__all__ = [
    "BulkWriter",
    "allocate_ids",
    "collector_paused",
    "insert_rows",
    "insert_rows_sqlite",
    "refresh_after_bulk_import",
]

#: Rows per ``executemany`` call.
INSERT_CHUNK = 10_000
#: Records and versions written by one import from which ``refresh_after_bulk_import`` runs.
BULK_REFRESH_ROWS = 20_000
#: What a bulk import writes to, refreshed after it.
_SEARCH_TABLES = ("intel_record", "intel_recordversion", "intel_nametoken", "intel_identifier",
                  "intel_recordmarking")  # fmt: skip
#: Rows per multi-row ``INSERT`` statement on SQLite (see :func:`insert_rows_sqlite`), and the
#: most bound values per statement (SQLite's default limit since 3.32).
ROWS_PER_STATEMENT = 1000
_MAX_VARIABLES = 32_766


_pause_lock = threading.Lock()
_pause_depth = 0
_pause_was_enabled = False


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch of objects is parsed, validated
    and stored; the previous state is restored when the last overlapping pause ends.

    Why: parsing an envelope or an import file allocates tens of thousands of dicts, lists and
    strings that form no reference cycles (they are freed by reference counting). Every 700
    allocations start a collection, and the growth soon triggers full ones that walk the whole
    heap of a Django process, a noticeable share of the CPU time of storing a 1,000-object TAXII
    envelope. Cycles made meanwhile are collected as usual once the pause ends.
    Thread-safe and re-entrant (a depth counter under a lock): concurrent requests do not
    re-enable the collector under one another.
    """
    global _pause_depth, _pause_was_enabled
    with _pause_lock:
        if _pause_depth == 0:
            _pause_was_enabled = gc.isenabled()
            gc.disable()
        _pause_depth += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause_depth -= 1
            if _pause_depth == 0 and _pause_was_enabled:
                gc.enable()


def _target(model: Any, fields: Sequence[str]) -> str:
    """``"table" ("column", ...)``: where rows of ``fields`` go, quoted from the model."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
    return f"{quote(model._meta.db_table)} ({columns})"


def allocate_ids(model: Any, count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``, reserved inside the current transaction.

    SQLite: the write lock is held (transactions start IMMEDIATE), so MAX(id)+1.. is ours.
    PostgreSQL: values drawn from the column's identity sequence.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        first = int(cursor.fetchone()[0]) + 1
    return list(range(first, first + count))


def refresh_after_bulk_import(rows: int) -> bool:
    """After an import that wrote ``rows`` records and versions (``BULK_REFRESH_ROWS`` or more),
    on PostgreSQL: ``VACUUM (ANALYZE)`` the tables a search reads. Returns whether it ran.

    Why: freshly inserted rows are not yet marked all-visible, so an "index only" scan of the
    name tokens still reads the table for each row (16,655 heap fetches and 29,366 pages read
    for one search right after a 1,000,000-record import: 260 ms, against 47 ms once vacuumed),
    and the planner's statistics still describe the table before the import. Autovacuum would
    get there within minutes (its insert threshold); this does it at once, at a cost of
    seconds for a million records. Not inside a transaction (``VACUUM`` cannot run in one: an
    import inside a caller's transaction leaves it to autovacuum). SQLite has no visibility
    map and plans without statistics here: nothing to do."""
    if rows < BULK_REFRESH_ROWS or connection.vendor != "postgresql":
        return False
    if connection.in_atomic_block:
        return False
    tables = ", ".join(connection.ops.quote_name(t) for t in _SEARCH_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
    return True


class BulkWriter:
    """Runs INSERT jobs on one background thread, on the caller's connection.

    ``inline=True``: the jobs run at once on the calling thread, for a batch of one chunk,
    where there is nothing to prepare while the rows are written (a TAXII envelope): no
    thread is started and no job handed over.
    """

    def __init__(self, *, inline: bool = False) -> None:
        connection.ensure_connection()
        self._raw = connection.connection
        self._vendor = connection.vendor
        self._pool = (
            None if inline else ThreadPoolExecutor(max_workers=1, thread_name_prefix="accord-bulk")
        )
        self._pending: list[Future[None]] = []

    def __enter__(self) -> BulkWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.flush()
            else:  # an error is already on its way: wait for the thread, keep the first error
                for future in self._pending:
                    future.exception()
                self._pending.clear()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)

    def insert(self, model: Any, fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Queue ``rows`` for insertion into ``model``'s table (in submission order)."""
        if not rows:
            return
        target = _target(model, fields)
        if self._pool is None:
            self._run(target, list(rows))
            return
        self._pending.append(self._pool.submit(self._run, target, list(rows)))

    def flush(self) -> None:
        """Wait for every queued insert; re-raise the first error."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def _run(self, target: str, rows: list[Sequence[Any]]) -> None:
        _insert(self._raw, self._vendor, target, rows)


def insert_rows(model: Any, fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (values in the order of ``fields``) into ``model``'s table on the
    current connection, inside the caller's transaction: multi-row statements on SQLite
    (:func:`insert_rows_sqlite`), ``COPY ... FROM STDIN`` on PostgreSQL
    (:func:`copy_rows_postgresql`), ``executemany`` elsewhere."""
    if not rows:
        return
    connection.ensure_connection()
    _insert(connection.connection, connection.vendor, _target(model, fields), rows)


def _insert(raw: Any, vendor: str, target: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` into ``target`` (:func:`_target`) on the raw connection ``raw``."""
    if vendor == "postgresql":
        copy_rows_postgresql(raw, target, rows)
        return
    placeholder = "?" if vendor == "sqlite" else "%s"
    sql = f"INSERT INTO {target} VALUES ({', '.join([placeholder] * len(rows[0]))})"
    if vendor == "sqlite":
        insert_rows_sqlite(raw, sql, rows)
        return
    for chunk in chunks(rows, INSERT_CHUNK):
        with raw.cursor() as cursor:
            cursor.executemany(sql, chunk)


def copy_rows_postgresql(raw: Any, target: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` into ``target`` (``"table" ("column", ...)``) as one
    ``COPY target FROM STDIN`` on the raw psycopg connection ``raw``.

    Why: ``executemany`` sends and executes the one-row statement once per row (pipelined, but
    each row is still parsed, planned and executed by the server); COPY streams the rows and
    the server inserts them in one command, firing the same constraints and triggers. The
    values are adapted by psycopg as for a query (no text is interpolated); a constraint
    violation aborts the COPY, and with it the caller's transaction, like an INSERT would.
    """
    if not rows:
        return
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def insert_rows_sqlite(raw: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run ``sql`` (``INSERT ... VALUES (?, ...)``, one row) for every row of ``rows`` on the
    raw ``sqlite3`` connection ``raw``, as multi-row statements of up to
    :data:`ROWS_PER_STATEMENT` rows.

    Why: ``executemany`` runs the one-row statement once per row, and each run opens a cursor
    on the table and on every one of its indexes, binds the row and resets; a multi-row
    ``VALUES`` list does that once per statement. The rows are inserted in the same order.
    """
    if not rows:
        return
    width = len(rows[0])
    per = max(1, min(ROWS_PER_STATEMENT, _MAX_VARIABLES // width))
    head, _, one = sql.rpartition(" VALUES ")
    full = f"{head} VALUES {', '.join([one] * per)}"
    chain = itertools.chain.from_iterable
    whole = len(rows) - len(rows) % per
    for start in range(0, whole, per):
        raw.execute(full, list(chain(rows[start : start + per])))
    if whole < len(rows):
        rest = rows[whole:]
        raw.execute(f"{head} VALUES {', '.join([one] * len(rest))}", list(chain(rest)))
