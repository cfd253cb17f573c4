# Two commands on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint format bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the requirements or the project metadata change.
$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Run the platform with the demo cooperative at http://demo.localhost:8000/
demo: $(VENV)/.installed
	$(BIN)/lumbung-dev demo

## Lint, checks and the whole test suite against real PostgreSQL and Redis
test: $(VENV)/.installed-dev
	$(BIN)/lumbung-dev test $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

## Every benchmark in bench/ (long: several minutes); each writes its section of docs/benchmarks.md
bench: $(VENV)/.installed-dev
	@set -e; for b in bench/*_bench.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) .data
