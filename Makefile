# Hotline: `make run` (embedded mode) and `make test` work on a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test lint format messages

$(VENV)/.installed: requirements/lock.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/lock.txt 2>&1 | { grep -v '^WARNING: Location' || true; }
	touch $@

install: $(VENV)/.installed
	@$(PY) manage.py compilemessages -v 0 --ignore='.venv/*' >/dev/null

run: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py demo_data
	PORT=$(PORT) $(PY) manage.py serve

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy src
	PYTHONPATH=src $(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	for app in src/hotline/*/; do \
	  if [ -f $$app/apps.py ]; then mkdir -p $$app/locale && (cd $$app && ../../../$(PY) ../../../manage.py makemessages -l sv -l en --no-obsolete --ignore='tests/*' -v 0); fi; \
	done
	$(PY) manage.py compilemessages -v 0 --ignore='.venv/*'

bench-%: install
	$(PY) bench/$*.py
