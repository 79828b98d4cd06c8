# MCU Desk: one command for a laptop (`make run`), one for the test suite (`make test`).
# Everything mutable (SQLite, Celery broker folders, beat schedule, media, static) lives in var/.

PORT ?= 8000
ARGS ?=

VENV   := .venv
PYTHON := $(VENV)/bin/python
PIP    := $(PYTHON) -m pip
MANAGE := $(PYTHON) manage.py

.PHONY: run test lint fmt clean bench-venv

# Laptop default for what loads mcu.settings (the server, mypy's Django plugin): with DEBUG off
# the settings demand SECRET_KEY. Tests use mcu.settings_test, production-like, so not there.
run lint fmt: export DEBUG ?= true

$(PYTHON):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(PYTHON)
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PYTHON)
	$(PIP) install --quiet -e ".[test]"
	touch $@

run: $(VENV)/.installed-run
	$(MANAGE) migrate --noinput
	$(MANAGE) seed
	$(MANAGE) seed_demo
	$(MANAGE) run_local --port $(PORT)

# DATABASE_URL / REDIS_URL pass through from the environment unchanged.
test: $(VENV)/.installed-test
	$(VENV)/bin/pytest $(ARGS)

# The benches (bench/) measure what production runs: an optimised CPython, as the Docker
# image's is (profile-guided + link-time optimisation). Debian's python3.11 is built that way;
# pyenv's builds are not unless asked (PYTHON_CONFIGURE_OPTS="--enable-optimizations --with-lto").
BENCH_PYTHON ?= /usr/bin/python3.11
BENCH_VENV   := .venv-bench

$(BENCH_VENV)/.installed: pyproject.toml
	$(BENCH_PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e ".[test]"
	touch $@

bench-venv: $(BENCH_VENV)/.installed

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

fmt: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var
