# Hotline: `make run` (embedded mode) and `make test` work on a fresh clone: each first installs the
# Debian packages it needs (scripts/setup-system.sh: as root; otherwise it says in one line what to install).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run run-network test test-fast test-resilience lint format messages security system-run system-test system-bench
# Serial: the system packages come before the virtualenv that may need them.
.NOTPARALLEL:

$(VENV)/.installed: requirements/lock.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/lock.txt 2>&1 | { grep -v '^WARNING: Location' || true; }
	touch $@

install: $(VENV)/.installed
	@$(PY) scripts/compile_messages.py

system-run system-test system-bench: system-%:
	@scripts/setup-system.sh $*

run: system-run install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py demo_data
	PORT=$(PORT) $(PY) manage.py serve

# The whole suite, one pytest-xdist worker per core (each with its own test database; browser tests share one
# Chromium per worker). TEST_WORKERS=0 runs it in one process. conftest.py sends the slow tests out first, one
# test at a time to the worker that is free, each module with module-scoped fixtures whole to one worker.
TEST_WORKERS ?= auto
# The tests start a few hundred Python processes (servers, workers, manage.py): they keep compiled bytecode
# outside the tree instead of compiling the project's modules again in each one.
test test-fast test-resilience: export PYTHONDONTWRITEBYTECODE :=
test test-fast test-resilience: export PYTHONPYCACHEPREFIX ?= /tmp/hotline-pycache
test: system-test install
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The edit loop: every test without the `browser` and `slow` marks, on one pytest-xdist worker per core
# (each worker has its own test database). No system set-up: `make test` is the whole suite.
test-fast: install
	$(PY) -m pytest -m "not browser and not slow" -n auto $(PYTEST_ARGS)

# The fault and fuzz tests alone (part of `make test` too): kill -9 under load, schemathesis over HTTP.
test-resilience: system-test install
	$(PY) -m pytest tests/resilience $(PYTEST_ARGS)

# Static security checks: bandit over src/, known vulnerabilities of the pinned packages, Django's
# deployment checks under production settings (made-up secrets), hadolint on the container file.
security: install
	@# bandit warns about a nosec line once per string part of a multi-line SQL f-string: noise.
	$(VENV)/bin/bandit -c pyproject.toml -r src -q 2> >(grep -v 'but no failed test' >&2)
	$(PY) scripts/audit_dependencies.py
	PY=$(PY) scripts/check-deploy.sh
	$(VENV)/bin/hadolint --config deploy/hadolint.yaml deploy/Containerfile

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy src
	PYTHONPATH=src $(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Swedish and English catalogues of every app; the other public languages for the reporter's pages only
# (scripts/messages.py says which strings those are; docs/translating.md is the translators' guide).
# Three instances (SE, NL, DE on ports 8000-8002) exchanging reports over the hotline network (docs/network.md).
run-network: system-run install
	$(PY) manage.py run_network

messages: install
	$(PY) scripts/messages.py

bench-%: system-bench install
	$(PY) bench/$*.py
