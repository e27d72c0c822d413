"""The legal officer's pages in a real browser (Debian Chromium) against a real ``accord serve``:
edit a jurisdiction profile's torture risk and read it in the history; upload an agreement with
an error and see the JSON path; upload a valid one and see it in force."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.samples import sign_in
from tests.nodes import NodeServer, accord_cli, free_port

pytestmark = pytest.mark.browser

LEGAL = "lena"
OVERSIGHT = "otto"
PASSWORD = "legal browser password 5"


def agreement(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "nl-ke-ct",
        "version": 1,
        "title": "NL-KE arrangement on counter-terrorism information",
        "type": "bilateral_memorandum",
        "parties": ["NL", "KE"],
        "in_force": {"from": "2024-01-01", "until": None},
        "status": "in_force",
        "data_categories": ["persons"],
        "permitted_purposes": ["counter-terrorism"],
        "sharing_mode": "hit_no_hit",
        "onward_transfer": "forbidden",
        "max_retention_days": 365,
        "clauses": {"sharing_mode": "Art 4 (hit/no-hit only)"},
    }
    data.update(extra)
    return data


@pytest.fixture(scope="module")
def legal_node(tmp_path_factory) -> Iterator[NodeServer]:
    """A fresh node (NL) with a legal officer and an oversight officer, served for real."""
    data_dir: Path = tmp_path_factory.mktemp("legal-node") / "node"
    accord_cli(data_dir, "init", "--data-dir", str(data_dir), "--node-id", "node-nl",
               "--jurisdiction", "NL", "--name", "Legal Test Node")  # fmt: skip
    for name, role in ((LEGAL, "legal"), (OVERSIGHT, "oversight")):
        accord_cli(data_dir, "user", "add", "--data-dir", str(data_dir), name, "--role", role,
                   "--password", PASSWORD)  # fmt: skip
    server = NodeServer(data_dir, free_port())
    try:
        yield server
    finally:
        server.stop()


def test_legal_officer_edits_profile_and_loads_agreements(browser, legal_node, screenshots):
    url = legal_node.url
    page = sign_in(browser, url, LEGAL, PASSWORD)
    try:
        # Profiles: the shipped defaults, version 1, until edited.
        page.get_by_role("link", name="Agreements and profiles").click()
        page.wait_for_url(re.compile(r"/legal/$"))
        page.get_by_role("link", name="Jurisdiction profiles").click()
        kenya = page.get_by_role("row", name=re.compile(r"Kenya"))
        assert "(shipped default)" in kenya.inner_text()
        kenya.get_by_role("link", name="Kenya").click()
        page.get_by_role("link", name="Edit this profile").click()
        page.get_by_label("Torture-risk assessment").select_option("high")
        page.get_by_role("button", name="Save new version").click()
        # No change note: refused, the error is next to the field, nothing lost.
        error = page.locator("#change_note-error")
        assert "Say why you change the profile" in error.inner_text()
        assert page.get_by_label("Torture-risk assessment").input_value() == "high"
        page.screenshot(path=str(screenshots / "legal-01-profile-error.png"), full_page=True)
        page.get_by_label("Why this change").fill("Review after the 2026 CAT report")
        page.get_by_role("button", name="Save new version").click()
        page.wait_for_url(re.compile(r"/legal/profiles/KE/$"))
        assert "Profile KE saved as version 2" in page.locator(".messages").inner_text()
        latest = page.locator("section.version").first
        text = latest.inner_text()
        assert "Version 2 (current)" in text and LEGAL in text
        assert "Review after the 2026 CAT report" in text
        change = latest.get_by_role("row", name=re.compile("torture_risk"))
        assert change.inner_text().split("\t") == ["torture_risk", "elevated", "high"]
        assert "Version 1" in page.locator("section.version").nth(1).inner_text()
        page.screenshot(path=str(screenshots / "legal-02-profile-history.png"), full_page=True)

        # Agreements: one with an unknown party is refused with the JSON path of the error.
        page.get_by_role("link", name="Agreements", exact=True).click()
        page.get_by_role("link", name="New agreement").click()
        box = page.get_by_label("Agreement (JSON)")
        box.fill(json.dumps(agreement(parties=["NL", "XK2"]), indent=2))
        page.get_by_role("button", name="Save agreement").click()
        alert = page.get_by_role("alert")
        assert "not saved" in alert.inner_text()
        assert page.locator(".error-path").inner_text() == "$.parties[1]"
        assert "not a known jurisdiction" in page.locator("#text-error").inner_text()
        assert "XK2" in page.get_by_label("Agreement (JSON)").input_value()  # nothing lost
        page.screenshot(path=str(screenshots / "legal-03-agreement-error.png"), full_page=True)

        # The valid one, uploaded as a file, is saved and shown in force with its policies.
        page.get_by_label("Or upload a JSON file").set_input_files(
            files=[
                {
                    "name": "nl-ke.json",
                    "mimeType": "application/json",
                    "buffer": json.dumps(agreement()).encode(),
                }
            ]
        )
        page.get_by_role("button", name="Save agreement").click()
        page.wait_for_url(re.compile(r"/legal/agreements/nl-ke-ct/$"))
        assert "saved as version 1" in page.locator(".messages").inner_text()
        assert page.locator(".record-meta .status").inner_text() == "in force"
        assert '@id("nl-ke-ct.v1.permit")' in page.locator("pre").first.inner_text()
        page.screenshot(path=str(screenshots / "legal-04-agreement.png"), full_page=True)
        page.get_by_role("link", name="Agreements", exact=True).click()
        row = page.get_by_role("row", name=re.compile("nl-ke-ct"))
        assert "in force" in row.inner_text() and "NL, KE" in row.inner_text()

        # A partnership agreement that overlaps and disagrees: saved, and the pages say which
        # agreements contradict, on what, and that the stricter one wins.
        page.get_by_role("link", name="New agreement").click()
        partnership = agreement(
            id="ct-partnership",
            title="CT partnership exchange",
            type="regional_partnership",
            parties=["CT-PARTNERSHIP-DEMO"],
            sharing_mode="full",
            onward_transfer="with_consent",
        )
        page.get_by_label("Agreement (JSON)").fill(json.dumps(partnership, indent=2))
        page.get_by_role("button", name="Save agreement").click()
        page.wait_for_url(re.compile(r"/legal/agreements/ct-partnership/$"))
        warning = page.locator(".messages").inner_text()
        assert "Contradiction: ct-partnership v1 and nl-ke-ct v1 overlap" in warning
        page.get_by_role("link", name="Agreements", exact=True).click()
        box = page.get_by_role("region", name="Contradictions between agreements in force")
        text = box.inner_text()
        assert "between KE, NL for persons for the purpose counter-terrorism" in text
        assert (
            "Sharing mode: ct-partnership says full sharing, nl-ke-ct says hit/no-hit only; "
            "the stricter one wins: nl-ke-ct (hit/no-hit only)"
        ) in text
        page.screenshot(path=str(screenshots / "legal-05-contradiction.png"), full_page=True)
        # the two refused forms answered 400 (Chromium logs that); nothing else went wrong
        assert [e for e in page.console_errors if "status of 400" not in e] == []
    finally:
        page.context.close()


def test_oversight_reads_the_history_without_edit_controls(browser, legal_node):
    page = sign_in(browser, legal_node.url, OVERSIGHT, PASSWORD)
    try:
        page.get_by_role("link", name="Agreements and profiles").click()
        # the click starts a navigation; wait for the new page's text, not the first parse of <main>
        expect(page.locator("main")).to_contain_text("Read only")
        page.goto(legal_node.url + "legal/profiles/DE/")
        expect(page.get_by_role("heading", name="History")).to_be_visible()
        assert page.get_by_role("link", name="Edit this profile").count() == 0
        response = page.goto(legal_node.url + "legal/profiles/DE/edit/")
        assert response is not None and response.status == 403
    finally:
        page.context.close()
