"""Every domain app has the same shape, so that a newcomer who has read one knows where
everything is in the others:

- ``models.py``: its rows;
- ``querysets.py``: ``restrict(user, purpose, action)`` for every model that holds personal data
  (who may read or change which rows), used by every read;
- ``services.py``: reads and writes, each write and each read of personal data audited there;
- ``views.py`` and ``urls.py``: its pages; ``api.py``: its django-ninja router, with typed
  request and response schemas;
- ``handlers.py``, where it takes part in federation: every callable it registers at the
  federation's extension points (what arrives from a peer or goes out with an envelope).

The shells are not domain apps: ``accord.api`` (the NinjaAPI that adds each app's router,
authentication), ``accord.web`` (layout, dashboard, working context, API tokens) and
``accord.http`` (what apps share: problems, request and working context, ``member_required``).
The shell imports the apps; an app never imports the shell.

The rules on files read the sources with ``ast``: nothing of them runs. Where the handlers
are defined is read from the extension registry, as the apps' ``ready`` fill it once Django
has set up (pytest-django).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps

from accord.node.extensions import (
    ADMISSION_HOOK,
    ENVELOPE_MEMBER,
    NOTICE_HANDLER,
    RECEIVE_HOOK,
    Registration,
    registrations,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "accord"

#: The files every domain app has.
FILES = ("models.py", "querysets.py", "services.py", "views.py", "api.py", "urls.py")


#: The modules that answer HTTP requests in most apps: the rules on views and routers apply.
HTTP = ("views.py", "api.py")


@dataclass(frozen=True)
class App:
    """A domain app: its package (a dotted path under ``accord``), the files of :data:`FILES`
    it does without, each with the reason, and its modules that answer HTTP requests (the
    rules on views and routers apply to them)."""

    package: str
    exempt: dict[str, str] = field(default_factory=dict)
    http: tuple[str, ...] = HTTP

    @property
    def path(self) -> Path:
        return SRC.joinpath(*self.package.split("."))


_NO_HTTP = "no HTTP surface of its own"

#: The TAXII 2.1 server's endpoints: one module per resource of the specification.
_TAXII_RESOURCES = (
    "discovery.py",
    "api_root.py",
    "collections.py",
    "objects.py",
    "manifest.py",
    "versions.py",
    "status.py",
)

#: The domain apps, and why each file an app lacks is not needed. ``accounts`` (users, roles,
#: tokens) and ``node`` (settings, identity) are the node's infrastructure, not domain apps:
#: sign-in and the tokens page belong to the web shell.
DOMAIN_APPS = (
    App("intel"),
    App("screening"),
    # notices.py answers the signed notices of peers (/federation/dissemination/notices/).
    App("dissemination", http=(*HTTP, "notices.py")),
    App(
        "agreement",
        {
            "querysets.py": "agreements and jurisdiction profiles are legal texts, not "
            "personal data; every reader with the role sees them all",
            "api.py": "edited only on the legal officer's pages (/legal/); the CLI loads files",
        },
    ),
    App(
        "oversight",
        {
            "querysets.py": "the trail is read whole by `accord audit verify` (offline) and "
            "the dashboard lists only the signed-in user's own entries",
            "views.py": _NO_HTTP + ": the trail is verified offline",
            "api.py": _NO_HTTP,
            "urls.py": _NO_HTTP,
        },
    ),
    App(
        "taxii",
        {
            "querysets.py": "its entries hold personal data only through intel's records, and "
            "every read of them goes through services.visible_entries, which applies "
            "intel.querysets.restrict_q (the rules of Record.objects.restrict); collections and "
            "grants name users, not data subjects, and a POST's status is read only by the user "
            "who posted it (services.get_status)",
            "views.py": "its endpoints are one module per resource of TAXII 2.1 (discovery, "
            "api_root, collections, objects, manifest, versions, status: sections 4 and 5), "
            "each citing its section, routed by urls.py; gathered in one views.py they would "
            "lose that map to the specification. They answer TAXII clients, not pages",
            "api.py": "its API is TAXII 2.1 (application/taxii+json), documented by the "
            "specification and docs/taxii.md, not the REST OpenAPI document; collections and "
            "grants are managed with `accord taxii`",
        },
        http=(*_TAXII_RESOURCES, "fallback.py"),
    ),
    App(
        "federation",
        {
            "querysets.py": "peers, nonces, pull cursors and worker beats are about nodes and "
            "processes, not persons; an outbox item names a record version (personal data only "
            "through intel's records) and is read by the delivery worker, by the signed peer it "
            "was queued for (pull.disclosed_page serves a peer its own items) and by `accord "
            "peer`; users see an item only as the delivery status of dissemination's own rows "
            "(a dissemination entry, a revocation order) on dissemination's pages and operations",
            "api.py": "its endpoints are signed node-to-node ones (RFC 9421: the inbox in "
            "views.py, the outbox pull in pull.py beside the client that pulls) answering TAXII "
            "envelopes and statuses to peers, not REST operations for users; peers are managed "
            "with `accord peer`",
        },
        http=("views.py", "pull.py"),
    ),
    App(
        "feeds",
        {
            "querysets.py": "a feed is this node's configuration of one TAXII server's "
            "collection (URL, an account name there and its secret, encrypted) and a run is "
            "the log of one pull (counts, cursors, errors, refusals: the validator's message "
            "may quote up to 80 characters of a refused value), not rows about a person; "
            "both are shown only to administrators and supervisors (services.can_configure, "
            "can_pull), who see every feed; what a feed brings in is stored as records and "
            "read through intel's querysets",
            "api.py": "configured on the administrators' pages (/feeds/) and with `accord "
            "feed`; no REST operation",
        },
    ),
)

#: Another app's models that a domain app's HTTP modules (:attr:`App.http`) may import, only
#: to read: (importing app, models module) -> why.
READ_ALLOWED = {
    ("dissemination", "accord.federation.models"): (
        "the preview names each recipient peer and its jurisdiction"
    ),
    ("dissemination", "accord.intel.models"): (
        "display names of the shared records the user may see (Record.objects.restrict)"
    ),
    ("dissemination", "accord.node.models"): (
        "the notice delivery signs as this node (NodeIdentity.current())"
    ),
    ("taxii", "accord.node.models"): (
        "the discovery resource names this node (NodeIdentity.current(): title, description)"
    ),
    ("federation", "accord.intel.models"): (
        "the outbox pull serves the record versions queued for the signed peer "
        "(RecordVersion, through the outbox's own reference) and the puller checks which "
        "versions it already holds"
    ),
    ("federation", "accord.node.models"): (
        "the outbox pull's answer and request are signed as this node (NodeIdentity.current())"
    ),
}

#: The shell's packages: no domain app imports them.
SHELL = ("accord.api", "accord.web")

#: Methods that write rows (on a manager, a queryset or an instance).
WRITES = frozenset(
    {
        "save",
        "create",
        "update",
        "delete",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
    }
)


def _type_only(tree: ast.AST) -> set[ast.AST]:
    """The imports under ``if TYPE_CHECKING:``: they never run (annotations only)."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            for statement in node.body:
                found.update(
                    n for n in ast.walk(statement) if isinstance(n, ast.Import | ast.ImportFrom)
                )
    return found


def _imports(tree: ast.AST, *, runtime: bool = False) -> Iterator[tuple[str, list[str], int]]:
    """(module, names bound, line) of every import, module level or inside a function; with
    ``runtime``, not those under ``if TYPE_CHECKING:``."""
    skipped = _type_only(tree) if runtime else set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.asname or a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [alias.asname or alias.name.split(".")[0]], node.lineno


def _root(node: ast.AST) -> str | None:
    """The name an expression such as ``Record.objects.filter(...).first()`` starts from."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return None


def _targets(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _targets(element)


def foreign_writes(source: str, app: str) -> list[str]:
    """Where ``source`` (a views.py or api.py of ``app``) writes rows of another app's models:
    a write method called on a name imported from another app's ``models`` module, or on a
    name bound (assigned, looped over) from an expression that starts from one."""
    tree = ast.parse(source)
    own = f"accord.{app}."
    tainted = {
        name
        for module, names, _ in _imports(tree)
        if module.endswith(".models")
        and module.startswith("accord.")
        and not module.startswith(own)
        for name in names
    }
    changed = True
    while changed:  # names bound from a tainted expression are tainted too
        changed = False
        for node in ast.walk(tree):
            pairs: list[tuple[ast.AST, ast.AST]] = []
            if isinstance(node, ast.Assign):
                pairs = [(t, node.value) for t in node.targets]
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
                pairs = [(node.target, node.value)]
            elif isinstance(node, ast.For | ast.comprehension):
                pairs = [(node.target, node.iter)]
            for target, value in pairs:
                if _root(value) in tainted:
                    new = set(_targets(target)) - tainted
                    if new:
                        tainted |= new
                        changed = True
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and _root(node.func.value) in tainted
        ):
            found.append((node.lineno, f"line {node.lineno}: {ast.unparse(node.func)}()"))
    return [where for _, where in sorted(found)]


def _http_modules(app: App) -> Iterator[Path]:
    for name in app.http:
        path = app.path / name
        if path.exists():
            yield path


@pytest.mark.parametrize("app", DOMAIN_APPS, ids=lambda a: a.package)
def test_every_domain_app_has_the_same_files(app: App) -> None:
    assert app.path.is_dir(), f"{app.package}: no such app"
    for name in app.exempt:
        assert name in FILES, f"{app.package}: {name} is not one of the app files"
        assert not (app.path / name).exists(), f"{app.package}/{name} exists: drop the exemption"
    missing = [n for n in FILES if n not in app.exempt and not (app.path / n).exists()]
    assert not missing, f"{app.package} lacks {', '.join(missing)}"


@pytest.mark.parametrize("app", DOMAIN_APPS, ids=lambda a: a.package)
def test_an_app_never_imports_the_shell(app: App) -> None:
    wrong = [
        f"{path.relative_to(SRC)}:{line}: {module}"
        for path in sorted(app.path.rglob("*.py"))
        for module, _, line in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if any(module == shell or module.startswith(shell + ".") for shell in SHELL)
    ]
    assert not wrong, "apps import accord.http, never the shell: " + "; ".join(wrong)


@pytest.mark.parametrize("app", DOMAIN_APPS, ids=lambda a: a.package)
def test_views_and_routers_import_other_apps_models_only_as_allowed(app: App) -> None:
    own = f"accord.{app.package}."
    wrong = []
    for path in _http_modules(app):
        for module, _, line in _imports(ast.parse(path.read_text(encoding="utf-8")), runtime=True):
            foreign = module.startswith("accord.") and not module.startswith(own)
            if foreign and module.endswith(".models") and (app.package, module) not in READ_ALLOWED:
                wrong.append(f"{path.relative_to(SRC)}:{line}: {module}")
    assert not wrong, "read another app's rows through its services or querysets: " + "; ".join(
        wrong
    )


@pytest.mark.parametrize("app", DOMAIN_APPS, ids=lambda a: a.package)
def test_views_and_routers_never_write_other_apps_models(app: App) -> None:
    wrong = [
        f"{path.relative_to(SRC)} {where}"
        for path in _http_modules(app)
        for where in foreign_writes(path.read_text(encoding="utf-8"), app.package)
    ]
    assert not wrong, "write another app's rows through its services: " + "; ".join(wrong)


def test_the_allowed_imports_are_still_needed() -> None:
    """An allowance nobody uses any more is removed, so the list stays the truth."""
    used = set()
    for app in DOMAIN_APPS:
        for path in _http_modules(app):
            for module, _, _ in _imports(ast.parse(path.read_text(encoding="utf-8")), runtime=True):
                used.add((app.package, module))
    assert set(READ_ALLOWED) <= used, set(READ_ALLOWED) - used


def test_the_write_check_sees_a_write() -> None:
    """The checker itself: direct writes, writes through a bound name and through a loop are
    found; reads and the app's own models are not."""
    source = """
from accord.intel.models import Record
from accord.screening.models import Hit

def view(request):
    from accord.federation.models import Peer as P
    Record.objects.filter(pk=1).update(tlp="red")
    peer = P.objects.get(pk=1)
    peer.save()
    for row in Record.objects.all():
        row.delete()
    Record.objects.filter(pk=1).exists()
    Hit.objects.create(row=1)
"""
    found = foreign_writes(source, "screening")
    assert [f.split(":")[0] for f in found] == ["line 7", "line 9", "line 11"], found


@pytest.mark.parametrize("app", DOMAIN_APPS, ids=lambda a: a.package)
def test_the_http_modules_named_exist(app: App) -> None:
    """A module named as answering HTTP that is gone would leave the rules checking nothing."""
    missing = [n for n in app.http if n not in app.exempt and not (app.path / n).exists()]
    assert not missing, f"{app.package}: no {', '.join(missing)}: update App.http"


# --------------------------------------------------------------------------------------------
# handlers.py

#: The extension points where an app plugs into the federation: what arrives from a peer
#: (admission and receive hooks on the inbox, handlers of signed notices) or goes out with an
#: envelope (its members).
FEDERATION_POINTS = (ADMISSION_HOOK, RECEIVE_HOOK, ENVELOPE_MEMBER, NOTICE_HANDLER)

#: Apps whose registrations at those points are the federation's own core, not a handler of
#: an app plugged into it.
CORE = frozenset({"federation"})


def misplaced_handlers(found: Iterable[Registration[Any]]) -> list[str]:
    """The registrations of ``found`` whose value is not defined in the ``handlers`` module
    of the app that registered it (the core's own excepted)."""
    wrong = []
    for r in found:
        if r.app in CORE:
            continue
        expected = f"{django_apps.get_app_config(r.app).name}.handlers"
        module = getattr(r.value, "__module__", None)
        if module != expected:
            wrong.append(f"{r.point} {r.name!r} by {r.app}: {module}, not {expected}")
    return wrong


def test_what_an_app_plugs_into_the_federation_is_defined_in_its_handlers() -> None:
    found = [r for point in FEDERATION_POINTS for r in registrations(point)]
    assert any(r.app not in CORE for r in found), "no app registers at the federation points"
    wrong = misplaced_handlers(found)
    assert not wrong, "define what an app registers at the federation points in its " + (
        "handlers.py, and register it from there: " + "; ".join(wrong)
    )


def _handler_elsewhere(peer: Any, body: dict[str, Any]) -> str:
    return ""


def test_the_handlers_check_sees_a_handler_elsewhere() -> None:
    """The checker itself: a function of another module is found, a handler of the app's
    handlers.py and a registration of the core are not."""
    from accord.screening.handlers import receive_hit

    found = [
        Registration(NOTICE_HANDLER.name, "screening.elsewhere", "screening", _handler_elsewhere),
        Registration(NOTICE_HANDLER.name, "screening.hit", "screening", receive_hit),
        Registration(ENVELOPE_MEMBER.name, "federation.core", "federation", _handler_elsewhere),
    ]
    wrong = misplaced_handlers(found)
    assert len(wrong) == 1 and "screening.elsewhere" in wrong[0], wrong


def test_an_import_for_annotations_only_reads_no_rows() -> None:
    """An import under ``if TYPE_CHECKING:`` never runs: another app's model named there for
    an annotation is not a read of its rows. Imports that run are all seen."""
    source = """
from typing import TYPE_CHECKING
from accord.intel.models import Record

if TYPE_CHECKING:
    from accord.accounts.models import User

def view(request):
    from accord.federation.models import Peer
"""
    tree = ast.parse(source)
    every = {module for module, _, _ in _imports(tree)}
    running = {module for module, _, _ in _imports(tree, runtime=True)}
    assert "accord.accounts.models" in every
    assert running == every - {"accord.accounts.models"}
    assert {"accord.intel.models", "accord.federation.models"} <= running
