"""Draw the node's architecture from its code, into docs/architecture.md.

Usage (from the repository root)::

    .venv/bin/python scripts/architecture_diagram.py            # rewrite the generated part
    .venv/bin/python scripts/architecture_diagram.py --check    # exit 1 when it is stale
    .venv/bin/python scripts/architecture_diagram.py --stdout   # print it, write nothing

What it writes: the text between ``<!-- generated: architecture_diagram.py -->`` and
``<!-- end generated -->`` in docs/architecture.md (a Mermaid flowchart, then tables of the URL
mount points, the imports between parts, the edges against the layering and the extension
registrations). Nothing outside the markers is touched. ``--check`` writes nothing and exits 1
when the text there differs from what the code gives now; tests/unit/test_architecture_diagram.py
runs it, so the picture cannot go stale unnoticed: after moving, adding or renaming an app,
re-run the script and commit the page.

Why Mermaid text in the page rather than an SVG drawn with Graphviz: ``dot`` is a system package
that the node's set-up does not install (the test would depend on a tool the machine may lack),
and its SVG output changes with its version, so a check on it would fail for reasons that are
not the code's. Mermaid text is deterministic, shows in a review's diff line by line, and GitLab
and GitHub draw it when the page is shown, with the renderer they serve themselves: nothing is
fetched from a CDN when the page is read.

Where each fact comes from (nothing is typed in by hand but the layer of the shell packages):

- the parts: every Django app of ``INSTALLED_APPS`` under ``accord`` (read after
  ``django.setup()`` with ``accord.node.settings_test`` and a throw-away data directory), every
  package or module directly under ``accord.engine``, and every other package under ``accord``;
  a module belongs to the longest part whose name is a prefix of its own;
- the imports: every ``import`` and ``from ... import`` of ``accord`` in every module under
  src/accord except migrations, read with :mod:`ast` and classed as module level, deferred
  (only inside functions) or types only (under ``if TYPE_CHECKING:``);
- the URL mount points: the resolvers of ``ROOT_URLCONF`` walked down to every view, each view
  given to the part its module belongs to (a class-based view by its class, a django-ninja
  operation by its view function);
- the command line: ``[project.scripts]`` of pyproject.toml;
- the extension registrations: ``accord.node.extensions.registrations()`` after ``ready`` ran,
  when that module exists (otherwise the table is left out).

Every list is sorted and no date or path of this machine is written, so the same code always
gives the same text.
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib
import os
import re
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BEGIN",
    "END",
    "Architecture",
    "Import",
    "Mount",
    "generate",
    "main",
    "module_imports",
    "replace_generated",
]

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- generated: architecture_diagram.py -->"
END = "<!-- end generated -->"
PACKAGE = "accord"
SETTINGS = "accord.node.settings_test"

#: The layer of the parts that are not domain apps: the shells and the node's infrastructure
#: (as tests/unit/test_app_layout.py counts them). Every other app of INSTALLED_APPS is a
#: domain app, every part under ``accord.engine`` is the engine; a new app needs no entry here.
SHELL_LAYERS = {
    "api": "shell",
    "web": "shell",
    "cli": "shell",
    "http": "shell",
    "node": "node",
    "accounts": "node",
}
LAYERS = ("shell", "node", "app", "engine")
LAYER_TITLES = {
    "shell": "Shell: routing, pages, helpers, command line",
    "node": "Node infrastructure: settings, identity, users, extension registry, schedule",
    "app": "Domain apps",
    "engine": "Engine: framework-free, mypy --strict",
}

# Import strengths, strongest first: an edge keeps the strongest import between two parts.
MODULE, DEFERRED, TYPES = "module", "deferred", "types"
STRENGTH = {MODULE: 0, DEFERRED: 1, TYPES: 2}


@dataclass(frozen=True, order=True)
class Import:
    """One import of a module of ``accord`` by ``source``: ``kind`` is module, deferred or
    types."""

    source: str
    target: str
    kind: str


@dataclass(frozen=True, order=True)
class Mount:
    """Views of ``part`` served under ``path``, handed to it by ``router`` (a part, or ``""``
    for the root URL configuration)."""

    path: str
    part: str
    router: str


@dataclass
class Architecture:
    """What the code says: parts by layer, import edges, mount points, entry points and the
    extension registrations (None where the node has no registry)."""

    parts: dict[str, str]  # part -> layer
    edges: dict[tuple[str, str], str]  # (importer, imported) -> strongest kind
    mounts: list[Mount]
    root_urlconf: str
    commands: list[tuple[str, str]]  # (command, part)
    registrations: list[tuple[str, str, str, str]] | None  # point, name, part, what
    app_labels: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Imports, read with ast


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


@dataclass
class _ImportReader:
    """Collects the imports of modules of ``accord`` in one module's tree (see
    :func:`module_imports`)."""

    module: str
    package: str
    known: frozenset[str] | set[str]
    found: list[Import] = field(default_factory=list)

    def targets(self, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
            return
        base = node.module or ""
        if node.level:
            parts = self.package.split(".")
            anchor = ".".join(parts[: len(parts) - node.level + 1])
            base = f"{anchor}.{base}" if base else anchor
        for alias in node.names:
            full = f"{base}.{alias.name}"
            yield full if full in self.known else base

    def visit(self, nodes: Iterable[ast.stmt], kind: str) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in self.targets(node):
                    if target == PACKAGE or target.startswith(PACKAGE + "."):
                        self.found.append(Import(self.module, target, kind))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.visit(node.body, TYPES if kind == TYPES else DEFERRED)
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                self.visit(node.body, TYPES)
                self.visit(node.orelse, kind)
            else:
                self.visit_blocks(node, kind)

    def visit_blocks(self, node: ast.stmt, kind: str) -> None:
        """The statements nested in ``node`` (bodies, else and finally blocks, except handlers,
        match cases), at the same level as ``node``."""
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, name, None)
            if isinstance(children, list):
                self.visit([c for c in children if isinstance(c, ast.stmt)], kind)
                for child in children:  # except handlers and match cases
                    if isinstance(child, ast.excepthandler | ast.match_case):
                        self.visit(child.body, kind)


def module_imports(
    source: str, module: str, is_package: bool, known: frozenset[str] | set[str]
) -> list[Import]:
    """The imports of modules of ``accord`` in ``source`` (the text of ``module``), each with
    where it stands: ``module`` level (including class bodies and ``try``/``if`` blocks),
    ``deferred`` (inside a function) or ``types`` (under ``if TYPE_CHECKING:``).

    ``from X import Y`` counts as an import of ``X.Y`` when that is a module in ``known``,
    else of ``X``; relative imports are resolved against ``module``.
    """
    package = module if is_package else module.rpartition(".")[0]
    reader = _ImportReader(module, package, known)
    reader.visit(ast.parse(source).body, MODULE)
    return reader.found


def _source_modules(src: Path) -> dict[str, tuple[Path, bool]]:
    """Every module under src/accord but migrations: dotted name -> (file, is a package)."""
    modules: dict[str, tuple[Path, bool]] = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        relative = path.relative_to(src).with_suffix("")
        if "migrations" in relative.parts:
            continue
        is_package = relative.name == "__init__"
        dotted = ".".join(relative.parts[:-1] if is_package else relative.parts)
        modules[dotted] = (path, is_package)
    return modules


# --------------------------------------------------------------------------------------------
# Parts and layers


def _parts(src: Path, app_names: Sequence[str]) -> dict[str, str]:
    """Part name (relative to ``accord``) -> layer."""
    parts: dict[str, str] = {}
    engine = src / PACKAGE / "engine"
    for child in sorted(engine.iterdir()) if engine.is_dir() else []:
        if child.is_dir() and (child / "__init__.py").exists():
            parts[f"engine.{child.name}"] = "engine"
        elif child.suffix == ".py" and child.stem != "__init__":
            parts[f"engine.{child.stem}"] = "engine"
    for name in app_names:
        if name.startswith(PACKAGE + "."):
            short = name[len(PACKAGE) + 1 :]
            parts[short] = SHELL_LAYERS.get(short, "app")
    for child in sorted((src / PACKAGE).iterdir()):
        if child.is_dir() and (child / "__init__.py").exists():
            short = child.name
            covered = any(p == short or p.startswith(short + ".") for p in parts)
            if short != "engine" and not covered:
                parts[short] = SHELL_LAYERS.get(short, "app")
    return parts


def _part_of(module: str, parts: dict[str, str]) -> str:
    """The longest part containing ``module`` ("" when none does)."""
    if not module.startswith(PACKAGE + "."):
        return ""
    name = module[len(PACKAGE) + 1 :]
    best = ""
    for part in parts:
        if (name == part or name.startswith(part + ".")) and len(part) > len(best):
            best = part
    return best


def _edges(src: Path, parts: dict[str, str]) -> dict[tuple[str, str], str]:
    modules = _source_modules(src)
    known = frozenset(modules)
    edges: dict[tuple[str, str], str] = {}
    for module, (path, is_package) in modules.items():
        source_part = _part_of(module, parts)
        for found in module_imports(path.read_text(encoding="utf-8"), module, is_package, known):
            target_part = _part_of(found.target, parts)
            if not source_part or not target_part or target_part == source_part:
                continue
            key = (source_part, target_part)
            if key not in edges or STRENGTH[found.kind] < STRENGTH[edges[key]]:
                edges[key] = found.kind
    return edges


# --------------------------------------------------------------------------------------------
# URL mount points


_LITERAL = re.compile(r"^[A-Za-z0-9._~-]+$")


def _view_modules(callback: Any) -> list[str]:
    """The modules whose code answers ``callback``: a class-based view's class, a
    django-ninja path's operations (their view functions), or the function itself."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return [view_class.__module__]
    while hasattr(callback, "__wrapped__"):
        callback = callback.__wrapped__
    for cell in getattr(callback, "__closure__", None) or ():
        try:
            operations = getattr(cell.cell_contents, "operations", None)
        except ValueError:  # an empty cell
            continue
        if operations:
            return sorted({op.view_func.__module__ for op in operations})
    if isinstance(callback, functools.partial):
        callback = callback.func
    return [getattr(callback, "__module__", "") or ""]


def _mounts(parts: dict[str, str], root_urlconf: str) -> list[Mount]:
    """Where each part's views are mounted, and which part's URL configuration hands them
    over. A part's include under a non-empty prefix is one mount point (``/taxii2/``);
    views that a URL configuration of another part lists itself, or that an include at an
    empty prefix brings in, are grouped by their first path segment (``/api/records``,
    ``/records/``); a view at a parameter or pattern there counts as ``prefix*``."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: set[Mount] = set()
    root_part = _part_of(root_urlconf, parts)

    # chain: (prefix, owner part, own pattern) of every resolver from the root down
    def walk(patterns: Sequence[Any], chain: list[tuple[str, str, str]]) -> None:
        prefix, owner, _ = chain[-1]
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                conf = pattern.urlconf_name
                name = conf if isinstance(conf, str) else getattr(conf, "__name__", None)
                part = _part_of(name, parts) if isinstance(name, str) else owner
                walk(pattern.url_patterns, [*chain, (prefix + route, part or owner, route)])
            elif isinstance(pattern, URLPattern):
                for module in _view_modules(pattern.callback):
                    part = _part_of(module, parts) or owner
                    found.add(_mount(chain, part, route))

    walk(get_resolver(root_urlconf).url_patterns, [("/", root_part, "")])
    # "/taxii2" and "/taxii2/" are one mount point: keep the spelling with the slash
    merged: dict[tuple[str, str, str], Mount] = {}
    for mount in sorted(found, key=lambda m: (m.path.rstrip("/"), m.part, m.router, -len(m.path))):
        merged.setdefault((mount.path.rstrip("/") or "/", mount.part, mount.router), mount)
    return sorted(merged.values())


def _mount(chain: list[tuple[str, str, str]], part: str, route: str) -> Mount:
    """The mount point of a view of ``part`` at ``route`` below the resolvers of ``chain``."""
    start = len(chain)
    while start > 1 and chain[start - 1][1] == part:
        start -= 1
    # chain[start:] are the resolvers of ``part`` itself; the one above them handed over
    handed = start - 1 if start < len(chain) else len(chain) - 1
    if start < len(chain) and chain[start][2]:
        prefix = chain[start][0]
    else:
        prefix = chain[-1][0]
        segment = route.split("/", 1)[0]
        if segment and _LITERAL.match(segment):
            prefix += segment + ("/" if "/" in route else "")
        elif segment:
            prefix += "*"
    return Mount(prefix, part, chain[handed][1] if handed > 0 else "")


# --------------------------------------------------------------------------------------------
# Extension registrations


def _describe(value: Any) -> str:
    """What a registration plugs in, in words that do not change from run to run."""
    summary = getattr(value, "summary", "")
    if isinstance(summary, str) and summary:
        every = getattr(value, "every", None)
        if isinstance(every, int | float):
            when = f"every {every:g} s"
        elif callable(every):
            when = f"every `{every.__module__}.{every.__qualname__}()` s"
        else:
            when = ""
        return f"{when}: {summary}" if when else summary
    module_path = getattr(value, "module_path", None)
    if isinstance(module_path, str):
        return f"task `{module_path}`"
    module = getattr(value, "__module__", "")
    qualname = getattr(value, "__qualname__", type(value).__qualname__)
    return f"`{module}.{qualname}`"


def _registrations(parts: dict[str, str]) -> list[tuple[str, str, str, str]] | None:
    try:
        extensions = importlib.import_module(f"{PACKAGE}.node.extensions")
    except ModuleNotFoundError:
        return None
    listing = getattr(extensions, "registrations", None)
    if not callable(listing):
        return None
    from django.apps import apps

    rows = []
    for registration in listing():
        try:
            app_name = apps.get_app_config(registration.app).name
        except LookupError:
            app_name = f"{PACKAGE}.{registration.app}"
        part = _part_of(app_name, parts) or registration.app
        rows.append((registration.point, registration.name, part, _describe(registration.value)))
    return rows  # in registration order: the order the core iterates them


# --------------------------------------------------------------------------------------------
# Reading the code


def _setup_django(src: Path) -> None:
    """``django.setup()`` on the test settings, with a throw-away data directory, importing
    ``accord`` from ``src`` (this working tree, whatever is installed)."""
    sys.path.insert(0, str(src))
    data_dir = tempfile.TemporaryDirectory(prefix="accord-diagram-")
    os.environ["ACCORD_DATA_DIR"] = data_dir.name
    os.environ.pop("ACCORD_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()
    _setup_django.data_dir = data_dir  # type: ignore[attr-defined]  # removed at exit


def read_architecture(root: Path = ROOT) -> Architecture:
    """Read the parts, imports, mount points, commands and registrations from the code."""
    src = root / "src"
    from django.apps import apps
    from django.conf import settings

    if not apps.ready:
        _setup_django(src)
    app_names = [app.name for app in apps.get_app_configs()]
    parts = _parts(src, app_names)
    root_urlconf = str(settings.ROOT_URLCONF)
    scripts = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    commands = sorted(
        (command, _part_of(target.partition(":")[0], parts))
        for command, target in scripts.get("project", {}).get("scripts", {}).items()
    )
    return Architecture(
        parts=parts,
        edges=_edges(src, parts),
        mounts=_mounts(parts, root_urlconf),
        root_urlconf=root_urlconf,
        commands=commands,
        registrations=_registrations(parts),
        app_labels={a.name[len(PACKAGE) + 1 :]: a.label for a in apps.get_app_configs()},
    )


# --------------------------------------------------------------------------------------------
# Writing it out


def _node_id(part: str) -> str:
    return "p_" + re.sub(r"[^A-Za-z0-9]", "_", part)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def _order(parts: dict[str, str]) -> list[str]:
    return sorted(parts, key=lambda p: (LAYERS.index(parts[p]), p))


def violations(arch: Architecture) -> list[tuple[str, str, str]]:
    """Imports against the layering, with the rule each breaks: the engine imports nothing
    outside the engine; nothing but the command line imports the command line; domain apps,
    the node and the HTTP helpers import no shell that routes requests (``api``, ``web``)."""
    found = []
    for (source, target), kind in sorted(arch.edges.items()):
        if kind == TYPES:
            continue
        source_layer, target_layer = arch.parts[source], arch.parts[target]
        if source_layer == "engine" and target_layer != "engine":
            found.append((source, target, "the engine imports nothing outside the engine"))
        elif target == "cli":
            found.append((source, target, "only the command line imports the command line"))
        elif target in ("api", "web") and source not in ("api", "web", "cli"):
            found.append((source, target, "no app, node or helper imports the routing shells"))
    return found


LAYER_STYLES = {
    "shell": "fill:#eef2fb,stroke:#345",
    "node": "fill:#f3eefb,stroke:#536",
    "app": "fill:#fdf5e6,stroke:#8a5a00",
    "engine": "fill:#eef7ee,stroke:#2a6a2a",
}


def _nodes(arch: Architecture, shown: set[str]) -> list[str]:
    """The parts in ``shown``, each coloured by its layer."""
    lines = []
    for part in _order(arch.parts):
        if part in shown:
            lines.append(f"  {_node_id(part)}[{_quoted(part)}]:::{arch.parts[part]}")
    for layer in LAYERS:
        if any(arch.parts[p] == layer for p in shown):
            lines.append(f"  classDef {layer} {LAYER_STYLES[layer]}")
    return lines


def requests_diagram(arch: Architecture) -> list[str]:
    """Mermaid: where requests and commands enter, and which part each path is handed to."""
    routes: dict[tuple[str, str], list[str]] = {}
    for mount in arch.mounts:
        routes.setdefault((mount.router, mount.part), []).append(mount.path)
    shown = {p for key in routes for p in key if p} | {p for _, p in arch.commands if p}
    lines = ["```mermaid", "flowchart LR"]
    lines.append(f"  http_in([{_quoted('HTTP requests: ' + arch.root_urlconf)}])")
    for command, _ in arch.commands:
        lines.append(f"  cmd_{_node_id(command)}([{_quoted('the ' + command + ' command')}])")
    lines += _nodes(arch, shown)
    for (router, part), paths in sorted(routes.items()):
        source = _node_id(router) if router else "http_in"
        lines.append(f"  {source} ==>|{_quoted(' '.join(sorted(paths)))}| {_node_id(part)}")
    for command, part in arch.commands:
        if part:
            lines.append(f"  cmd_{_node_id(command)} ==> {_node_id(part)}")
    lines.append("```")
    return lines


def imports_diagram(arch: Architecture) -> list[str]:
    """Mermaid: imports between the domain apps, the node and the shell parts that no URL
    configuration or command enters (the helpers); solid at module level, dotted only inside
    functions. The routing shells and the command line (which import the apps they hand
    requests to) and the engine (which imports nothing outside itself) are in the table."""
    entered = {m.router for m in arch.mounts} | {p for _, p in arch.commands}
    shown = {
        part
        for part, layer in arch.parts.items()
        if layer != "engine" and (layer != "shell" or part not in entered)
    }
    arrow = {MODULE: "-->", DEFERRED: "-.->"}
    lines = ["```mermaid", "flowchart TB"]
    lines += _nodes(arch, shown)
    for (source, target), kind in sorted(arch.edges.items()):
        if kind != TYPES and source in shown and target in shown:
            lines.append(f"  {_node_id(source)} {arrow[kind]} {_node_id(target)}")
    lines.append("```")
    return lines


def _code(names: Iterable[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) or "-"


def render(arch: Architecture) -> str:
    """The generated part of docs/architecture.md (without the markers)."""
    out = [
        "",
        "<!-- Drawn from the code by scripts/architecture_diagram.py: edit the code, then run",
        "     `.venv/bin/python scripts/architecture_diagram.py` (the unit tests run --check). -->",
        "",
        "**Requests**: which part's URL configuration hands which paths to which part, and",
        "what the command line runs.",
        "",
        *requests_diagram(arch),
        "",
        "**Imports between parts**: solid, at module level; dotted, only inside functions",
        "(imports for type annotations only are in the table below). An arrow into the engine's",
        "box stands for imports of one or more engine packages (named in the table).",
        "",
        *imports_diagram(arch),
        "",
        "**URL mount points** (from `ROOT_URLCONF` down to every view):",
        "",
        "| path | served by | handed over by |",
        "|---|---|---|",
    ]
    for mount in arch.mounts:
        router = f"`{mount.router}`" if mount.router else f"`{arch.root_urlconf}`"
        out.append(f"| `{mount.path}` | `{mount.part}` | {router} |")
    out += [
        "",
        "**Imports by part** (module level; deferred: only inside functions; types: only under",
        "`if TYPE_CHECKING:`):",
        "",
        "| part | layer | imports | deferred | types |",
        "|---|---|---|---|---|",
    ]
    for part in _order(arch.parts):
        by_kind: dict[str, list[str]] = {MODULE: [], DEFERRED: [], TYPES: []}
        for (source, target), kind in sorted(arch.edges.items()):
            if source == part:
                by_kind[kind].append(target)
        out.append(
            f"| `{part}` | {arch.parts[part]} | {_code(by_kind[MODULE])} | "
            f"{_code(by_kind[DEFERRED])} | {_code(by_kind[TYPES])} |"
        )
    found = violations(arch)
    out += ["", "**Imports against the layering:** " + ("none." if not found else "")]
    if found:
        out.append("")
        out += [f"- `{s}` imports `{t}`: {rule}" for s, t, rule in found]
    if arch.registrations is not None:
        out += [
            "",
            "**Extension registrations** (`accord.node.extensions`, in the order the core "
            "iterates them):",
            "",
            "| point | name | registered by | what |",
            "|---|---|---|---|",
        ]
        out += [
            f"| `{point}` | `{name}` | `{part}` | {what} |"
            for point, name, part, what in arch.registrations
        ]
    out.append("")
    return "\n".join(out)


def generate(root: Path = ROOT) -> str:
    """The generated text for the code under ``root``."""
    return render(read_architecture(root))


def replace_generated(document: str, generated: str) -> str:
    """``document`` with the text between the markers replaced by ``generated`` (the markers
    appended at the end when the page has none yet)."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        return document.rstrip("\n") + f"\n\n{BEGIN}\n{generated}\n{END}\n"
    return document[: start + len(BEGIN)] + "\n" + generated + "\n" + document[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is stale")
    parser.add_argument("--stdout", action="store_true", help="print the generated text only")
    parser.add_argument("--doc", type=Path, default=DOC, help="the page (docs/architecture.md)")
    args = parser.parse_args(argv)
    generated = generate()
    if args.stdout:
        sys.stdout.write(generated)
        return 0
    current = args.doc.read_text(encoding="utf-8")
    wanted = replace_generated(current, generated)
    if args.check:
        if wanted != current:
            print(
                f"{args.doc} is stale: its generated part differs from the code; run "
                "`.venv/bin/python scripts/architecture_diagram.py` and commit the page",
                file=sys.stderr,
            )
            return 1
        return 0
    if wanted != current:
        args.doc.write_text(wanted, encoding="utf-8")
        print(f"{args.doc}: generated part rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
