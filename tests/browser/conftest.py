"""A real node for the browser tests: ``accord init``, a user, sample records, then a real
``accord serve`` subprocess on a free loopback port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.nodes import node_env

__all__: list[str] = []

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USERNAME = "analyst1"
PASSWORD = "browser test password 7"
REPO = Path(__file__).resolve().parents[2]


def _node_env(data_dir: Path) -> dict[str, str]:
    env = node_env(data_dir)  # on PostgreSQL runs, the node gets a database of its own
    env["PYTHONPATH"] = str(REPO)  # so that the seeding script can import tests.browser.samples
    return env


def _accord(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


SEED = """
from accord.cli.main import setup_django
setup_django(None)
from accord.intel.services import ingest_objects
from tests.browser.samples import sample_objects
report = ingest_objects(None, sample_objects(), source="browser fixture")
assert report.ok, report.refused
print(report.imported)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"accord serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "login/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError("accord serve did not answer in time")


@pytest.fixture(scope="session")
def node(tmp_path_factory) -> Iterator[dict[str, object]]:
    """A running node: its URL, data dir and server process."""
    data_dir = tmp_path_factory.mktemp("browser-node") / "node"
    env = _node_env(data_dir)
    _accord("init", "--data-dir", str(data_dir), "--node-id", "node-de", "--jurisdiction", "DE",
            "--name", "BKA Test Node", env=env)  # fmt: skip
    _accord("user", "add", "--data-dir", str(data_dir), USERNAME, "--role", "analyst",
            "--password", PASSWORD, env=env)  # fmt: skip
    seeded = subprocess.run(
        [sys.executable, "-c", SEED], env=env, capture_output=True, text=True, timeout=120
    )
    assert seeded.returncode == 0, seeded.stderr
    port = _free_port()
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord.cli.main", "serve", "--data-dir", str(data_dir),
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, proc)
        yield {"url": url, "data_dir": data_dir, "proc": proc}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        print((data_dir / "serve.log").read_text(errors="replace")[-3000:])


@pytest.fixture(scope="module")
def browser():
    """Chromium, for one test file: Playwright's sync API keeps an event loop running in this
    thread while it is open, and Django refuses database calls from a thread with a running
    loop, so it must be closed before the next file's tests (pytest-xdist gives each worker
    whole files, browser and database tests alike)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("ACCORD_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and ACCORD_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Screenshots go here (or to ACCORD_SCREENSHOT_DIR, to keep them)."""
    keep = os.environ.get("ACCORD_SCREENSHOT_DIR")
    path = Path(keep) if keep else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(browser, node):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.console_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


@pytest.fixture
def signed_in(page, node):
    """A page signed in as the analyst, on the dashboard."""
    page.goto(str(node["url"]) + "login/")
    page.get_by_label("User name").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(str(node["url"]))
    return page
