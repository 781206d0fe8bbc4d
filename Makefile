# juvenile-justice: developer and CI entry points.  No venv activation needed:
# everything runs from .venv/bin.  `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
PIP    := $(BIN)/pip --disable-pip-version-check

# Extra arguments, e.g.  make test PYTEST_ARGS='-k cases -x'
PYTEST_ARGS ?=
BENCH_ARGS  ?=
JJ_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: help install install-dev runtime-deps run test test-pg lint bench system-deps clean

help: ## List the targets
	@echo "Targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-12s %s\n", $$1, $$2}'

install: runtime-deps $(STAMP) ## Debian runtime packages + .venv from requirements.lock (no-op when up to date)

install-dev: install $(DEVSTAMP) ## install + test, lint and benchmark tools from requirements-dev.lock

runtime-deps:
	@bash scripts/system-deps.sh --runtime

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-run only when the lock or pyproject.toml is newer than the stamp.
$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r requirements.lock
	$(PIP) install --no-deps --no-build-isolation -e .
	@test -x $(BIN)/juvenile-justice || { echo "install: $(BIN)/juvenile-justice is missing" >&2; exit 1; }
	@touch $@

$(DEVSTAMP): requirements-dev.lock $(STAMP)
	$(PIP) install --require-hashes --no-deps -r requirements-dev.lock
	@touch $@

system-deps: ## Check/install every Debian package (runtime + tests)
	@bash scripts/system-deps.sh --test

run: install ## Migrate, load demo data if the DB is empty, serve on 127.0.0.1, port JJ_PORT, else PORT, else 8000
	$(BIN)/juvenile-justice migrate
	$(BIN)/juvenile-justice demo --if-empty
	exec $(BIN)/juvenile-justice serve --host 127.0.0.1 --port $${JJ_PORT:-$${PORT:-8000}}

test: install-dev ## Run pytest on SQLite (JJ_TEST_DATABASE_URL unset)
	@bash scripts/system-deps.sh --test
	env -u JJ_TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-pg: install-dev ## Run pytest on PostgreSQL (JJ_TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test)
	@bash scripts/system-deps.sh --test
	JJ_TEST_DATABASE_URL="$${JJ_TEST_DATABASE_URL:-$(JJ_TEST_PG_URL)}" $(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev ## ruff check, ruff format --check, mypy (runs all three, fails if any fails)
	@rc=0; \
	echo "--- ruff check"; $(BIN)/ruff check . || rc=1; \
	echo "--- ruff format --check"; $(BIN)/ruff format --check . || rc=1; \
	echo "--- mypy"; $(BIN)/mypy || rc=1; \
	exit $$rc

bench: install-dev ## Run the benchmarks (bench/run.py if present, else python -m bench)
	@if [ -f bench/run.py ]; then \
	  echo "PYTHONPATH=. $(BIN)/python bench/run.py $(BENCH_ARGS)"; \
	  PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" exec $(BIN)/python bench/run.py $(BENCH_ARGS); \
	else \
	  echo "$(BIN)/python -m bench $(BENCH_ARGS)"; \
	  exec $(BIN)/python -m bench $(BENCH_ARGS); \
	fi

clean: ## Remove .venv and tool caches (not var/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
