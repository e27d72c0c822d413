"""Flow 1 of the brief through the web UI in a real browser (Debian Chromium) against a real
``accord serve`` of node A (NL) with its four partners registered as peers (B DE, C KE, D BR,
E US) and the demo agreements loaded.

The analyst uploads the suspect and an associate (TLP:AMBER, H2, counter-terrorism) and a person
another organisation created, on the import page; opens the suspect, shares it, adds the two
other records by id on the share page (a wrong id is refused next to the field) and picks B, C,
D and E by name: the preview shows, per record, each decision in plain words with its reason
(B allowed, C hit/no-hit only, D refused, E needs approval for the death penalty) and blocks the
foreign person up front (this node cannot sign it); the analyst leaves it out and sends:
B's deliveries are queued, C recorded, D denied, E held; a supervisor approves E for both
records with the assurance reference, using the labelled fields, and E's deliveries are queued
too. The peers are not running (delivery is not what this test is about,
tests/functional/test_dissemination.py covers it): every delivery stays in the outbox, queued
or failed and waiting to be retried.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import expect

from accord.engine.stix.person import PERSON_EXTENSION_ID
from tests.browser.samples import CREATOR, SUSPECT_ID, SUSPECT_NAME, sign_in, suspect_bundle
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
#: Per recipient (as the page names it): the decision and what happens, in plain words.
EXPECTED = {
    "BKA Germany (DE)": ("Allowed", "Queued for delivery"),
    "ATPU Kenya (KE)": ("Hit/no-hit only", "Recorded (hit/no-hit only: nothing sent)"),
    "Policia Federal Brazil (BR)": ("Refused", "Denied (nothing sent)"),
    "FBI United States (US)": ("Needs approval", "Awaiting a supervisor's approval"),
}
ASSOCIATE_ID = "identity--3f9d2c1b-7a6e-4d5c-9b8a-1e2f3a4b5c02"
ASSOCIATE_NAME = "Karim Haddad"
FOREIGN_ID = "identity--3f9d2c1b-7a6e-4d5c-9b8a-1e2f3a4b5c03"
FOREIGN_NAME = "Samir Othman"


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


def _bundle(creator: str) -> bytes:
    """Flow 1's suspect, an associate recorded by this node too, and a person that another
    organisation created (its ``created_by_ref`` is not this node: imported from a partner's
    file, not received from a peer), which this node cannot sign and so cannot send."""
    bundle = json.loads(suspect_bundle(creator))
    suspect = bundle["objects"][1]
    associate = copy.deepcopy(suspect)
    associate.update(id=ASSOCIATE_ID, name=ASSOCIATE_NAME)
    associate["extensions"][PERSON_EXTENSION_ID]["names"] = [
        {"full_name": ASSOCIATE_NAME, "name_type": "primary", "script": "Latn"}
    ]
    associate["extensions"][PERSON_EXTENSION_ID]["documents"] = []
    foreign = copy.deepcopy(associate)
    foreign.update(id=FOREIGN_ID, name=FOREIGN_NAME, created_by_ref=CREATOR)
    foreign["extensions"][PERSON_EXTENSION_ID]["names"][0]["full_name"] = FOREIGN_NAME
    bundle["objects"] += [associate, foreign]
    return json.dumps(bundle, ensure_ascii=False).encode()


def _decisions(page: Any, record_name: str) -> dict[str, list[str]]:
    """The preview's rows for one record (its own table under its heading), by recipient."""
    section = page.locator("section.share-record").filter(
        has=page.get_by_role("heading", name=record_name)
    )
    rows: dict[str, list[str]] = {}
    for row in section.locator("tbody tr").all():
        cells = [c.inner_text().strip() for c in row.locator("td").all()]
        rows[cells[0]] = cells
    return rows


def _label(letter: str) -> str:
    _, jurisdiction, name = PEERS[letter]
    return f"{name} ({jurisdiction})"


def test_flow1_share_preview_send_and_supervisor_approval(browser, node_a, screenshots, tmp_path):
    url = node_a.url
    analyst = sign_in(browser, url, ANALYST, PASSWORD)
    try:
        # A's analyst records the suspect and an associate: upload on the import page.
        upload = tmp_path / "suspect.json"
        upload.write_bytes(_bundle(node_a.identity_id))
        analyst.get_by_role("link", name="Import").click()
        analyst.get_by_label("File").set_input_files(str(upload))
        analyst.get_by_role("button", name="Import").click()
        analyst.wait_for_url(re.compile(r"/imports/\d+/"))
        analyst.get_by_text("Import finished").wait_for(timeout=30_000)
        assert analyst.locator("#report-imported").inner_text() == "4"  # marking + 3 persons

        # The record: AMBER, H2; then Share…
        analyst.goto(url + f"records/{SUSPECT_ID}/")
        banner = analyst.locator(".marking-banner").inner_text()
        assert "TLP:AMBER" in banner and "H2" in banner
        expect(analyst.get_by_role("cell", name="يوسف الراشدي")).to_be_visible()
        analyst.get_by_role("link", name="Share…").click()
        analyst.wait_for_url(re.compile(r"/disseminations/new/"))
        records = analyst.get_by_role("group", name="Records to share")
        assert records.get_by_label(re.compile(SUSPECT_NAME)).is_checked()

        # More records by id: a wrong one is refused next to the field, the text kept.
        add = analyst.get_by_label("Add more records")
        add.fill(f"{ASSOCIATE_ID}\nidentity--00000000-0000-4000-8000-0000000000ff")
        analyst.get_by_role("button", name="Add records").click()
        error = analyst.locator("#add-records-errors")
        assert "No record you may see has the id" in error.inner_text()
        assert ASSOCIATE_ID in analyst.get_by_label("Add more records").input_value()
        analyst.get_by_label("Add more records").fill(f"{ASSOCIATE_ID}\n{FOREIGN_ID}")
        analyst.get_by_role("button", name="Add records").click()
        records = analyst.get_by_role("group", name="Records to share")
        for name in (SUSPECT_NAME, ASSOCIATE_NAME, FOREIGN_NAME):
            assert records.get_by_label(re.compile(re.escape(name))).is_checked()
        assert analyst.get_by_label("Add more records").input_value() == ""

        for letter in PEERS:
            analyst.get_by_label(_label(letter)).check()
        purpose = analyst.get_by_label("Purpose of this disclosure")
        assert purpose.input_value() == "counter-terrorism"  # from the working purpose
        analyst.get_by_label("Assurance reference").fill(ASSURANCE)
        analyst.get_by_role("button", name="Preview decisions").click()

        # Each recipient's decision per record, in plain words, with its reason, before sending.
        analyst.locator("#decisions").wait_for()
        for name in (SUSPECT_NAME, ASSOCIATE_NAME):
            preview = _decisions(analyst, name)
            assert {k: (v[1], v[2]) for k, v in preview.items()} == EXPECTED, name
            assert "agreement demo-nl-de-ct" in preview[_label("B")][3]
            assert "hit/no-hit" in preview[_label("C")][3]
            assert "no agreement in force" in preview[_label("D")][3]
            assert "death penalty" in preview[_label("E")][3].lower()
        foreign = _decisions(analyst, FOREIGN_NAME)
        assert {v[1] for v in foreign.values()} == {"Refused"}
        assert all("cannot sign it" in v[3] for v in foreign.values())
        blocked = analyst.locator("section.share-record").filter(has_text=FOREIGN_NAME)
        assert "This record cannot be sent." in blocked.get_by_role("alert").inner_text()
        assert "node-b" not in analyst.locator("#decisions").inner_text()
        analyst.screenshot(path=str(screenshots / "flow1-01-preview.png"), full_page=True)

        # The analyst leaves the blocked record out and sends the other two.
        analyst.get_by_role("group", name="Records to share").get_by_label(
            re.compile(re.escape(FOREIGN_NAME))
        ).uncheck()
        analyst.get_by_role("button", name="Send").click()
        analyst.wait_for_url(re.compile(r"/disseminations/[0-9a-f-]{36}/$"))
        detail_url = analyst.url
        sent = _rows_by_record_and_recipient(analyst)
        assert {k[0] for k in sent} == {SUSPECT_NAME, ASSOCIATE_NAME}
        for name in (SUSPECT_NAME, ASSOCIATE_NAME):
            assert {k[1]: (v[2], v[3]) for k, v in sent.items() if k[0] == name} == EXPECTED
            b = sent[(name, _label("B"))]
            assert WAITING.match(b[4]), b  # in the outbox: B is down
            assert sent[(name, _label("E"))][4] == "\N{EN DASH}"  # nothing queued until approved
        analyst.screenshot(path=str(screenshots / "flow1-02-sent.png"), full_page=True)
        assert analyst.console_errors == []
    finally:
        analyst.context.close()

    supervisor = sign_in(browser, url, SUPERVISOR, PASSWORD)
    try:
        supervisor.get_by_role("link", name="Approvals").click()
        cards = supervisor.locator("section.card").filter(has_text=_label("E"))
        assert cards.count() == 2  # one per record
        for name in (SUSPECT_NAME, ASSOCIATE_NAME):
            card = supervisor.locator("section.card").filter(has_text=name)
            assert ASSURANCE in card.inner_text() and "node-e" not in card.inner_text()
            card.get_by_label("Decision").select_option("approve")
            card.get_by_label("Reason").fill("Assurance received from the US DOJ; approved")
            card.get_by_role("button", name="Record decision").click()
            expect(supervisor.locator(".messages")).to_contain_text("Decision recorded.")
        assert supervisor.locator("section.card").filter(has_text=_label("E")).count() == 0
        supervisor.goto(detail_url)
        after = _rows_by_record_and_recipient(supervisor)
        for name in (SUSPECT_NAME, ASSOCIATE_NAME):
            assert after[(name, _label("E"))][3] == "Queued for delivery"
            assert WAITING.match(after[(name, _label("E"))][4]), after
            assert after[(name, _label("D"))][3] == "Denied (nothing sent)"
        supervisor.screenshot(path=str(screenshots / "flow1-03-approved.png"), full_page=True)
        assert supervisor.console_errors == []
    finally:
        supervisor.context.close()


def test_flow1_starts_from_the_record_a_person_form(browser, node_a, screenshots):
    """Flow 1 without a STIX file: the analyst records the suspect on the form (labelled
    fields; a wrong country code is refused next to its field, nothing typed lost), lands on
    the share page with the new record ticked, and B (full sharing) is allowed."""
    url = node_a.url
    analyst = sign_in(browser, url, ANALYST, PASSWORD)
    try:
        analyst.goto(url + "disseminations/new/")
        analyst.get_by_role("link", name="record a new person").click()
        analyst.wait_for_url(re.compile(r"/disseminations/person/new/$"))
        analyst.get_by_label("Name (Latin script)").fill("Omar Farouk Bashir")
        analyst.get_by_label("Name in another script").fill("عمر فاروق بشير")
        analyst.get_by_label("Script of that name").select_option("Arab")
        analyst.get_by_label("Aliases").fill("Abu Hafs\nO. F. Bashir")
        analyst.get_by_label("Date of birth").fill("1990-07-02")
        analyst.get_by_label("Nationality").fill("S1")  # maxlength keeps it to 2
        analyst.get_by_label("Passport number").fill("P01234567")
        analyst.get_by_label("Passport issued by").fill("SD")
        analyst.get_by_label("TLP", exact=True).select_option("amber")
        analyst.get_by_label("Handling code").select_option("H2")
        purposes = analyst.get_by_role("group", name="May be used only for")
        assert purposes.get_by_label(re.compile("terrorist offences")).is_checked()
        analyst.get_by_role("button", name="Record the person").click()
        expect(analyst.get_by_role("alert")).to_contain_text("Use the two-letter country code")
        assert analyst.get_by_label("Passport number").input_value() == "P01234567"
        analyst.get_by_label("Nationality").fill("SD")
        analyst.get_by_role("button", name="Record the person").click()
        analyst.wait_for_url(re.compile(r"/disseminations/new/\?record=identity--"))
        assert "Recorded Omar Farouk Bashir" in analyst.locator(".messages").inner_text()
        records = analyst.get_by_role("group", name="Records to share")
        assert records.get_by_label(re.compile("Omar Farouk Bashir.*TLP:AMBER, H2")).is_checked()
        analyst.get_by_label(_label("B")).check()
        analyst.get_by_role("button", name="Preview decisions").click()
        analyst.locator("#decisions").wait_for()
        rows = _decisions(analyst, "Omar Farouk Bashir")
        assert rows[_label("B")][1:3] == ["Allowed", "Queued for delivery"]
        analyst.screenshot(path=str(screenshots / "flow1-04-person-form.png"), full_page=True)
        assert analyst.console_errors == []
    finally:
        analyst.context.close()


def _rows_by_record_and_recipient(page: Any) -> dict[tuple[str, str], list[str]]:
    """The dissemination page's rows by (record name, recipient name and jurisdiction)."""
    rows: dict[tuple[str, str], list[str]] = {}
    for row in page.locator("main table.table tbody tr").all():
        cells = [c.inner_text().strip() for c in row.locator("td").all()]
        rows[(cells[0], cells[1])] = cells
    return rows
