# Every routine task has a target here. A fresh machine needs only Python 3.11: `make run` or `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint layers format typecheck pytest browser-deps bench mutation worker migrate demo clean lock

# The dependencies are the pinned, hash-checked versions of requirements.lock (`make lock` refreshes it), then
# Sotong itself (tests/test_lock.py fails when pyproject.toml names a dependency the lock lacks).
$(INSTALLED): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet -e '.[test]'  # installs nothing more when the lock is complete
	@touch $(INSTALLED)

## lock: pin every dependency (and the test extras) with hashes into requirements.lock, the newest allowed by pyproject.toml
lock: $(INSTALLED)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --upgrade --extra test --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-find-links --no-emit-index-url -o requirements.lock pyproject.toml

## run: install, migrate the embedded SQLite database, load the demo if empty, and serve on http://$(HOST):$(PORT)
run: $(INSTALLED)
	$(BIN)/sotong db upgrade
	$(BIN)/sotong demo --if-empty
	$(BIN)/sotong serve --host $(HOST) --port $(PORT)

## test: lint, type-check and run the whole suite (SQLite and PostgreSQL)
test: lint typecheck pytest

lint: $(INSTALLED) layers
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

## layers: the stations import one way and in no cycle (import-linter, contracts in pyproject.toml)
layers: $(INSTALLED)
	$(BIN)/lint-imports --no-cache

format: $(INSTALLED)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: $(INSTALLED)
	$(BIN)/mypy

pytest: $(INSTALLED) browser-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile

## browser-deps: Debian's chromium and CJK fonts for the Playwright browser tests (installed when absent)
browser-deps:
	@scripts/ensure-chromium

## bench: the benchmarks in bench/, printing their figures (PostgreSQL at SOTONG_BENCH_DATABASE_URL)
bench: $(INSTALLED)
	$(BIN)/python bench/run_all.py

## mutation: mutation testing of the critical modules ([tool.mutmut] in pyproject.toml), then the score per module
## (MUTANTS='sotong.text.pii*' for one module). Hours on two cores: not part of `make test`.
MUTANTS ?=
mutation: $(INSTALLED)
	$(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python scripts/mutation_report.py

worker: $(INSTALLED)
	$(BIN)/sotong worker

migrate: $(INSTALLED)
	$(BIN)/sotong db upgrade

demo: $(INSTALLED)
	$(BIN)/sotong demo

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
