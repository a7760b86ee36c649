# Meeting Hub: `make run` serves the demo, `make test` runs every quality gate. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
# pytest-xdist workers for `make test`: one per core (CI has two); the browser tests share one of them.
TEST_WORKERS ?= auto

PY_STAMP := $(VENV)/.installed
MIN_VENV := .venv-minimum
# Locked with hashes by `make lock`: dev.txt is what `make setup` installs, prod.txt what a server installs,
# minimum.txt every runtime dependency at its declared lower bound (`make test-minimum`).
LOCK_OPTIONS := --universal --python-version 3.11 --generate-hashes --quiet
# The part of the suite the minimum versions must pass: every test that leans on a runtime library (Flask and its
# extensions, SQLAlchemy and Alembic, Socket.IO, icalendar, fpdf2, openpyxl, pydantic-settings, argon2, Babel), but
# not the browser, packaging and benchmark tests, nor the scheduling rules and backup tests that add time, not
# libraries (about 60 % of the suite's tests, to keep `make test` under 20 minutes).
MIN_TESTS := tests/accounts tests/network tests/attendance tests/follow_up tests/reports tests/bulletins tests/calendar_feeds \
	tests/api tests/realtime tests/app/test_settings.py tests/app/test_migrations.py tests/app/test_pages.py \
	tests/app/test_security_headers.py tests/scheduling/test_date_fields.py tests/scheduling/test_materials.py \
	tests/scheduling/test_lunar_calendar.py tests/scheduling/test_lifecycle_views.py
JS_STAMP := node_modules/.installed
VENDOR_STAMP := static/vendor/.copied
BOOTSTRAP_CSS := static/vendor/bootstrap/bootstrap.min.css
# What PurgeCSS scans for class names: rebuilt whenever one of these changes (other branches add templates and classes).
CSS_SOURCES := $(shell find templates static/js meeting_hub -name '*.html' -o -name '*.js' -o -name '*.py' 2>/dev/null)
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: setup run test lint typecheck pytest test-minimum dist lock translations-extract translations-update clean

setup: $(PY_STAMP) $(VENDOR_STAMP) $(BOOTSTRAP_CSS) $(MO_FILES)

$(PY_STAMP): pyproject.toml setup.py requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(JS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end libraries are served by the app itself (endpoints sit on closed networks): copy them from node_modules.
$(VENDOR_STAMP): $(JS_STAMP)
	mkdir -p static/vendor/bootstrap
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js static/vendor/bootstrap/
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/
	mkdir -p static/vendor/fonts
	cp node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf node_modules/dejavu-fonts-ttf/LICENSE static/vendor/fonts/
	touch $@

# Only the Bootstrap CSS the pages use (232 KB -> ~105 KB before compression): see purgecss.config.cjs.
$(BOOTSTRAP_CSS): $(JS_STAMP) purgecss.config.cjs $(CSS_SOURCES)
	mkdir -p static/vendor/bootstrap
	node_modules/.bin/purgecss --config purgecss.config.cjs --output static/vendor/bootstrap/

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(PY_STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

run: setup
	$(BIN)/meeting-hub db upgrade
	$(BIN)/meeting-hub demo --if-empty
	$(BIN)/meeting-hub run --host $(HOST) --port $(PORT)

lint: $(PY_STAMP)
	$(BIN)/ruff check meeting_hub tests wsgi.py

typecheck: $(PY_STAMP)
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --durations=25

test: setup lint typecheck pytest test-minimum

# A fresh venv with every runtime dependency at its declared minimum (requirements/minimum.txt), the test tools
# resolved around those pins, then the suite without the browser.
test-minimum: setup
	rm -rf $(MIN_VENV)
	$(PYTHON) -m venv $(MIN_VENV)
	$(BIN)/uv pip install --quiet --python $(MIN_VENV)/bin/python --require-hashes -r requirements/minimum.txt
	$(BIN)/uv pip install --quiet --python $(MIN_VENV)/bin/python -c requirements/minimum.txt -e ".[test]"
	$(MIN_VENV)/bin/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) -m "not browser" $(MIN_TESTS)

# Re-resolve every dependency to its newest allowed version and write the lock files (commit them).
lock: $(PY_STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_OPTIONS) --upgrade -o requirements/dev.txt
	$(BIN)/uv pip compile pyproject.toml --extra prod --extra postgresql --extra redis $(LOCK_OPTIONS) --upgrade \
		-o requirements/prod.txt
	$(BIN)/uv pip compile pyproject.toml --extra postgresql --extra redis --resolution lowest-direct $(LOCK_OPTIONS) \
		--upgrade -o requirements/minimum.txt

# The product: a wheel (and an sdist) carrying the templates, static files, vendored libraries and translations.
dist: setup
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

# Collect the Vietnamese source strings, then merge them into the English catalogue.
translations-extract: $(PY_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .

translations-update: translations-extract
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) $(MIN_VENV) node_modules static/vendor .pytest_cache .mypy_cache .ruff_cache build dist
