"""``accord.node.asgi`` (what ``accord serve`` runs) loads every view at start-up and freezes the
objects allocated so far, so that the cyclic collector's full collections skip them: without it
a full collection paused a TAXII GET for 50-100 ms (docs/taxii.md, Performance)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import gc, json, sys
import accord.node.asgi
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "views": "accord.taxii.objects" in sys.modules,
    "tracked_after": len(gc.get_objects()),
}))
"""


def test_startup_objects_are_frozen_and_views_loaded() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["ACCORD_SETTINGS_MODULE"] = "accord.node.settings_test"
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["views"], "the URL map (and the views) were not loaded before the freeze"
    assert probe["frozen"] > 50_000
    assert probe["tracked_after"] < probe["frozen"] // 100
