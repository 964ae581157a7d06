# The two front-door commands: `make build` and `make test`. Everything runs from the project's own .venv.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
# The scratch warehouse `make test` builds into; the real one is left alone.
TEST_DB := target/test_warehouse.duckdb

.PHONY: build test test-fast install sample validate lint sqllint pylint pytest benchmark dashboard export alerts ask clean

# Raw files from JOBMETRICS_RAW_DIR (default data/sample), published to JOBMETRICS_DB (default
# warehouse/jobmetrics.duckdb) only when every model and test passes; DBT_ARGS go to dbt build.
build: $(VENV)/.installed
	$(BIN)/python scripts/build.py $(if $(TARGET),--target $(TARGET)) $(if $(DBT_ARGS),-- $(DBT_ARGS))

# Lint runs beside pytest: the test builds spend much of their time waiting on each other.
test: $(VENV)/.installed
	$(MAKE) --no-print-directory -j2 --output-sync=target lint pytest

# The inner loop: lint, types and the tests that need no full dbt build.
test-fast: $(VENV)/.installed pylint
	$(BIN)/python -m pytest -n 2 -m "not build"

install: $(VENV)/.installed

# A DuckDB 1.x client, for the test that proves the published warehouse opens there too.
DUCKDB1_VENV := .venv-duckdb1
$(DUCKDB1_VENV)/.installed: requirements-duckdb1.txt
	$(PYTHON) -m venv $(DUCKDB1_VENV)
	$(DUCKDB1_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-duckdb1.txt
	@touch $@

$(VENV)/.installed: requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

# Regenerate the committed synthetic sample in data/sample (deterministic).
sample: $(VENV)/.installed
	$(BIN)/python generate_seeds.py

# The Great Expectations gate on the raw files alone (make build runs it first).
validate: $(VENV)/.installed
	$(BIN)/python scripts/validate_raw.py

lint: sqllint pylint

sqllint: $(VENV)/.installed
	@mkdir -p target
	JOBMETRICS_DB=$(TEST_DB) $(BIN)/sqlfluff lint --processes 2 models tests

pylint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Every dbt build the tests need (the sample with all data and unit tests among them) runs inside pytest.
pytest: $(VENV)/.installed $(DUCKDB1_VENV)/.installed
	$(BIN)/python -m pytest -n 2 --dist load

# KPI statuses and anomalies of the last 7 days; exit 0 ok, 1 warning, 2 critical (see README).
alerts: $(VENV)/.installed
	$(BIN)/python scripts/alerts.py

# Ask a question: make ask Q="What's our churn rate?" (Claude with ANTHROPIC_API_KEY, else offline).
ask: $(VENV)/.installed
	@test -n "$(Q)" || { echo 'make ask: give the question as Q="..."' >&2; exit 2; }
	$(BIN)/python ai_ask.py "$(Q)"

benchmark: $(VENV)/.installed
	$(BIN)/python scripts/benchmark.py

# The dashboard at http://$(DASHBOARD_ADDRESS):$(DASHBOARD_PORT), reading the published warehouse read-only.
DASHBOARD_PORT ?= 8501
DASHBOARD_ADDRESS ?= 127.0.0.1
dashboard: $(VENV)/.installed
	$(BIN)/streamlit run dashboard/app.py --server.port $(DASHBOARD_PORT) --server.address $(DASHBOARD_ADDRESS) \
		--server.headless true --browser.gatherUsageStats false --client.toolbarMode viewer

# Every mart of the published warehouse as exports/<mart>.parquet and .csv, with exports/manifest.json.
export: $(VENV)/.installed
	$(BIN)/python scripts/export.py

clean:
	rm -rf target logs exports warehouse/*.duckdb* warehouse/*.json warehouse/spark $(VENV) $(DUCKDB1_VENV) *.egg-info
