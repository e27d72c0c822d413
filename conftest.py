"""Test set-up shared by every level: a throw-away data directory before Django starts."""

import os
import tempfile
from pathlib import Path

_data_dir = Path(tempfile.mkdtemp(prefix="accord-test-"))
os.environ.setdefault("ACCORD_DATA_DIR", str(_data_dir))
os.environ.setdefault("ACCORD_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.node.settings")

#: Real public data (UN list, OASIS examples, ATT&CK) when the shared folder is beside the repo.
SHARED_DATA = Path(__file__).resolve().parent.parent / "shared" / "data"
