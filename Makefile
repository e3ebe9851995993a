# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv if missing
# (`make test` also installs Chromium from Debian's packages when it is missing).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test bench lint clean db-stop

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: venv
	$(BIN)/sendwh demo

# Airflow's own processes (api-server, scheduler, dag-processor, triggerer) for the UI at
# http://127.0.0.1:8080; the same settings as docker-compose.yml (docker/airflow.env)
.PHONY: airflow
airflow: venv
	$(BIN)/sendwh airflow

# Chromium for the browser tests (tests/test_report.py): Debian's package, never a download at
# run time; installed here when missing (needs root, as in CI), otherwise say how
.PHONY: browser
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	    else echo "Chromium is missing: run 'sudo apt-get install chromium' (Debian/Ubuntu)"; exit 1; fi; }

# the fast tests first (no dbt build, no Airflow run), then the slow ones: fail fast
test: venv lint browser
	$(BIN)/python -m pytest -q -m "not slow"
	$(BIN)/python -m pytest -q -m slow

.PHONY: test-fast
test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

# Layers (import-linter, contract in pyproject.toml), Python (ruff) and SQL (sqlfluff, dbt
# templater: it compiles the project, so it needs the warehouse's connection settings).
lint: venv
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .
	$(BIN)/python -m sendwh.lint_sql

bench: venv
	$(BIN)/python -m bench.loader_bench
	$(BIN)/python -m bench.sen2_bench
	$(BIN)/python -m bench.dag_bench
	$(BIN)/python -m bench.england_bench

db-stop: venv
	$(BIN)/sendwh db stop

clean:
	-$(BIN)/sendwh db stop
	rm -rf .warehouse outputs
