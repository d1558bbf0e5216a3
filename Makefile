# BZPEER — the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= bzpeer.settings.local

.PHONY: run dev test lint format bench services venv install install-test db sample clean

$(VENV)/bin/activate:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

venv: $(VENV)/bin/activate

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## PostgreSQL and Redis must answer; start them when installed but stopped.
services:
	@bash scripts/ensure-services.sh

db: install services
	$(PY) scripts/ensure_database.py
	$(PY) manage.py migrate --noinput

## Loads the bundled sample dataset (idempotent: a second load changes nothing).
sample: db
	$(PY) manage.py load_openalex_snapshot works/sample_data/snapshot --sample

## Creates everything it needs, then serves BZPEER as a product (gunicorn,
## DEBUG off) with a Celery worker and beat. SAMPLE=0 leaves the sample out.
run: db
	@bash scripts/run.sh $(PORT)

## The development server (DEBUG on, autoreload) with a Celery worker.
dev: db
	@bash scripts/dev.sh $(PORT)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install-test
	@bash scripts/ensure-test-tools.sh
	@bash scripts/ensure-services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=bzpeer.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=bzpeer.settings.test $(PY) -m pytest

bench: install-test services
	DJANGO_SETTINGS_MODULE=bzpeer.settings.test $(PY) scripts/bench.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache test-artifacts .run
