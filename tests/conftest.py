"""Fixtures shared by the integration, functional and browser tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def shared_data() -> Path:
    """The real public data folder; skips the test where it is absent (CI always has it)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present on this machine")
    return SHARED_DATA


@pytest.fixture
def make_user(db):
    from accord.accounts.services import add_user

    def make(username: str = "ana", role: str = "analyst", agency: str = "", password=None):
        return add_user(
            None, username, role=role, password=password or "correct horse battery 9", agency=agency
        )

    return make


@pytest.fixture
def node_identity(db):
    """This node's identity row, as `accord init` creates it (importers sign as this node)."""
    from accord.node.models import NodeIdentity

    return NodeIdentity.objects.create(
        node_id="node-test",
        jurisdiction="NL",
        name="Test node",
        identity_id="identity--5a1c8f0e-2b7d-4c3e-9f1a-6d2e8b4c7a90",
        public_key_pem="",
    )


# What the PostgreSQL pass of CI runs (ACCORD_TEST_SCOPE=database): every test that can open a
# database. A test is left out only when it provably cannot (no django_db mark, no database
# fixture, no node process, no subprocess) or when its node processes are kept on SQLite by
# design (mark ``sqlite_nodes``): it would run the same code on the same data a second time.
_DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
     "live_server", "django_db_setup"}
)  # fmt: skip
_PROCESS_NAMES = frozenset(
    {"accord_cli", "NodeServer", "node_env", "process_env", "run_python", "subprocess"}
)


def _opens_a_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("sqlite_nodes") is not None:
        return False
    if any(item.get_closest_marker(m) for m in ("django_db", "functional", "browser")):
        return True
    if _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    module = getattr(item, "module", None)
    return module is not None and bool(_PROCESS_NAMES & set(vars(module)))


def _long(item: pytest.Item) -> bool:
    return any(item.get_closest_marker(m) for m in ("slow", "functional", "browser"))


@pytest.hookimpl(trylast=True)  # after pytest-django's own order, which puts these last
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The long files first: pytest-xdist hands out whole files in this order, so the short ones
    # fill the workers' time at the end instead of one long file running alone.
    long_files = {item.path for item in items if _long(item)}
    items.sort(key=lambda item: item.path not in long_files)  # stable: each file keeps its order
    scope = os.environ.get("ACCORD_TEST_SCOPE", "all")
    if scope == "all":
        return
    if scope != "database":
        raise pytest.UsageError(f"ACCORD_TEST_SCOPE={scope!r}: choose 'all' or 'database'")
    kept: list[pytest.Item] = []
    left: list[pytest.Item] = []
    for item in items:
        (kept if _opens_a_database(item) else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
