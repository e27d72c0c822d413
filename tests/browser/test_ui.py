"""The web UI in a real browser (Debian Chromium) against a real ``accord serve``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.samples import HOSTILE_ID, PERSON_ID, upload_bundle

pytestmark = pytest.mark.browser


def test_login_page_and_failed_login(page, node, screenshots):
    page.goto(str(node["url"]))
    page.wait_for_url(re.compile(r"/login/"))
    page.get_by_label("User name").fill("analyst1")
    page.get_by_label("Password").fill("wrong wrong wrong")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "correct username and password" in alert.inner_text()
    page.screenshot(path=str(screenshots / "01-login-failed.png"), full_page=True)
    assert page.console_errors == []


def test_dashboard_after_login(signed_in, node, screenshots):
    page = signed_in
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    top = page.locator("header.topbar").inner_text()
    assert "BKA Test Node" in top and "DE" in top and "analyst1" in top and "Analyst" in top
    assert page.locator("#ctx-purpose").input_value() == "counter-terrorism"
    expect(page.get_by_role("link", name="identity")).to_be_visible()
    page.screenshot(path=str(screenshots / "02-dashboard.png"), full_page=True)
    assert page.console_errors == []


def test_live_search_by_name_swaps_in_results(signed_in, node, screenshots):
    page = signed_in
    page.get_by_role("link", name="Records", exact=True).click()
    page.wait_for_url(re.compile(r"/records/"))
    results = page.locator("#results")
    assert "Mallory" in results.inner_text()  # the unfiltered list, before searching
    box = page.get_by_label("Name or text")
    box.press_sequentially("حداد", delay=40)  # Arabic script: htmx search, no Enter
    # htmx pushed the search into the address bar (no page load)
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'حداد'")
    page.wait_for_function(
        "() => !document.querySelector('#results').innerText.includes('Mallory')"
    )
    link = results.get_by_role("link", name="Karim Haddad")
    expect(link).to_be_visible()
    assert "1 record found" in results.inner_text()
    page.screenshot(path=str(screenshots / "03-search.png"), full_page=True)
    # Keyboard use: focus the result link and open it with Enter.
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(PERSON_ID))
    assert page.console_errors == []


def test_record_page_shows_banner_names_and_escaped_hostile_name(signed_in, node, screenshots):
    page = signed_in
    page.goto(str(node["url"]) + f"records/{PERSON_ID}/")
    banner = page.locator(".marking-banner")
    assert "TLP:AMBER" in banner.inner_text()
    assert "H2" in banner.inner_text()
    colour = banner.locator(".banner-tlp strong").evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(255, 192, 0)"  # FIRST TLP 2.0 amber
    expect(page.get_by_role("cell", name="Karim Haddad")).to_be_visible()
    expect(page.get_by_role("cell", name="كريم حداد")).to_be_visible()
    expect(page.get_by_text("about 1975")).to_be_visible()
    page.screenshot(path=str(screenshots / "04-record.png"), full_page=True)
    # The related person's name is hostile markup: it must show as text, and run nothing.
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(str(node["url"]) + f"records/{HOSTILE_ID}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("<script>alert(1)</script>")
    assert dialogs == []
    page.screenshot(path=str(screenshots / "05-hostile.png"), full_page=True)
    assert page.console_errors == []


def test_upload_import_and_wait_for_report(signed_in, node, screenshots, tmp_path):
    page = signed_in
    path = tmp_path / "yusuf.json"
    path.write_bytes(upload_bundle("Yusuf Demir", suffix="browser"))
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_label("Format").select_option("stix")
    page.screenshot(path=str(screenshots / "06-import-form.png"), full_page=True)
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    # The background worker runs the job; the page polls until the report appears.
    page.get_by_text("Import finished").wait_for(timeout=30_000)
    assert page.locator("#report-imported").inner_text() == "1"
    page.screenshot(path=str(screenshots / "07-import-report.png"), full_page=True)
    page.get_by_role("link", name="Records", exact=True).click()
    page.get_by_label("Name or text").fill("yusuf")  # live search, no button press
    page.locator("#results").get_by_role("link", name="Yusuf Demir").wait_for()
    assert page.console_errors == []


def test_focus_is_visible_and_skip_link_works(signed_in, node):
    page = signed_in
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("e => e === document.activeElement")
    outline = skip.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
