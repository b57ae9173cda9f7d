# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
CHROMIUM := $(shell command -v chromium-headless-shell 2>/dev/null || command -v chromium 2>/dev/null)

.PHONY: demo test lint venv messages serve-demo clean bench bench-http

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Engage needs Python 3.11 or newer"'
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing python3-venv with apt-get…"; apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); \
	  else echo "Python's venv module is missing: install it (Debian: sudo apt-get install python3-venv)"; exit 1; fi; }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

# Semgrep pins a click that the dataset's pycanon (typer) cannot share, so it lives in a venv of
# its own: a tool we run, not a library Engage imports. 1.170: later releases want a certifi newer
# than the registry has here.
SEMGREP_VERSION := 1.170.0
SEMGREP := $(VENV)/semgrep-$(SEMGREP_VERSION)/bin/semgrep
$(SEMGREP):
	$(PYTHON) -m venv $(VENV)/semgrep-$(SEMGREP_VERSION)
	$(VENV)/semgrep-$(SEMGREP_VERSION)/bin/pip install --quiet semgrep==$(SEMGREP_VERSION)

# The worker runs the background tasks (imports, shares; docs/tasks.md) beside the server, and
# stops with it: the trap kills it however the server ends (Ctrl+C, an error).
demo: $(STAMP)
	$(BIN)/engage migrate --no-input
	$(BIN)/engage seed_demo
	@echo "Engage is serving on http://127.0.0.1:8000, its worker beside it (Ctrl+C to stop)"
	@$(BIN)/engage worker --no-reload & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/engage runserver 127.0.0.1:8000

lint: $(STAMP) $(SEMGREP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	@# Types ([tool.mypy] in pyproject.toml; docs/architecture.md, "Types"). Its cache is .mypy_cache.
	$(BIN)/mypy
	$(BIN)/engage makemigrations --check --dry-run
	@# R39: no backward-incompatible migration (settings in pyproject.toml). The linter reads the
	@# SQL of PostgreSQL; SQLite rebuilds whole tables for most changes, which it cannot judge.
	@case "$$DATABASE_URL" in \
	  postgres*) $(BIN)/engage lintmigrations ;; \
	  *) echo "NOTE: migrations are linted in the PostgreSQL run (DATABASE_URL=postgres://...)." ;; \
	esac
	SEMGREP_ENABLE_VERSION_CHECK=0 $(SEMGREP) scan --config .semgrep --metrics=off --disable-version-check --error --quiet engage

# PYTHONDONTWRITEBYTECODE emptied: where it is set, every worker and every server a test starts
# compiled Engage and rewrote the test modules again (about 2 s of CPU per process; docs/testing.md).
# --dist worksteal: a worker that has run out of tests takes half of what the other still has
# queued. xdist's default hands out fixed runs of consecutive tests, so the heavy modules, which
# come first, all went to one worker: it ran for 320 s while the other stopped after 143 s.
# The linters run beside everything else, their output kept and shown at the end (a failure
# fails `make test` all the same): run first, they held the tests back by their whole time
# (7 s with mypy's cache, 21 s without), where beside the tests they cost about half of their
# CPU. Meanwhile the migrated test database (tests/sqlite_template.py: made once per change of
# the code or its migrations, about 10 s of one core) is made before the tests, whose two workers then
# copy it instead of one migrating while the other waits.
test: $(STAMP) $(SEMGREP)
	@lint_log=$$(mktemp); \
	  $(MAKE) --no-print-directory lint > $$lint_log 2>&1 & linting=$$!; \
	  PYTHONDONTWRITEBYTECODE= $(BIN)/python -m tests.sqlite_template && \
	  PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 2 --dist worksteal $(PYTEST_ARGS); tested=$$?; \
	  wait $$linting; linted=$$?; \
	  echo "== make lint (run beside the tests) =="; cat $$lint_log; rm -f $$lint_log; \
	  [ $$linted -eq 0 ] || echo "make lint FAILED (above)"; \
	  [ $$tested -eq 0 ] && [ $$linted -eq 0 ]
ifeq ($(CHROMIUM),)
	@echo "NOTE: chromium is not installed, so the browser tests were SKIPPED. Install it (Debian: apt-get install chromium chromium-headless-shell) to run them."
endif

# The benchmark of issue 17 (docs/performance.md), not part of `make test`: generates
# BENCH_CLIENTS fictional clients (once: a database that has cases is timed as it is), then
# times the pages and jobs and prints a markdown table. SQLite under BENCH_DATA by default;
# PostgreSQL with DATABASE_URL=postgres://.../engage_bench (an empty database of its own).
# The national size: make bench BENCH_CLIENTS=100000 (about 26 minutes of generation on two cores);
# PostgreSQL at that size from the SQLite one: bench/copy_to_postgres.py (docs/performance.md).
BENCH_CLIENTS ?= 1000
BENCH_REPEAT ?= 30
BENCH_JOBS ?= 3
BENCH_DATA ?= /tmp/engage-bench-$(BENCH_CLIENTS)
bench: $(STAMP)
	@$(BIN)/python -c 'import duckdb' 2>/dev/null || $(BIN)/pip install --quiet -e '.[bench]'
	ENGAGE_DATA_DIR=$(BENCH_DATA) nice -n 10 $(BIN)/python -m bench.generate --clients $(BENCH_CLIENTS)
	ENGAGE_DATA_DIR=$(BENCH_DATA) $(BIN)/python -m bench.run --repeat $(BENCH_REPEAT) --jobs $(BENCH_JOBS)

# The same database served over HTTP by `engage serve` (gunicorn, DEBUG off) and loaded with wrk
# (Debian's package, installed here when missing): requests a second and latencies of the daily
# pages (bench/http.py). After `make bench` has generated the data.
bench-http: $(STAMP)
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk is missing (Debian: sudo apt-get install wrk)"; exit 1; fi; }
	ENGAGE_DATA_DIR=$(BENCH_DATA) $(BIN)/python -m bench.http

# The interface languages other than English (settings.LANGUAGES; docs/translating.md).
LANGUAGES := fr nl bg el it pl
messages: $(STAMP)
	cd engage && ../$(BIN)/engage makemessages -l en $(foreach l,$(LANGUAGES),-l $(l)) --no-location --no-obsolete \
	  && msgattrib --clear-fuzzy --empty --clear-previous -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po \
	  && msgen -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po \
	  && ../$(BIN)/engage compilemessages

clean:
	rm -rf $(VENV) data
