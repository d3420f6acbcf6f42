# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
# Front-end libraries: installed from the npm registry by package-lock.json and copied into a static
# folder Django serves (no CDN: the platform must work on an intranet). The stamp names the checksum of
# package.json and package-lock.json, so a change reinstalls and no change costs nothing.
VENDOR := yousu/web/static/vendor
ASSETS_STAMP := $(VENDOR)/.installed-$(shell cat package.json package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
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

$(ASSETS_STAMP): package.json
	@command -v npm >/dev/null || { echo "Yousu needs Node.js and npm to install its front-end libraries (apt-get install nodejs npm)"; exit 1; }
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	rm -rf $(VENDOR)/echarts
	mkdir -p $(VENDOR)/echarts
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE node_modules/echarts/NOTICE $(VENDOR)/echarts/
	rm -rf $(VENDOR)/htmx $(VENDOR)/leaflet
	mkdir -p $(VENDOR)/htmx $(VENDOR)/leaflet/images
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE $(VENDOR)/htmx/
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	cp node_modules/leaflet/dist/images/*.png $(VENDOR)/leaflet/images/
	rm -f $(VENDOR)/.installed-*
	touch $(ASSETS_STAMP)

install: $(STAMP) $(ASSETS_STAMP)

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
	$(BIN)/yousu spectacular --validate --fail-on-warn --file /dev/null

## the suite on PostgreSQL and Redis (the services CI runs)
test-postgres: install
	DATABASE_URL=$(POSTGRES_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest

## rebuild the English translation catalogue after changing user-facing text
messages: install
	cd yousu && ../$(BIN)/yousu makemessages -l en --no-obsolete && ../$(BIN)/yousu compilemessages -l en

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache node_modules $(VENDOR)
