"""Fixtures shared by the integration, functional and browser tests."""

from __future__ import annotations

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
