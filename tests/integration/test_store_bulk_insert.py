"""Bulk inserts (``accord.intel.bulk``): multi-row statements on SQLite (``insert_rows_sqlite``)
store every row once, in order, across statement boundaries, with any column count; COPY on
PostgreSQL (``insert_rows`` on the configured database) keeps every value and the order."""

from __future__ import annotations

import sqlite3

import pytest

from accord.intel import bulk


@pytest.mark.parametrize("count", [0, 1, 450, 999, 1000, 1001, 2500])
def test_every_row_once_in_order(count):
    raw = sqlite3.connect(":memory:")
    raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b BLOB, c INTEGER)")
    rows = [(n + 1, f"row {n}", bytes([n % 256]) if n % 3 else None, -n) for n in range(count)]
    bulk.insert_rows_sqlite(raw, "INSERT INTO t (id, a, b, c) VALUES (?, ?, ?, ?)", rows)
    assert raw.execute("SELECT id, a, b, c FROM t ORDER BY rowid").fetchall() == rows


def test_wide_rows_stay_under_the_bound_value_limit(monkeypatch):
    monkeypatch.setattr(bulk, "_MAX_VARIABLES", 100)  # 30 columns: 3 rows per statement
    raw = sqlite3.connect(":memory:")
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)
    columns = [f"c{i}" for i in range(30)]
    raw.execute(f"CREATE TABLE w ({', '.join(columns)})")
    rows = [tuple(n * 100 + i for i in range(30)) for n in range(10)]
    sql = f"INSERT INTO w ({', '.join(columns)}) VALUES ({', '.join(['?'] * 30)})"
    bulk.insert_rows_sqlite(raw, sql, rows)
    assert raw.execute("SELECT * FROM w ORDER BY rowid").fetchall() == rows


def test_a_constraint_violation_stores_nothing_of_its_statement():
    raw = sqlite3.connect(":memory:", isolation_level=None)
    raw.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
    raw.execute("BEGIN")
    with pytest.raises(sqlite3.IntegrityError):
        bulk.insert_rows_sqlite(
            raw, "INSERT INTO u (id, v) VALUES (?, ?)", [(1, "a"), (2, "b"), (3, "a")]
        )
    raw.execute("ROLLBACK")
    assert raw.execute("SELECT count(*) FROM u").fetchone() == (0,)


@pytest.mark.django_db
@pytest.mark.parametrize("inline", [True, False])
def test_bulk_writer_inline_or_on_its_thread_stores_every_row_in_the_transaction(inline):
    from django.db import IntegrityError, connection, transaction

    from accord.intel.models import Case

    rows = [(f"CASE-{n}", f"Case {n}", "2026-01-01 00:00:00") for n in range(2500)]
    with transaction.atomic(), bulk.BulkWriter(inline=inline) as writer:
        writer.insert(Case, ("reference", "title", "created_at"), rows)
    assert Case.objects.count() == 2500
    # A failing insert (a reference already stored) is raised, on either path (as the
    # driver's own error: the writer uses the raw connection).
    errors = (IntegrityError, connection.Database.IntegrityError)
    with pytest.raises(errors), transaction.atomic(), bulk.BulkWriter(inline=inline) as writer:
        writer.insert(Case, ("reference", "title", "created_at"), rows[:1])
    assert Case.objects.count() == 2500


HOSTILE_TITLES = [
    "tab\there",
    "new\nline",
    "back\\slash",
    "\\N",
    "NULL",
    "'quoted' \"both\"",
    "عبد الله الرشيدي",
    "",
]


@pytest.mark.django_db
def test_insert_rows_on_the_configured_database_keeps_every_value_and_the_order():
    """``insert_rows``: multi-row statements on SQLite, COPY on PostgreSQL (CI runs both):
    text that COPY's format would otherwise read as a separator, an escape or NULL comes back
    as it went in; datetimes and NULLs are adapted as for a query."""
    from datetime import UTC, datetime

    from django.db import connection

    from accord.intel.models import Case

    when = datetime(2026, 11, 28, 12, 30, 5, 123000, tzinfo=UTC)
    rows = [
        (f"CASE-{n}", title, connection.ops.adapt_datetimefield_value(when))
        for n, title in enumerate(HOSTILE_TITLES * 150)
    ]
    bulk.insert_rows(Case, ("reference", "title", "created_at"), rows)
    stored = list(Case.objects.order_by("id").values_list("reference", "title", "created_at"))
    assert [(r, t) for r, t, _ in stored] == [(r, t) for r, t, _ in rows]
    assert {c for _, _, c in stored} == {when}


@pytest.mark.django_db(transaction=True)
def test_insert_rows_that_violate_a_constraint_store_nothing():
    from django.db import IntegrityError, connection, transaction

    from accord.intel.models import Case

    rows = [(f"CASE-{n}", "t", "2026-01-01 00:00:00") for n in range(500)]
    errors = (IntegrityError, connection.Database.IntegrityError)
    with pytest.raises(errors), transaction.atomic():
        bulk.insert_rows(Case, ("reference", "title", "created_at"), [*rows, rows[7]])
    assert Case.objects.count() == 0
    bulk.insert_rows(Case, ("reference", "title", "created_at"), rows)
    assert Case.objects.count() == 500
