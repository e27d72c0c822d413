"""A node made by the previous release, upgraded by this one (:mod:`accord.node.upgrade`).

``tests/fixtures/upgrade/`` holds a node that the code before the apps were renamed made (see
the README there): the TAXII server under the label ``federation``, peer transport under
``peers``, the TAXII client under ``feeds``, with data in each. A copy is upgraded in a node
process (``accord upgrade``, or ``accord serve`` on start), then read through the current
models: every renamed app's rows, a TAXII GET of the collection, the feed's encrypted password,
the queued delivery task, content types and permissions, the audit trail; the schema must be
what the models say, and a second upgrade must change nothing. On PostgreSQL the same runs on
a database loaded from the dump the previous release made there.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from tests.nodes import NodeServer, free_port, process_env

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upgrade"

# Facts about the upgraded node, read through the current models in a node process.
READ = r"""
import base64
import json
import sys

from accord.cli.main import setup_django

setup_django(sys.argv[1])

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from accord.accounts.models import User
from accord.federation.models import OutboxItem, Peer, PullCursor, SeenNonce, WorkerBeat
from accord.federation.services import enqueue
from accord.feeds.models import Feed, FeedRun
from accord.feeds.secrets import decrypt_secret
from accord.intel.models import Record
from accord.node.upgrade import LEGACY_TABLES, pending_migrations
from accord.oversight.models import AuditEvent
from accord.oversight.services import verify_trail
from accord.taxii.models import Collection, CollectionAccess, CollectionEntry, TaxiiStatus

LABELS = ("taxii", "federation", "feeds", "peers")

with connection.cursor() as cursor:
    tables = set(connection.introspection.table_names(cursor))
    schema = {
        m._meta.db_table: sorted(
            c.name for c in connection.introspection.get_table_description(cursor, m._meta.db_table)
        )
        for m in apps.get_models(include_auto_created=True)
        if m._meta.db_table in tables
    }
expected = {
    m._meta.db_table: sorted(f.column for f in m._meta.local_concrete_fields)
    for m in apps.get_models(include_auto_created=True)
}

collection = Collection.objects.get(alias="shared")
ana = User.objects.get(username="ana")
auth = "Basic " + base64.b64encode(b"ana:analyst password 4711").decode()
taxii = Client(HTTP_HOST="127.0.0.1").get(
    f"/taxii2/accord/collections/{collection.pk}/objects/",
    HTTP_ACCEPT="application/taxii+json;version=2.1",
    HTTP_AUTHORIZATION=auth,
)
peer = Peer.objects.get(node_id="node-peer")
feed = Feed.objects.get(name="partner")
queued = OutboxItem.objects.get(peer=peer)
# A write through the renamed tables: a second outbox item for the renamed peer.
another = Record.objects.exclude(stix_id=queued.stix_id).filter(stix_type="identity").first()
enqueue([another], peer, purpose="counter-terrorism", deliver_now=False)
verdict = verify_trail()
upgrade = AuditEvent.objects.get(action="node.upgrade")
print(json.dumps({
    "schema": {t: cols for t, cols in expected.items() if schema.get(t) != cols},
    "legacy_tables": sorted(tables & LEGACY_TABLES),
    "pending": pending_migrations(),
    "collection": [collection.title, collection.api_root],
    "access": list(CollectionAccess.objects.filter(user=ana).values_list("can_read", "can_write")),
    "entries": CollectionEntry.objects.filter(collection=collection).count(),
    "status": list(TaxiiStatus.objects.values_list("success_count", "failure_count")),
    "taxii_get": [taxii.status_code, len(json.loads(taxii.content).get("objects", []))],
    "peer": [peer.url, peer.jurisdiction, peer.user.username],
    "outbox": sorted(OutboxItem.objects.filter(peer=peer).values_list("status", flat=True)),
    "cursor_error": PullCursor.objects.get(peer=peer).last_error,
    "nonces": SeenNonce.objects.count(),
    "beats": list(WorkerBeat.objects.values_list("worker_id", flat=True)),
    "feed": [feed.url, feed.username, decrypt_secret(feed.secret_encrypted)],
    "feed_runs": list(FeedRun.objects.filter(feed=feed).values_list("status", flat=True)),
    "users": sorted(User.objects.values_list("username", flat=True)),
    "records": Record.objects.count(),
    "content_types": sorted(
        f"{ct.app_label}.{ct.model}"
        for ct in ContentType.objects.filter(app_label__in=LABELS)
    ),
    "permissions": {
        label: Permission.objects.filter(content_type__app_label=label).count()
        for label in LABELS
    },
    "tasks": [
        [t.task_path, t.status, callable(getattr(import_string(t.task_path), "func", None))]
        for t in DBTaskResult.objects.all()
    ],
    "audit": [verdict.ok, verdict.checked, upgrade.seq, upgrade.actor, upgrade.detail["tables"]],
    "audited_since": [e.action for e in AuditEvent.objects.filter(seq__gt=18).order_by("seq")],
}))
"""

RENAMED = {
    "federation_collection": "taxii_collection",
    "federation_collectionaccess": "taxii_collectionaccess",
    "federation_collectionentry": "taxii_collectionentry",
    "federation_taxiistatus": "taxii_taxiistatus",
    "peers_outboxitem": "federation_outboxitem",
    "peers_peer": "federation_peer",
    "peers_pullcursor": "federation_pullcursor",
    "peers_seennonce": "federation_seennonce",
    "peers_workerbeat": "federation_workerbeat",
}


def _node(tmp_path: Path, name: str) -> Path:
    """A copy of the fixture's data directory (files as ``accord init`` makes them)."""
    data_dir = tmp_path / "node"
    shutil.copytree(FIXTURES / f"{name}-node", data_dir)
    data_dir.chmod(0o700)
    for private in ("secret_key", "node_ed25519.pem"):
        (data_dir / private).chmod(0o600)
    return data_dir


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = process_env(data_dir, sqlite=True)
    if database_url:
        env["ACCORD_DATABASE_URL"] = database_url
    return env


def _run(
    data_dir: Path, args: list[str], database_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=_env(data_dir, database_url), capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def _accord(data_dir: Path, *args: str, database_url: str | None = None) -> str:
    done = _run(
        data_dir, ["-m", "accord.cli.main", *args, "--data-dir", str(data_dir)], database_url
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _upgrade(data_dir: Path, database_url: str | None = None) -> dict[str, Any]:
    return json.loads(_accord(data_dir, "upgrade", "--json", database_url=database_url))


def _read(data_dir: Path, database_url: str | None = None) -> dict[str, Any]:
    done = _run(data_dir, ["-c", READ, str(data_dir)], database_url)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _check_upgraded(facts: dict[str, Any]) -> None:
    assert facts["schema"] == {}, "tables whose columns differ from the models'"
    assert facts["legacy_tables"] == []
    assert facts["pending"] == []
    # The TAXII server (was: federation).
    assert facts["collection"] == ["Shared indicators", "accord"]
    assert facts["access"] == [[True, True]]
    assert facts["entries"] == 5
    assert facts["status"] == [[5, 0]]
    assert facts["taxii_get"] == [200, 5]
    # Node-to-node transport (was: peers).
    assert facts["peer"] == ["http://127.0.0.1:9/", "BE", "peer:node-peer"]
    assert facts["outbox"] == ["queued", "queued"]  # the one made before, and one made now
    assert "cannot reach node-peer" in facts["cursor_error"]
    assert facts["nonces"] == 1
    assert facts["beats"] == ["previous-release-worker"]
    # The TAXII client (label unchanged), its password still decrypts.
    assert facts["feed"] == ["http://127.0.0.1:9/taxii2/", "reader", "feed password 4711"]
    assert facts["feed_runs"] == ["failed"]
    assert facts["users"] == ["adam", "ana", "etl", "peer:node-peer"]
    assert facts["records"] == 21
    assert facts["content_types"] == [
        "federation.outboxitem", "federation.peer", "federation.pullcursor",
        "federation.seennonce", "federation.workerbeat", "feeds.feed", "feeds.feedrun",
        "taxii.collection", "taxii.collectionaccess", "taxii.collectionentry",
        "taxii.taxiistatus",
    ]  # fmt: skip
    assert facts["permissions"] == {"taxii": 16, "federation": 20, "feeds": 8, "peers": 0}
    # The delivery queued before the upgrade runs after it.
    assert facts["tasks"] == [["accord.federation.tasks.deliver_outbox", "READY", True]]
    ok, checked, seq, actor, tables = facts["audit"]
    assert ok and checked == 21
    assert seq == 18 and actor == "system" and tables == RENAMED  # right after the 17 made before
    assert facts["audited_since"] == ["auth.login", "taxii.read", "peer.enqueue"]  # by READ


def _check_first_upgrade(report: dict[str, Any]) -> None:
    assert report["moved_labels"] is True
    assert report["tables"] == RENAMED
    assert report["migration_rows"] == 5  # federation 0001-0002, peers 0001-0003
    assert report["content_types"] == 9
    assert report["tasks"] == 1
    assert report["audit_seq"] == 18
    # What the previous release applied is not applied again under the new labels (migrations
    # added since, of any app, are: the schema check below covers them).
    assert not set(report["migrations"]) & {
        "taxii.0001_initial", "taxii.0002_entry_record_index", "federation.0001_initial",
        "federation.0002_pull_cursor", "federation.0003_worker_claims", "feeds.0001_initial",
    }  # fmt: skip


def _sqlite_schema(data_dir: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(data_dir / "accord.sqlite3") as conn:
        return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


# -- SQLite ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_sqlite_node_of_the_previous_release_upgrades_and_keeps_its_data(tmp_path):
    data_dir = _node(tmp_path, "previous-release")
    shutil.copyfile(FIXTURES / "previous-release.sqlite3", data_dir / "accord.sqlite3")
    (data_dir / "accord.sqlite3").chmod(0o600)

    _check_first_upgrade(_upgrade(data_dir))
    with sqlite3.connect(data_dir / "accord.sqlite3") as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # Other tables' foreign keys name the renamed tables.
        referencing = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND (sql LIKE '%REFERENCES \"peers_%' OR sql LIKE '%REFERENCES \"federation_coll%')"
        ).fetchall()
        assert referencing == []
    _check_upgraded(_read(data_dir))

    # A second upgrade changes nothing.
    schema = _sqlite_schema(data_dir)
    again = _upgrade(data_dir)
    assert again["moved_labels"] is False and again["migrations"] == [] and again["tasks"] == 0
    assert _sqlite_schema(data_dir) == schema
    assert "audit trail intact: 21 entries" in _accord(data_dir, "audit", "verify")


@pytest.mark.slow
def test_serve_upgrades_the_database_on_start(tmp_path):
    data_dir = _node(tmp_path, "previous-release")
    shutil.copyfile(FIXTURES / "previous-release.sqlite3", data_dir / "accord.sqlite3")
    server = NodeServer(data_dir, free_port(), sqlite=True)
    try:
        log = (data_dir / "serve.log").read_text()
    finally:
        server.stop()
    assert "moved to the apps' new labels (9 tables renamed)" in log
    with sqlite3.connect(data_dir / "accord.sqlite3") as conn:
        apps = conn.execute("SELECT DISTINCT app FROM django_migrations ORDER BY app").fetchall()
        actions = conn.execute("SELECT action FROM oversight_auditevent ORDER BY seq").fetchall()
    assert ("taxii",) in apps and ("federation",) in apps and ("peers",) not in apps
    assert actions[-1] == ("node.upgrade",)


# -- PostgreSQL -----------------------------------------------------------------------------


def _admin(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


@pytest.fixture
def postgres_dump_database():
    """A fresh database on the suite's PostgreSQL server holding the previous release's dump;
    dropped afterwards. Skipped where the suite does not run on a reachable PostgreSQL."""
    url = os.environ.get("ACCORD_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("ACCORD_DATABASE_URL does not name a PostgreSQL server")
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed (the dump is plain SQL with COPY blocks)")
    try:
        admin = _admin(url)
    except Exception as exc:
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    name = f"accord_node_upgrade_{uuid.uuid4().hex[:8]}"
    db_url = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        # psql before 15.14/16.10/17.6 does not know the dump's \restrict lines: left out.
        dump = "".join(
            line
            for line in (FIXTURES / "previous-release-postgresql.sql").open()
            if not line.startswith(("\\restrict", "\\unrestrict"))
        )
        loaded = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db_url],
            input=dump, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr
        yield db_url
    finally:
        with _admin(url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_schema(db_url: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(db_url) as conn:
        return conn.execute(
            "SELECT c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod)"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
            " WHERE n.nspname = 'public' ORDER BY 1, 3"
        ).fetchall()


@pytest.mark.slow
def test_postgresql_node_of_the_previous_release_upgrades_and_keeps_its_data(
    tmp_path, postgres_dump_database
):
    db_url = postgres_dump_database
    data_dir = _node(tmp_path, "previous-release-postgresql")

    _check_first_upgrade(_upgrade(data_dir, db_url))
    _check_upgraded(_read(data_dir, db_url))

    schema = _pg_schema(db_url)
    again = _upgrade(data_dir, db_url)
    assert again["moved_labels"] is False and again["migrations"] == [] and again["tasks"] == 0
    assert _pg_schema(db_url) == schema
    assert "audit trail intact: 21 entries" in _accord(
        data_dir, "audit", "verify", database_url=db_url
    )


# -- In process: a current database, and databases the upgrade refuses -------------------------


@pytest.mark.django_db
def test_a_current_database_is_left_as_it_is():
    from accord.node.upgrade import move_app_labels, pending_migrations

    report = move_app_labels()
    assert not report.moved and report.tables == {} and report.audit_seq is None
    assert pending_migrations() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("app", "name", "words"),
    [
        ("peers", "0001_initial", "both 'peers'"),  # old rows beside the new labels' rows
        ("federation", "0002_entry_record_index", "none of 'peers'"),
    ],
)
def test_a_database_in_an_unknown_state_is_refused_and_left_alone(app, name, words):
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    from accord.node.upgrade import UpgradeError, move_app_labels

    MigrationRecorder.Migration.objects.create(app=app, name=name)
    with connection.cursor() as cursor:
        before = sorted(connection.introspection.table_names(cursor))
    with pytest.raises(UpgradeError, match=words):
        move_app_labels()
    with connection.cursor() as cursor:
        assert sorted(connection.introspection.table_names(cursor)) == before
    assert MigrationRecorder.Migration.objects.filter(app="taxii").exists()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("accord.federation.peers.tasks.deliver_outbox", "accord.federation.tasks.deliver_outbox"),
        ("accord.federation.peers.workers.WorkerDied", "accord.federation.workers.WorkerDied"),
        ("accord.federation.feeds.tasks.pull_feed_task", "accord.feeds.tasks.pull_feed_task"),
        ("accord.federation.taxii.objects.objects", "accord.taxii.objects.objects"),
        ("accord.federation.services.add_objects", "accord.taxii.services.add_objects"),
        ("accord.intel.tasks.run_import_job", "accord.intel.tasks.run_import_job"),
        ("", ""),
    ],
)
def test_stored_module_paths_follow_their_modules(old, new):
    from accord.node.upgrade import moved_module_path

    assert moved_module_path(old) == new


def test_no_model_takes_a_table_name_of_the_previous_layout():
    """Indexes and constraints of the renamed tables keep names derived from the old table
    names (see accord.node.upgrade): a new table with one of those names would collide."""
    from django.apps import apps

    from accord.node.upgrade import LEGACY_TABLES

    tables = {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
    assert not tables & LEGACY_TABLES
