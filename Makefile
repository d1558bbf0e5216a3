# BZPEER — the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= bzpeer.settings.local

.PHONY: run dev test lint format bench audit lock services venv install install-test install-bench db sample clean

$(VENV)/bin/activate:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

venv: $(VENV)/bin/activate

## Every package, transitive ones included, comes from the lock files with
## their hashes (requirements/run.txt to serve; dev.txt adds the tests and
## the tools; bench.txt adds the benchmark's load generator, kept out of the
## tests' set: it brings brotli, which whitenoise then uses for every
## collectstatic); `make lock` writes them.
$(VENV)/.installed: requirements/run.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet --require-hashes -r requirements/run.txt
	@touch $@

$(VENV)/.installed-test: requirements/dev.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: requirements/bench.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet --require-hashes -r requirements/bench.txt
	@touch $@ $(VENV)/.installed-test $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

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

## Load, workers and pages measured side by side with their floors, written
## to docs/benchmarks.md; BENCH_SCALE=small for a few minutes' worth.
BENCH_SCALE ?= full
bench: install-bench services
	DJANGO_SETTINGS_MODULE=bzpeer.settings.bench $(PY) scripts/bench.py --scale $(BENCH_SCALE)

## Rewrites the lock files from pyproject.toml's pins (needs PyPI): run it
## after changing a dependency, and commit the three files together.
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes \
	--python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
	--index-url https://pypi.org/simple --custom-compile-command "make lock"
lock: install-test
	UV_NO_CONFIG=1 $(LOCK) -o requirements/run.txt
	UV_NO_CONFIG=1 $(LOCK) --extra test --extra tools -o requirements/dev.txt
	UV_NO_CONFIG=1 $(LOCK) --extra test --extra tools --extra bench -o requirements/bench.txt

## Known vulnerabilities in the locked packages (looks them up online, so it
## is not part of `make test`: a new advisory must not turn CI red by itself).
audit: install-test
	$(VENV)/bin/pip-audit --require-hashes --disable-pip --progress-spinner off --strict \
		-r requirements/run.txt -r requirements/dev.txt -r requirements/bench.txt

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache test-artifacts .run
