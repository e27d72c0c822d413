# Accord: set-up, demo, tests. A fresh Debian machine needs `make demo` and `make test`, nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
# Every node process, command and test starts Python afresh: with bytecode written once they start
# in 0.6 s instead of 2.8 s (a machine that sets PYTHONDONTWRITEBYTECODE recompiles ~800 modules
# at every start). Python reads an empty value as unset.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: demo test test-fast lint typecheck lock bench clean native fuzz diagram

$(STAMP): requirements/lock.txt pyproject.toml
	@sh scripts/system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements/lock.txt
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@$(MAKE) --no-print-directory native
	@$(BIN)/python -m compileall -q -j 0 $(VENV)/lib src >/dev/null || true
	@touch $(STAMP)

## Compile the screening engine's hot modules with mypyc (the Python sources run if this fails).
native:
	@$(BIN)/python -c "from accord.engine.matching.native import main; raise SystemExit(main(['build']))" || true

## Run one demonstration node with synthetic data (prints the URL and the logins).
demo: $(STAMP)
	$(BIN)/accord demo

## The whole test suite: lint, types (all of src/, --strict on the engine), unit, integration, functional and browser tests,
## one pytest-xdist worker per CPU (TEST_WORKERS=0 runs them in this process), each test file on one worker,
## the long files first (tests/conftest.py orders them; ACCORD_TEST_SCOPE=database keeps the database tests).
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

## Fuzz every parser and input endpoint for minutes each (random inputs; `make test` runs a short,
## repeatable pass). ACCORD_FUZZ_EXAMPLES=N sets the inputs per parser.
fuzz: $(STAMP)
	ACCORD_FUZZ_PROFILE=long $(BIN)/pytest -m fuzz tests/fuzz --hypothesis-show-statistics

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Re-pin dependencies after editing requirements/*.in.
lock: $(STAMP)
	$(BIN)/uv pip compile requirements/dev.in -p 3.11 --generate-hashes --no-header -o requirements/lock.txt

bench: $(STAMP)
	$(BIN)/accord bench store

## Redraw the generated part of docs/architecture.md from the code (the unit tests check it).
diagram: $(STAMP)
	$(BIN)/python scripts/architecture_diagram.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
