"""The architecture page's generated part is what the code gives (scripts/architecture_diagram.py).

A failure of the first test means an app, a URL include, an import between parts or an
extension registration changed without the page: run
``.venv/bin/python scripts/architecture_diagram.py`` and commit docs/architecture.md.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "architecture_diagram.py"


@pytest.fixture(scope="module")
def diagram():
    spec = importlib.util.spec_from_file_location("architecture_diagram", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_the_committed_page_matches_the_code():
    """Runs the script's --check in a fresh interpreter, as a developer or CI would."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def test_check_fails_on_a_stale_page_and_passes_once_rewritten(diagram, tmp_path, monkeypatch):
    monkeypatch.setattr(diagram, "generate", lambda root=diagram.ROOT: "the code now")
    page = tmp_path / "architecture.md"
    page.write_text(f"# Architecture\n\n{diagram.BEGIN}\nthe code before\n{diagram.END}\n\nEnd.\n")

    assert diagram.main(["--check", "--doc", str(page)]) == 1
    assert "the code before" in page.read_text()  # --check writes nothing

    assert diagram.main(["--doc", str(page)]) == 0
    assert page.read_text() == (
        f"# Architecture\n\n{diagram.BEGIN}\nthe code now\n{diagram.END}\n\nEnd.\n"
    )
    assert diagram.main(["--check", "--doc", str(page)]) == 0


def test_a_page_without_markers_gets_them_at_the_end(diagram):
    page = diagram.replace_generated("# Architecture\n\nText.\n", "drawn")
    assert page == f"# Architecture\n\nText.\n\n{diagram.BEGIN}\ndrawn\n{diagram.END}\n"


def test_imports_are_classed_by_where_they_stand(diagram):
    source = """
from __future__ import annotations
import os
from typing import TYPE_CHECKING
from accord.intel import models
from . import querysets
from ..oversight.services import audit

if TYPE_CHECKING:
    from accord.node.models import NodeIdentity

try:
    import accord.engine.stix.markings
except ImportError:
    from accord.engine import names

class Thing:
    from accord.http import problems

def later():
    from accord.screening.services import screen
    if TYPE_CHECKING:
        from accord.agreement.models import Agreement
"""
    known = {
        "accord.intel.models",
        "accord.screening.querysets",
        "accord.engine.names",
        "accord.http.problems",
    }
    found = diagram.module_imports(source, "accord.screening.views", False, known)
    assert sorted((i.target, i.kind) for i in found) == [
        ("accord.agreement.models", "types"),
        ("accord.engine.names", "module"),
        ("accord.engine.stix.markings", "module"),
        ("accord.http.problems", "module"),
        ("accord.intel.models", "module"),
        ("accord.node.models", "types"),
        ("accord.oversight.services", "module"),
        ("accord.screening.querysets", "module"),
        ("accord.screening.services", "deferred"),
    ]


def test_relative_imports_in_a_package_resolve_from_the_package(diagram):
    found = diagram.module_imports("from .models import X\n", "accord.intel", True, set())
    assert [i.target for i in found] == ["accord.intel.models"]


def test_mount_points_name_the_include_or_the_first_segment(diagram):
    root = ("/", "node", "")
    api = ("/api/", "api", "api/")
    ninja = ("/api/", "api", "")
    web = ("/", "web", "")
    intel_pages = ("/", "intel", "")
    taxii = ("/taxii2/", "taxii", "taxii2/")
    mount = diagram._mount
    # an include under a prefix: the prefix, handed over by the root URL configuration
    assert mount([root, taxii], "taxii", "<str:api_root>/") == diagram.Mount(
        "/taxii2/", "taxii", ""
    )
    # a view another part's URL configuration lists: its first segment, handed over by that part
    assert mount([root, api, ninja], "intel", "records/<stix_id>") == diagram.Mount(
        "/api/records/", "intel", "api"
    )
    assert mount([root, api, ninja], "intel", "export") == diagram.Mount(
        "/api/export", "intel", "api"
    )
    # an include at an empty prefix: the first segment of each view
    assert mount([root, web, intel_pages], "intel", "records/") == diagram.Mount(
        "/records/", "intel", "web"
    )
    assert mount([root, web], "web", "") == diagram.Mount("/", "web", "")
    # a catch-all pattern
    assert mount([root, api], "http", "^(?P<path>.*)$") == diagram.Mount("/api/*", "http", "api")
