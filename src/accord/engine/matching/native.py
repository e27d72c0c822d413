"""The matching engine's hot modules compiled with mypyc, used only when built from this source.

The modules of ``MODULES`` (``normalize``, ``features``, ``prepared``, ``algorithm``, ``index``
and the small ones they call: ``calibrate``, ``translit``) are plain, strictly typed
Python; mypyc (part of mypy, already pinned for the type check) compiles them unchanged to C
extensions. The scores are the same and a screening query costs less CPU (``accord bench
screening`` reports which engine ran). See docs/adr/0008-compiled-matching-engine.md.

``make native`` (also run by ``make``'s install step) calls ``main(["build"])``, which
compiles them into ``_native/`` beside this file, with a manifest of the SHA-256 of each
compiled source and of each module whose constants are compiled in (``INLINED``). ``load``
(called first thing by the package) uses the compiled modules only when every source still has
the hash it was compiled from and the interpreter is the one it was compiled for; otherwise,
or with ``ACCORD_MATCHING_NATIVE=0``, or when loading fails, the Python sources run as they
are. A stale build is therefore never used: editing a source falls back to it until the next
build.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

__all__ = ["MODULES", "NATIVE_DIR", "build", "load", "status"]

#: The compiled modules, each after those it imports.
MODULES = ("calibrate", "normalize", "translit", "features", "prepared", "algorithm", "index")
#: Engine modules (``accord.engine.<name>``, not compiled) whose ``Final`` constants mypyc
#: builds into the compiled modules (``names``: the input cap), so that a change to one makes
#: the build stale as well.
INLINED = ("names",)
PACKAGE = "accord.engine.matching"
NATIVE_DIR = Path(__file__).with_name("_native")
_HERE = Path(__file__).parent
_status = "pure Python (not loaded)"


def _digest(module: str) -> str:
    folder = _HERE.parent if module in INLINED else _HERE
    return hashlib.sha256((folder / f"{module}.py").read_bytes()).hexdigest()


def status() -> str:
    """Which engine this process runs, and why (for benchmarks and ``accord`` diagnostics)."""
    return _status


def load() -> bool:
    """Put the compiled modules in ``sys.modules`` when a fresh build exists; True if so."""
    global _status
    if os.environ.get("ACCORD_MATCHING_NATIVE", "1") == "0":
        _status = "pure Python (ACCORD_MATCHING_NATIVE=0)"
        return False
    try:
        manifest = json.loads((NATIVE_DIR / "manifest.json").read_text())
    except (OSError, ValueError):
        _status = "pure Python (no compiled build: make native)"
        return False
    if manifest.get("cache_tag") != sys.implementation.cache_tag:
        _status = "pure Python (compiled for another interpreter)"
        return False
    stale = [m for m in (*INLINED, *MODULES) if manifest.get("sources", {}).get(m) != _digest(m)]
    if stale:
        _status = f"pure Python (compiled build is stale: {', '.join(stale)}.py changed)"
        return False
    loaded: list[str] = []
    try:
        _load_extension(manifest["group"], NATIVE_DIR / manifest["files"][manifest["group"]])
        loaded.append(manifest["group"])
        package = sys.modules[PACKAGE]
        for m in MODULES:
            name = f"{PACKAGE}.{m}"
            if name in sys.modules:
                raise ImportError(f"{name} was imported before the compiled build")
            module = _load_extension(name, NATIVE_DIR / manifest["files"][m])
            loaded.append(name)
            setattr(package, m, module)
    except (ImportError, KeyError, OSError) as e:
        for name in loaded:
            sys.modules.pop(name, None)
        _status = f"pure Python (compiled build failed to load: {e})"
        return False
    _status = f"compiled (mypyc {manifest.get('mypy', '?')})"
    return True


def _load_extension(name: str, path: Path) -> ModuleType:
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    if spec is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def build(target: Path = NATIVE_DIR) -> Path:
    """Compile ``MODULES`` with mypyc into ``target`` (replaced whole); returns ``target``.

    mypyc type-checks the whole ``accord`` package as the project's strict mypy configuration
    does, so it runs in a scratch copy of the sources with the project's ``pyproject.toml``."""
    import mypy.version

    src = _HERE.parents[2]  # the directory holding the ``accord`` package
    with tempfile.TemporaryDirectory(prefix="accord-native-") as tmp:
        work = Path(tmp)
        ignore = shutil.ignore_patterns("__pycache__", "_native", "*.so")
        shutil.copytree(src / "accord", work / "accord", ignore=ignore)
        pyproject = src.parent / "pyproject.toml"
        if pyproject.exists():
            shutil.copy(pyproject, work / "pyproject.toml")
        files = [f"accord/engine/matching/{m}.py" for m in MODULES]
        done = subprocess.run(
            [sys.executable, "-m", "mypyc", *files],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        built = {p.name: p for p in (work / "build").glob("lib.*/**/*.so")}
        groups = [n for n in built if "__mypyc" in n]
        if len(groups) != 1 or not all(any(n.startswith(f"{m}.") for n in built) for m in MODULES):
            raise RuntimeError(f"mypyc failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
        staging = target.with_name(target.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        files_out = {}
        for name, path in built.items():
            shutil.copy(path, staging / name)
            files_out[name.split(".")[0]] = name
        group = groups[0].split(".")[0]
        manifest = {
            "cache_tag": sys.implementation.cache_tag,
            "mypy": mypy.version.__version__,
            "group": group,
            "files": files_out,
            "sources": {m: _digest(m) for m in (*INLINED, *MODULES)},
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["build"]:
        print("usage: main(['build'])", file=sys.stderr)
        return 2
    try:
        target = build()
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        print(f"matching engine not compiled, the Python sources will run: {e}", file=sys.stderr)
        return 1
    print(f"matching engine compiled with mypyc into {target}")
    return 0
