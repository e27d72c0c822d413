"""Flow 1 of the brief through the web UI in a real browser (Debian Chromium) against a real
``accord serve`` of node A (NL) with its four partners registered as peers (B DE, C KE, D BR,
E US) and the demo agreements loaded.

The analyst uploads the suspect (TLP:AMBER, H2, counter-terrorism) on the import page, opens it,
shares it with B, C, D and E: the preview shows each decision with its reason (B ALLOW, C
HIT_NO_HIT_ONLY, D DENY, E NEEDS_APPROVAL for the death penalty), sending queues B's delivery,
records C, denies D and holds E; a supervisor approves E with the assurance reference and E's
delivery is queued too. The peers are not running (delivery is not what this test is about,
tests/functional/test_dissemination.py covers it): every delivery stays in the outbox, queued
or failed and waiting to be retried.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.browser.samples import SUSPECT_ID, suspect_bundle
from tests.nodes import REPO, NodeServer, accord_cli, free_port, run_python

pytestmark = pytest.mark.browser

ANALYST, SUPERVISOR = "ana", "sam"
PASSWORD = "flow one browser password 3"
ASSURANCE = "US-DOJ/ASSUR/2026/0117 (death penalty will not be sought)"
PEERS = {  # letter: (node id, jurisdiction, name)
    "B": ("node-b", "DE", "BKA Germany"),
    "C": ("node-c", "KE", "ATPU Kenya"),
    "D": ("node-d", "BR", "Policia Federal Brazil"),
    "E": ("node-e", "US", "FBI United States"),
}
#: An outbox item that is still waiting (the peer is down): not delivered, not rejected.
WAITING = re.compile(r"^(Queued|Sending|Failed \(will retry\))")
EXPECTED = {
    "node-b": ("ALLOW", "Queued for delivery"),
    "node-c": ("HIT_NO_HIT_ONLY", "Recorded (hit/no-hit only: nothing sent)"),
    "node-d": ("DENY", "Denied (nothing sent)"),
    "node-e": ("NEEDS_APPROVAL", "Awaiting a supervisor's approval"),
}


IDENTITY = """
from accord.cli.main import setup_django
setup_django(None)
from accord.node.models import NodeIdentity
print(NodeIdentity.current().identity_id)
"""


def _public_key_file(path: Path) -> Path:
    key = Ed25519PrivateKey.generate().public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.write_bytes(pem)
    return path


@pytest.fixture(scope="module")
def node_a(tmp_path_factory) -> Iterator[NodeServer]:
    """Node A (NL): an analyst, a supervisor, the demo agreements and four peers that are down."""
    root: Path = tmp_path_factory.mktemp("flow1")
    data_dir = root / "node-a"
    d = str(data_dir)
    accord_cli(data_dir, "init", "--data-dir", d, "--node-id", "node-a", "--jurisdiction", "NL",
               "--name", "Politie NL")  # fmt: skip
    for name, role in ((ANALYST, "analyst"), (SUPERVISOR, "supervisor")):
        accord_cli(data_dir, "user", "add", "--data-dir", d, name, "--role", role,
                   "--password", PASSWORD)  # fmt: skip
    agreements = REPO / "src/accord/cli/demo_federation/agreements.json"
    accord_cli(data_dir, "agreement", "load", "--data-dir", d, str(agreements))
    for letter, (node_id, jurisdiction, name) in PEERS.items():
        key = _public_key_file(root / f"{letter}.pem")
        accord_cli(data_dir, "peer", "add", "--data-dir", d, "--node-id", node_id,
                   "--url", f"http://127.0.0.1:{free_port()}/", "--jurisdiction", jurisdiction,
                   "--public-key", str(key), "--name", name)  # fmt: skip
    server = NodeServer(data_dir, free_port(), worker=True)  # the worker runs the import
    server.identity_id = run_python(data_dir, IDENTITY).strip()  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


def sign_in(browser: Any, url: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    page.goto(url + "login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)
    return page


def _rows(table: Any) -> dict[str, list[str]]:
    """A table's body rows by their first cell's text (the recipient), as lists of cell texts."""
    rows: dict[str, list[str]] = {}
    for row in table.locator("tbody tr").all():
        cells = [c.inner_text().strip() for c in row.locator("td").all()]
        rows[cells[0]] = cells
    return rows


def test_flow1_share_preview_send_and_supervisor_approval(browser, node_a, screenshots, tmp_path):
    url = node_a.url
    analyst = sign_in(browser, url, ANALYST)
    try:
        # A's analyst records the suspect: upload on the import page, wait for the report.
        upload = tmp_path / "suspect.json"
        upload.write_bytes(suspect_bundle(node_a.identity_id))
        analyst.get_by_role("link", name="Import").click()
        analyst.get_by_label("File").set_input_files(str(upload))
        analyst.get_by_role("button", name="Import").click()
        analyst.wait_for_url(re.compile(r"/imports/\d+/"))
        analyst.get_by_text("Import finished").wait_for(timeout=30_000)
        assert analyst.locator("#report-imported").inner_text() == "2"  # marking + suspect

        # The record: AMBER, H2; then Share…
        analyst.goto(url + f"records/{SUSPECT_ID}/")
        banner = analyst.locator(".marking-banner").inner_text()
        assert "TLP:AMBER" in banner and "H2" in banner
        assert analyst.get_by_role("cell", name="يوسف الراشدي").is_visible()
        analyst.get_by_role("link", name="Share…").click()
        analyst.wait_for_url(re.compile(r"/disseminations/new/"))
        for _, (_, jurisdiction, name) in PEERS.items():
            analyst.get_by_label(f"{name} ({jurisdiction})").check()
        analyst.get_by_label("Purpose", exact=True).last.select_option("counter-terrorism")
        analyst.get_by_label("Assurance reference").fill(ASSURANCE)
        analyst.get_by_role("button", name="Preview decisions").click()

        # Each recipient's decision with its reason, before anything is sent.
        table = analyst.locator("main table.table")
        table.wait_for()
        preview = _rows(table)
        assert {k: v[1] for k, v in preview.items()} == {k: v[0] for k, v in EXPECTED.items()}
        assert "agreement demo-nl-de-ct" in preview["node-b"][3]
        assert "hit/no-hit" in preview["node-c"][3]
        assert "no agreement in force" in preview["node-d"][3]
        assert "death penalty" in preview["node-e"][3].lower()
        analyst.screenshot(path=str(screenshots / "flow1-01-preview.png"), full_page=True)

        # Send: B queued, C recorded, D denied, E held for a supervisor.
        analyst.get_by_role("button", name="Send").click()
        analyst.wait_for_url(re.compile(r"/disseminations/[0-9a-f-]{36}/$"))
        detail_url = analyst.url
        sent = _rows_by_recipient(analyst)
        assert {k: (v[2], v[3]) for k, v in sent.items()} == EXPECTED
        assert WAITING.match(sent["node-b"][4]), sent["node-b"]  # in the outbox: B is down
        assert sent["node-e"][4] == "\N{EN DASH}"  # nothing in the outbox until approved
        analyst.screenshot(path=str(screenshots / "flow1-02-sent.png"), full_page=True)
        assert analyst.console_errors == []
    finally:
        analyst.context.close()

    supervisor = sign_in(browser, url, SUPERVISOR)
    try:
        supervisor.get_by_role("link", name="Approvals").click()
        card = supervisor.locator("section.card").filter(has_text="node-e")
        assert SUSPECT_ID in card.inner_text() and ASSURANCE in card.inner_text()
        card.locator("select[name=decision]").select_option("approve")
        card.locator("textarea[name=reason]").fill("Assurance received from the US DOJ; approved")
        card.get_by_role("button", name="Record decision").click()
        assert "Decision recorded." in supervisor.locator(".messages").inner_text()
        assert supervisor.locator("section.card").filter(has_text="node-e").count() == 0
        supervisor.goto(detail_url)
        after = _rows_by_recipient(supervisor)
        assert after["node-e"][3] == "Queued for delivery"
        assert WAITING.match(after["node-e"][4]), after["node-e"]
        assert after["node-d"][3] == "Denied (nothing sent)"
        supervisor.screenshot(path=str(screenshots / "flow1-03-approved.png"), full_page=True)
        assert supervisor.console_errors == []
    finally:
        supervisor.context.close()


def _rows_by_recipient(page: Any) -> dict[str, list[str]]:
    """The dissemination page's rows by recipient node (second column)."""
    rows: dict[str, list[str]] = {}
    for row in page.locator("main table.table tbody tr").all():
        cells = [c.inner_text().strip() for c in row.locator("td").all()]
        rows[cells[1]] = cells
    return rows
