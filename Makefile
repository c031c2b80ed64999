# The only commands anyone needs. `make up` brings everything up; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: up down status links test bench test-unit lint format contracts venv prerequisites

up: prerequisites venv
	@deploy/stack.sh up
	@deploy/services.sh up
	@$(PY) deploy/seed.py
	@echo
	@echo "UniSettle is up."
	@deploy/services.sh urls
	@echo "  kafka      $$(sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p' .stack/env)  SASL/SCRAM; passwords in .stack/kafka/credentials; read with deploy/kcat.sh -C -t orders.events -e"
	@echo "  postgres   postgresql://unisettle:unisettle@127.0.0.1:15432/<service>"
	@echo "  a token:   $(VENV)/bin/unisettle token --role university_finance --tenant tsinghua --sub fo-1"
	@echo "  stop with: make down"

bench: prerequisites venv  # prints the performance table (not part of make test)
	@deploy/stack.sh up
	$(PY) -m tests.bench.run

down:
	@deploy/services.sh down || true
	@deploy/stack.sh down

status:
	@deploy/stack.sh status
	@deploy/services.sh status

links: venv
	@$(PY) deploy/seed.py --links

test: prerequisites venv
	@deploy/stack.sh up
	$(PY) -m pytest

test-unit: venv
	$(PY) -m pytest tests/unit

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy cli contracts plumbing services tests
	$(VENV)/bin/mypy deploy/seed.py  # on its own: deploy/docker/ would shadow the docker client
	$(PY) -m contracts.export --check
	$(PY) -m services.settlement.ledger.checks.ledger_tables --check

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

contracts: venv
	$(PY) -m contracts.export

prerequisites:
	@deploy/prerequisites.sh

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)
