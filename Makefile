# The two front-door commands: `make build` and `make test`. Everything runs from the project's own .venv
# through the one `jobmetrics` command. GNU make reports any failure as exit code 2: scripts that read
# the documented codes (cron, CI) call `.venv/bin/jobmetrics <command>` directly.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
JOBMETRICS := $(BIN)/jobmetrics
# uv installs the pinned requirements into the virtualenvs: the same packages as pip, in a third of the time
# on a fresh machine. pip itself stays in .venv for the user.
UV_VERSION := 0.13.8
UV_INSTALL := $(BIN)/uv pip install --quiet
# From uv's cache alone when it holds everything pinned, else from the index. Asking the index first cost a fresh
# clone about 25 s on our machines, where every page is revalidated and pyspark's 400 MB source (it ships no wheel)
# comes back as changed and is built again; from the cache, 0.6 s. The first attempt says nothing when it fails.
uv_install = $(UV_INSTALL) --offline $(1) 2>/dev/null || $(UV_INSTALL) $(1)
# Python keeps the modules it compiles (under .venv and the project's folders, both ignored by git) even where the
# environment says not to, as many containers do: uv installs no bytecode, so every process would compile every
# module it imports again (dbt's start: 4.0 s instead of 1.9). Compiling all at install instead added 30 s to a
# fresh `make build`.
unexport PYTHONDONTWRITEBYTECODE
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
# A DuckDB 1.x client, for the test that proves the published warehouse opens there too.
DUCKDB1_VENV := .venv-duckdb1
# lifelines, the survival tests' reference: it wants pandas 2, so it gets a venv of its own.
LIFELINES_VENV := .venv-lifelines
# The scratch warehouse the SQL linter compiles against; the real one is left alone.
TEST_DB := target/test_warehouse.duckdb

.PHONY: build test test-fast install install-dev system-deps sample validate lint sqllint pylint pytest pytest-fast \
	benchmark dashboard export report alerts watch ask overview screenshots clean

# Raw files from JOBMETRICS_RAW_DIR (default data/sample), published to JOBMETRICS_DB (default
# warehouse/jobmetrics.duckdb) only when every model and test passes; DBT_ARGS go to dbt build.
build: $(VENV)/.installed
	$(JOBMETRICS) build $(if $(TARGET),--target $(TARGET)) $(if $(DBT_ARGS),-- $(DBT_ARGS))

# System packages first (Chromium, PostgreSQL, Java: installed when root with apt, else one line saying how),
# then lint beside pytest (both cores stay busy either way; docs/development.md says where the time goes).
# pytest, the longest, starts first: its virtualenvs are made before, and it is named first. Otherwise lint's two
# jobs took both slots and pytest waited for the slower of them (about 40 s on a fresh clone, where mypy has no cache).
test: system-deps $(VENV)/.installed-dev $(DUCKDB1_VENV)/.installed $(LIFELINES_VENV)/.installed
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest lint

# The inner loop: lint and types beside the tests that need no full dbt build.
test-fast: $(VENV)/.installed-dev
	$(MAKE) --no-print-directory -j2 --output-sync=target pylint pytest-fast

pytest-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -m "not build"

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

system-deps:
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -m devtools.provision

$(DUCKDB1_VENV)/.installed: requirements-duckdb1.txt | $(BIN)/uv
	$(PYTHON) -m venv --without-pip $(DUCKDB1_VENV)
	$(call uv_install,--python $(DUCKDB1_VENV)/bin/python -r requirements-duckdb1.txt)
	@touch $@

$(LIFELINES_VENV)/.installed: requirements-lifelines.txt | $(BIN)/uv
	$(PYTHON) -m venv --without-pip $(LIFELINES_VENV)
	$(call uv_install,--python $(LIFELINES_VENV)/bin/python -r requirements-lifelines.txt)
	@touch $@

$(VENV)/.installed: requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(call uv_install,--python $(BIN)/python -r requirements.txt)
	$(call uv_install,--python $(BIN)/python --no-deps -e .)
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt | $(BIN)/uv
	$(call uv_install,--python $(BIN)/python -r requirements-dev.txt)
	@touch $@

# A .venv made before the Makefile used uv gets it on first need.
$(BIN)/uv: | $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Regenerate the committed synthetic sample in data/sample (deterministic).
sample: $(VENV)/.installed
	$(JOBMETRICS) sample

# The raw-data gate on the raw files alone (make build runs it first).
validate: $(VENV)/.installed
	$(JOBMETRICS) validate

lint: sqllint pylint

sqllint: $(VENV)/.installed-dev
	@mkdir -p target
	JOBMETRICS_DB=$(TEST_DB) $(BIN)/sqlfluff lint --processes 2 models tests

pylint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Every dbt build the tests need (the sample with all data and unit tests among them) runs inside pytest.
pytest: $(VENV)/.installed-dev $(DUCKDB1_VENV)/.installed $(LIFELINES_VENV)/.installed
	$(BIN)/python -m pytest -n 2 --dist load

# The browser test again, writing its screenshots to docs/img/ (the README's) instead of target/.
screenshots: system-deps $(VENV)/.installed-dev
	JOBMETRICS_SCREENSHOTS=$(CURDIR)/docs/img $(BIN)/python -m pytest tests/python/test_dashboard_browser.py \
		tests/python/test_signin_browser.py

# KPI statuses and anomalies of the last 7 days (`jobmetrics alerts --help` for its exit codes).
alerts: $(VENV)/.installed
	$(JOBMETRICS) alerts

# Rebuild whenever a raw file changes (every WATCH_EVERY seconds), then email the digests if email is set up.
WATCH_EVERY ?= 60
watch: $(VENV)/.installed
	$(JOBMETRICS) watch --every $(WATCH_EVERY)

overview: $(VENV)/.installed
	$(JOBMETRICS) overview

# Ask a question: make ask Q="What's our churn rate?" (Claude with ANTHROPIC_API_KEY, else offline).
ask: $(VENV)/.installed
	@test -n "$(Q)" || { echo 'make ask: give the question as Q="..."' >&2; exit 2; }
	$(JOBMETRICS) ask "$(Q)"

benchmark: $(VENV)/.installed-dev
	$(JOBMETRICS) benchmark

# The board pack of the latest complete month as a PDF (reports/<tenant>/jobmetrics-YYYY-MM.pdf); TENANT= picks one.
report: $(VENV)/.installed
	$(JOBMETRICS) report $(if $(TENANT),--tenant $(TENANT))

# The dashboard at http://$(DASHBOARD_ADDRESS):$(DASHBOARD_PORT), reading the published warehouse read-only.
DASHBOARD_PORT ?= 8501
DASHBOARD_ADDRESS ?= 127.0.0.1
dashboard: $(VENV)/.installed
	$(JOBMETRICS) dashboard --port $(DASHBOARD_PORT) --address $(DASHBOARD_ADDRESS)

# Every mart of the published warehouse as exports/<mart>.parquet and .csv, with exports/manifest.json.
export: $(VENV)/.installed
	$(JOBMETRICS) export

clean:
	rm -rf target logs exports warehouse/*.duckdb* warehouse/*.json warehouse/spark warehouse/tenants $(VENV) $(DUCKDB1_VENV) $(LIFELINES_VENV) *.egg-info
