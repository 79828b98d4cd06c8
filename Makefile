# MCU Desk: one command for a laptop (`make run`), one for the test suite (`make test`).
# Everything mutable (SQLite, Celery broker folders, beat schedule, media, logs) lives in var/.

PORT ?= 8000
ARGS ?=

VENV   := .venv
PYTHON := $(VENV)/bin/python
PIP    := $(PYTHON) -m pip
MANAGE := $(PYTHON) manage.py

# Laptop default. With DEBUG=false the settings demand SECRET_KEY and ALLOWED_HOSTS;
# production gets them from docker-compose, CI sets them explicitly for `check --deploy`.
export DEBUG ?= true

.PHONY: run test lint fmt clean

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

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

fmt: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var
