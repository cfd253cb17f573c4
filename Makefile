# Two commands on a fresh machine:  `make demo`  and  `make test`.
# Python 3.11, 3.12 or 3.13 (Django 5.2): the first of PYTHON_CANDIDATES that is one makes
# the venv; `make PYTHON=/path/to/python3.12 demo` picks one by hand (checked the same way).
PYTHON_CANDIDATES ?= python3.11 python3.12 python3.13 python3
PYTHON ?=
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint format bench reliability install install-dev clean which-python

# Prints the interpreter to use on stdout; says on stderr why each other one does not fit.
define FIND_PYTHON
for p in $(or $(PYTHON),$(PYTHON_CANDIDATES)); do \
  if v=$$($$p -c 'import sys; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null); then \
    echo "$$p"; exit 0; \
  elif [ -n "$$v" ]; then echo "[make] $$p is Python $$v: Lumbung needs 3.11, 3.12 or 3.13" >&2; \
  else echo "[make] $$p: not found (or does not run)" >&2; fi; \
done; \
echo "[make] No Python 3.11-3.13 among: $(or $(PYTHON),$(PYTHON_CANDIDATES)). Install one (e.g. apt-get install python3.11, or python.org) or name it: make demo PYTHON=/path/to/python3.12" >&2; \
exit 1
endef

## Which Python the venv is (or would be) made with, and why the others do not fit
which-python:
	@py=$$($(FIND_PYTHON)) && echo "[make] Using $$py ($$($$py --version 2>&1))"

$(BIN)/python:
	@py=$$($(FIND_PYTHON)) && echo "[make] Using $$py ($$($$py --version 2>&1)) for $(VENV)" && \
	  $$py -m venv $(VENV)
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

## docs/reliability.md from a real run of the attack, fault and restore tests (~10 min)
reliability: $(VENV)/.installed-dev
	$(BIN)/python bench/reliability_report.py

## Every benchmark in bench/ (long: several minutes); each writes its section of docs/benchmarks.md
bench: $(VENV)/.installed-dev
	@set -e; for b in bench/*_bench.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) .data
