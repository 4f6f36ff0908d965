# The README's two commands are `make demo` and `make test`; everything they need
# is installed here, from the lock file, into .venv (recreated when the lock changes).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .revalign/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.installed-from-lock-compiled
BIN := $(VENV)/bin
WEB_ASSETS := $(TOOLS)/web-assets/.fetched

export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
# Write every module's bytecode at install time. Python then never compiles Airflow, dbt
# or GX again, also where PYTHONDONTWRITEBYTECODE is set (as on CI machines), which
# otherwise makes each import 4-5 times slower (airflow 12 s instead of 3 s).
export UV_COMPILE_BYTECODE := 1
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: demo test test-fast lint format install postgres test-tools airflow clean help

help:
	@echo "make demo     install, start the embedded warehouse, run the pipeline on sample data"
	@echo "make test     lint and the whole test suite (real PostgreSQL, dbt, Airflow)"
	@echo "make test-fast  the tests that need no PostgreSQL (about 20 s)"
	@echo "make airflow  Airflow's UI (airflow standalone) on http://localhost:8080"
	@echo "make format   apply ruff's formatting and fixes"
	@echo "make clean    stop the warehouse and remove local state (.revalign, .venv)"

demo: install postgres
	$(BIN)/revalign demo

# Two pytest-xdist workers, each with its own embedded warehouse and Airflow home; an idle
# worker takes tests from the busy one. `pytest tests/test_x.py` alone runs serially.
test: install postgres test-tools lint
	$(BIN)/pytest -n 2 --dist worksteal

# The fast tier: every test that needs no warehouse (tests/conftest.py marks the others).
test-fast: install
	$(BIN)/pytest -m "not warehouse"

# sqlfluff renders every file with all of macros/: one process per core (--processes 0)
# halves its time on 2 cores (101 s to 51 s). Its pool's exit leaves Python's
# resource_tracker a warning about a semaphore that says nothing of the SQL: not shown.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONWARNINGS="ignore:resource_tracker:UserWarning" $(BIN)/sqlfluff lint --processes 0 dbt_project

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

airflow: install postgres
	$(BIN)/revalign airflow standalone

install: $(STAMP) $(WEB_ASSETS)

# The files GX's Data Docs pages load from CDNs, from their npm packages (checksums pinned
# in revalign/checks/offline_docs.py): the site then opens without the internet.
$(WEB_ASSETS): revalign/checks/offline_docs.py | $(STAMP)
	$(BIN)/python -m revalign.checks.offline_docs
	@touch $@

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "revalign needs Python 3.11: run make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

postgres:
	@scripts/ensure_postgres.sh

test-tools:
	@scripts/ensure_test_tools.sh

clean:
	-@test -x $(BIN)/revalign && $(BIN)/revalign warehouse stop
	rm -rf .revalign $(VENV) dbt_project/target dbt_project/logs
