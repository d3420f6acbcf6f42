# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/yousu
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

.PHONY: install run test lint test-sqlite test-postgres messages clean

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit("Yousu needs Python 3.11 or newer (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, build the demo city, serve on http://127.0.0.1:8000
run: install
	$(BIN)/yousu demo
	$(BIN)/yousu serve

## make test: install, lint, Django checks, the whole suite (SQLite unless DATABASE_URL is set)
test: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check yousu tests
	$(BIN)/ruff format --check yousu tests
	$(BIN)/yousu check --fail-level WARNING
	$(BIN)/yousu makemigrations --check --dry-run

## the suite on PostgreSQL and Redis (the services CI runs)
test-postgres: install
	DATABASE_URL=$(POSTGRES_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest

## rebuild the English translation catalogue after changing user-facing text
messages: install
	cd yousu && ../$(BIN)/yousu makemessages -l en --no-obsolete && ../$(BIN)/yousu compilemessages -l en

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
