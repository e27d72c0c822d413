"""``accord demo [--nodes 5|1] [--data-dir DIR] [--host H] [--port P] [--persons N] [--seed S]
[--check]``.

By default (``--nodes 5``) it starts a demonstration federation of five nodes A to E as separate
processes on loopback, as in BRIEF flows 1 and 2 (see :mod:`accord.cli.demo_federation`);
``--check`` then runs flows 1 and 2 over HTTP and exits 0 when every outcome held.

With ``--nodes 1`` it creates a single demonstration node (``node-a``, jurisdiction NL) with one
user per role, imports a synthetic data set (persons in Arabic, Cyrillic and Latin script,
organisations, threat actors, networks, indicators; see :mod:`accord.engine.synth`) and, where
the shared data folder is present, the real UN Security Council Consolidated List through the UN
importer. Then it serves the node until Ctrl-C, or, with ``--check``, starts ``accord serve`` on
a free port, drives it over real HTTP (login, record search, API search, API import) and exits 0
when every check passed.

Demo passwords and API tokens are generated per run and printed: they are for these throw-away
nodes only. A demo node always has its own SQLite database in its data directory, even when
``ACCORD_DATABASE_URL`` is set.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.node.process import free_port, wait_until_answering

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = [
    "Browser",
    "Checks",
    "DemoNode",
    "Steps",
    "add_arguments",
    "progress_printer",
    "run",
    "run_checks",
    "set_up",
    "shared_data_dir",
]

NODE_ID = "node-a"
JURISDICTION = "NL"
NODE_NAME = "Accord demo node A (NL counter-terrorism unit)"
PURPOSE = "counter-terrorism"
ROLES = ("analyst", "supervisor", "liaison", "commander", "legal", "oversight", "admin")
UN_LIST = Path("un-sc-consolidated") / "consolidated_2018-10-29.xml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nodes",
        type=int,
        choices=(1, 5),
        default=5,
        help="5: a federation of nodes A to E (BRIEF flows 1, 2; default); 1: a single node",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="directory for the new node(s) (default: a new temp dir)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=8000, help="TCP port (default 8000; a federation: 8000-8004)"
    )
    parser.add_argument(
        "--persons", type=int, default=3000, help="synthetic persons to generate (default 3000)"
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed of the synthetic data")
    parser.add_argument(
        "--check",
        action="store_true",
        help="set up, serve on free ports, check over HTTP (5 nodes: flows 1, 2); 0 if all pass",
    )


@dataclass
class DemoNode:
    """What the set-up made: where, who can log in, and a record to look for."""

    data_dir: Path
    identity_id: str
    passwords: dict[str, str] = field(default_factory=dict)
    token: str = ""
    known_name: str = ""
    known_id: str = ""
    counts: dict[str, int] = field(default_factory=dict)


def shared_data_dir() -> Path | None:
    """The shared public data folder: ``ACCORD_SHARED_DATA``, else ``../shared/data`` beside the
    current directory or beside the repository this package runs from."""
    candidates = []
    if os.environ.get("ACCORD_SHARED_DATA"):
        candidates.append(Path(os.environ["ACCORD_SHARED_DATA"]))
    candidates.append(Path.cwd().parent / "shared" / "data")
    candidates.append(Path(__file__).resolve().parents[3].parent / "shared" / "data")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


def progress_printer(label: str) -> Callable[[int, int], None]:
    """``progress(done, total)`` that prints "label: 45%" (in place on a terminal)."""
    tty = sys.stdout.isatty()
    last = [-1]

    def progress(done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 100
        step = percent if tty else percent // 25 * 25
        if step == last[0]:
            return
        last[0] = step
        end = "\r" if tty and percent < 100 else "\n"
        print(f"{label}: {step}%", end=end, flush=True)

    return progress


def set_up(
    data_dir: Path,
    *,
    persons: int,
    seed: int,
    node_id: str = NODE_ID,
    jurisdiction: str = JURISDICTION,
    name: str = NODE_NAME,
    agency: str = "CT-NL",
    un_list: bool = True,
) -> DemoNode:
    """Create the node (unless ``data_dir`` already holds a fresh one from ``create_data_dir``),
    its users and, with ``persons``, its data. Django is started here, on ``data_dir``."""
    from accord.cli.main import setup_django
    from accord.node.datadir import read_node_config
    from accord.node.services import create_data_dir

    config = read_node_config(data_dir) or create_data_dir(data_dir, node_id, jurisdiction, name)
    node_id, jurisdiction = config.node_id, config.jurisdiction
    setup_django(data_dir)
    from accord.accounts.services import add_user, create_token
    from accord.engine.synth.federation import generate_federation_data
    from accord.intel.services import ingest_objects
    from accord.node.bootstrap import bootstrap_node

    print(f"Creating node {node_id} ({jurisdiction}) in {data_dir} ...", flush=True)
    bootstrap_node(data_dir, config)
    node = DemoNode(data_dir=data_dir, identity_id=config.identity_id)
    users = {}
    for role in ROLES:
        password = f"demo-{secrets.token_urlsafe(12)}"
        users[role] = add_user(None, role, role=role, password=password, agency=agency)
        node.passwords[role] = password
    node.token, _ = create_token(None, users["analyst"], name="demo")
    if persons < 1:
        return node

    objects = generate_federation_data(seed, persons, created_by_ref=config.identity_id)
    report = ingest_objects(
        users["analyst"],
        objects,
        source="accord demo: synthetic data",
        purpose=PURPOSE,
        progress=progress_printer("Importing synthetic data"),
    )
    if not report.ok:
        first = report.refused[0]
        raise RuntimeError(f"synthetic data refused: {first.stix_id} {first.path}: {first.message}")
    node.counts["synthetic objects"] = report.imported
    node.known_name, node.known_id = _known_person(objects)

    if not un_list:
        return node
    shared = shared_data_dir()
    if shared is not None and (shared / UN_LIST).is_file():
        node.counts["UN list objects"] = _import_un_list(shared / UN_LIST, users["analyst"], node)
    else:
        print("UN Consolidated List not found (set ACCORD_SHARED_DATA); skipped.")
    return node


def _import_un_list(path: Path, user: User, node: DemoNode) -> int:
    from django.conf import settings

    from accord.engine.imports import parse, read_limited
    from accord.engine.stix.markings import TLP_IDS
    from accord.intel.services import ingest_objects

    data = read_limited(
        path,
        max_bytes=settings.ACCORD_MAX_UPLOAD_BYTES,
        max_expanded_bytes=settings.ACCORD_MAX_EXPANDED_BYTES,
    )
    parsed = parse(
        "un-xml",
        data,
        created_by_ref=node.identity_id,
        marking_refs=[TLP_IDS["clear"]],
        progress=progress_printer("Reading the UN Consolidated List"),
    )
    report = ingest_objects(
        user,
        parsed.objects,
        source=f"UN Security Council Consolidated List ({path.name})",
        purpose=PURPOSE,
        progress=progress_printer("Importing the UN Consolidated List"),
    )
    if not report.ok:
        first = report.refused[0]
        print(f"UN list refused: {first.stix_id} {first.path}: {first.message}", file=sys.stderr)
        return 0
    return report.imported


def _known_person(objects: list[dict[str, Any]]) -> tuple[str, str]:
    """A person every demo login can find: TLP:GREEN or AMBER, no handling code, plain name."""
    from accord.engine.stix.markings import TLP_IDS

    open_refs = {TLP_IDS["green"], TLP_IDS["amber"]}
    for obj in objects:
        if (
            obj["type"] == "identity"
            and obj.get("identity_class") == "individual"
            and set(obj.get("object_marking_refs", ())) <= open_refs
            and re.fullmatch(r"[A-Za-z]+( [A-Za-z]+){1,2}", obj["name"])
        ):
            return obj["name"], obj["id"]
    return "", ""


def _banner(node: DemoNode, url: str) -> None:
    print()
    print(f"Accord demo node {NODE_ID} ({JURISDICTION}), data in {node.data_dir}")
    for what, count in node.counts.items():
        print(f"  {count} {what} imported")
    print(f"Open {url} and log in as one of (DEMO ONLY, generated for this run):")
    width = max(len(r) for r in node.passwords)
    for role, password in node.passwords.items():
        print(f"  {role:<{width}}  {password}")
    print(f"API token of 'analyst' (DEMO ONLY): {node.token}")
    if node.known_name:
        print(f"Try searching for: {node.known_name}")
    print("Press Ctrl-C to stop.", flush=True)


def run(args: argparse.Namespace) -> int:
    if os.environ.pop("ACCORD_DATABASE_URL", None):
        print("accord demo: ignoring ACCORD_DATABASE_URL; a demo node has its own SQLite database")
    fresh = args.data_dir is None
    data_dir = (
        Path(tempfile.mkdtemp(prefix="accord-demo-"))
        if fresh
        else Path(args.data_dir).expanduser().resolve()
    )
    if (data_dir / "node.json").exists() or any(data_dir.glob("*/node.json")):
        print(
            f"accord demo: {data_dir} already holds a node; choose an empty directory",
            file=sys.stderr,
        )
        return 2
    if args.persons < 1:
        print("accord demo: --persons must be at least 1", file=sys.stderr)
        return 2
    try:
        if args.nodes != 1:
            from accord.cli.demo_federation import run_federation

            return run_federation(args, data_dir)
        node = set_up(data_dir, persons=args.persons, seed=args.seed)
        if args.check:
            return 0 if run_checks(node, seed=args.seed) else 1
        from accord.cli import serve

        _banner(node, f"http://{args.host}:{args.port}/")
        # accord serve's own parser, so that the demo gets every option's default.
        serve_parser = argparse.ArgumentParser(prog="accord serve")
        serve.add_arguments(serve_parser)
        serve_args = serve_parser.parse_args(
            ["--data-dir", str(data_dir), "--host", args.host, "--port", str(args.port)]
        )
        return int(serve.run(serve_args) or 0)
    finally:
        if fresh and args.check:
            shutil.rmtree(data_dir, ignore_errors=True)


# -- --check: a real node process driven over HTTP ---------------------------------------------


class Browser:
    """An HTTP client that keeps cookies itself: the node's cookies are ``Secure``, which httpx's
    cookie jar will not send over plain http to 127.0.0.1."""

    def __init__(self, base: str) -> None:
        import httpx

        self.client = httpx.Client(base_url=base, timeout=30.0, follow_redirects=False)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, url, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return response

    def close(self) -> None:
        self.client.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_checks(node: DemoNode, *, seed: int) -> bool:
    """Serve ``node`` in a real ``accord serve`` process and check it over HTTP."""
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per check is enough
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, ACCORD_DATA_DIR=str(node.data_dir))
    env.pop("ACCORD_TASKS_BACKEND", None)  # imports go through the real queue and worker
    env.pop("ACCORD_DATABASE_URL", None)
    command = [sys.executable, "-m", "accord.cli.main", "serve", "--data-dir", str(node.data_dir)]
    proc = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], env=env)
    browser = Browser(base)
    check = Checks()

    def answering() -> str:
        wait_until_answering(base + "/", proc, timeout=60)
        return base

    try:
        check("node answers", answering)
        for name, step in Steps(browser, node, seed).steps():
            check(name, step)
    finally:
        browser.close()
        _stop(proc)
    ok = all(check.results)
    print(("All checks passed." if ok else "Some checks FAILED."), flush=True)
    return ok


class Checks:
    """Named checks run one after another, each printed as ✓ with the step's detail or ✗ with
    why it failed (``MISSING:`` for a ``missing`` exception: a part the node does not have);
    :attr:`results` keeps each outcome."""

    def __init__(self, missing: type[Exception] | None = None) -> None:
        self.results: list[bool] = []
        self._missing = missing

    def __call__(self, name: str, step: Callable[[], str]) -> None:
        try:
            detail = step()
        except Exception as exc:
            missing = self._missing is not None and isinstance(exc, self._missing)
            why = f"MISSING: {exc}" if missing else f"{type(exc).__name__}: {exc}"
            print(f"✗ {name}: {why}", flush=True)
            self.results.append(False)
        else:
            print(f"✓ {name}{': ' + detail if detail else ''}", flush=True)
            self.results.append(True)


class Steps:
    """The checks of ``--check``, each returning a short detail or raising AssertionError."""

    def __init__(self, browser: Browser, node: DemoNode, seed: int) -> None:
        self.browser = browser
        self.node = node
        self.seed = seed
        self.csrf_form = ""

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        """The checks of one node, by name, in the order they run (each needs the one before:
        the login takes the login page's CSRF token)."""
        return [
            ("login page sets a CSRF cookie", self.login_page),
            ("analyst logs in", self.login),
            (f"record search finds {self.node.known_name!r}", self.search_page),
            ("API refuses a call without a token", self.api_anonymous),
            ("API search with a token", self.api_search),
            ("API import of a STIX bundle", self.api_import),
        ]

    def login_page(self) -> str:
        response = self.browser.request("GET", "/login/")
        assert response.status_code == 200, f"GET /login/ answered {response.status_code}"
        assert "accord_csrftoken" in self.browser.cookies, "no accord_csrftoken cookie"
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        assert found, "the login form has no CSRF token"
        self.csrf_form = found.group(1)
        return ""

    def login(self) -> str:
        response = self.browser.request(
            "POST",
            "/login/",
            data={
                "username": "analyst",
                "password": self.node.passwords["analyst"],
                "csrfmiddlewaretoken": self.csrf_form,
            },
            headers={"Referer": f"{self.browser.client.base_url}login/"},
        )
        assert response.status_code == 302, f"POST /login/ answered {response.status_code}"
        assert "accord_session" in self.browser.cookies, "no session cookie after login"
        home = self.browser.request("GET", "/")
        assert home.status_code == 200, f"GET / after login answered {home.status_code}"
        return ""

    def search_page(self) -> str:
        assert self.node.known_name, "no known person in the synthetic data"
        response = self.browser.request("GET", "/records/", params={"q": self.node.known_name})
        assert response.status_code == 200, f"GET /records/ answered {response.status_code}"
        assert self.node.known_name in html.unescape(response.text), "name not in the page"
        return ""

    def _api(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.node.token}", "X-Accord-Purpose": PURPOSE}
        return self.browser.client.request(method, url, headers=headers, **kwargs)

    def api_anonymous(self) -> str:
        response = self.browser.client.get("/api/records", params={"q": self.node.known_name})
        assert response.status_code == 401, f"answered {response.status_code}"
        return "401"

    def api_search(self) -> str:
        response = self._api("GET", "/api/records", params={"q": self.node.known_name})
        assert response.status_code == 200, f"GET /api/records answered {response.status_code}"
        assert self.node.known_id in response.text, f"{self.node.known_id} not in the results"
        return f"{len(response.json().get('results', []))} result(s)"

    def api_import(self) -> str:
        from accord.engine.synth.federation import federation_bundle

        bundle = federation_bundle(self.seed + 1, 20, created_by_ref=self.node.identity_id)
        new = sum(1 for o in bundle["objects"] if o["type"] != "marking-definition")
        response = self._api(
            "POST",
            "/api/imports",
            files={"file": ("check.json", json.dumps(bundle).encode(), "application/json")},
            data={"format": "stix", "purpose": PURPOSE},
        )
        assert response.status_code == 202, (
            f"POST /api/imports answered {response.status_code}: {response.text[:300]}"
        )
        location = response.json()["location"]
        deadline = time.monotonic() + 120
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            job = self._api("GET", location).json()
            if job.get("status") in ("done", "failed"):
                break
            time.sleep(0.5)
        assert job.get("status") == "done", f"import job ended as {job.get('status')}: {job}"
        imported = (job.get("report") or {}).get("imported")
        assert imported == new, f"imported {imported}, expected {new}: {job.get('report')}"
        return f"{imported} objects"
