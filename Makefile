# Wutong developer and CI entry points (GNU make).
#
#   make run          bootstrap (without PostgreSQL), upgrade the database, load the demo
#                     (prints the demo users and their tokens), serve on http://127.0.0.1:5000
#   make test         bootstrap, then ruff, mypy, import contracts and the whole pytest suite
#                     (tests/engine, tests/api, tests/bpmn, tests/e2e, tests/browser: Playwright driving
#                     Debian's chromium against a real wutong serve and worker; see docs/webapp.md)
#   make bootstrap    .venv with the project (editable, dev extras), npm assets and the built web application,
#                     chromium and CJK fonts for the browser tests, and PostgreSQL's binaries
#   make lint         ruff check, mypy (strict, engine/) and import-linter contracts
#   make test-engine  pytest tests/engine only
#   make bench        run every bench/bench_*.py
#   make clean        remove caches and build leftovers (make distclean also removes .venv)
#
# WUTONG_TEST_DB=sqlite|postgres|both picks the databases for database tests (default both);
# PYTEST_ARGS adds pytest options, e.g. make test-engine PYTEST_ARGS='-k timers -x'.
# PYTEST_WORKERS=2 (default) runs the suite in that many pytest-xdist processes, a file per process at a time
# (module fixtures stay once per file); PYTEST_WORKERS=0 runs it in this process.
# make run RUN_HOST=0.0.0.0 RUN_PORT=8000 RUN_WORKERS=2 serves elsewhere or with more gunicorn workers; the database is
# WUTONG_DATABASE_URL (default: var/wutong.db here), see docs/operations.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

VENV := .venv
BIN := $(VENV)/bin
WUTONG_TEST_DB ?= both
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
RUN_HOST ?= 127.0.0.1
RUN_PORT ?= 5000
RUN_WORKERS ?=

# Runs pytest on $(1); pytest's exit code 5 (no tests collected) is a failure here.
define run_pytest
	@rc=0; $(BIN)/pytest -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --db $(WUTONG_TEST_DB) $(PYTEST_ARGS) $(1) || rc=$$?; \
	if [ $$rc -eq 5 ]; then \
		echo "make: pytest collected no tests in '$(1)' (exit 5); that is a failure: this project always has tests" >&2; \
		exit 1; \
	fi; \
	exit $$rc
endef

define run_lint
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
endef

.PHONY: test bootstrap lint test-engine test-api test-e2e test-browser bench run clean distclean

test: bootstrap
	$(run_lint)
	$(call run_pytest,tests)

bootstrap:
	@bash scripts/bootstrap.sh

lint: bootstrap
	$(run_lint)

test-engine: bootstrap
	$(call run_pytest,tests/engine)

test-api: bootstrap
	$(call run_pytest,tests/api)

test-e2e: bootstrap
	$(call run_pytest,tests/e2e)

test-browser: bootstrap
	$(call run_pytest,tests/browser)

bench: bootstrap
	@shopt -s nullglob; files=(bench/bench_*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "make bench: no bench/bench_*.py yet"; exit 0; fi; \
	for f in "$${files[@]}"; do echo "== $$f"; $(BIN)/python "$$f"; done

run: export WUTONG_AUDIT_KEY_FILE ?= $(CURDIR)/var/audit.key
run:
	@bash scripts/bootstrap.sh --without-postgres
	@# the audit chain's key lives outside the database; a local one is made once (docs/operations.md)
	@if [ -z "$${WUTONG_AUDIT_KEY:-}" ] && [ ! -s "$$WUTONG_AUDIT_KEY_FILE" ]; then \
		mkdir -p "$$(dirname "$$WUTONG_AUDIT_KEY_FILE")"; \
		(umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_hex(32))' > "$$WUTONG_AUDIT_KEY_FILE"); \
		echo "make run: created the audit key $$WUTONG_AUDIT_KEY_FILE (keep it: the audit trail is verified with it)"; \
	fi
	$(BIN)/wutong db upgrade
	$(BIN)/wutong demo load
	@# the worker fires timers and escalates overdue work beside the server, and stops with it
	$(BIN)/wutong worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/wutong serve --host $(RUN_HOST) --port $(RUN_PORT) $(if $(RUN_WORKERS),--workers $(RUN_WORKERS))

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache build *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
