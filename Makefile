# Meeting Hub: `make run` serves the demo, `make test` runs every quality gate. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1

PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
VENDOR_STAMP := static/vendor/.copied
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: setup run test lint typecheck pytest dist translations-extract translations-update clean

setup: $(PY_STAMP) $(VENDOR_STAMP) $(MO_FILES)

$(PY_STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

$(JS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end libraries are served by the app itself (endpoints sit on closed networks): copy them from node_modules.
$(VENDOR_STAMP): $(JS_STAMP)
	mkdir -p static/vendor/bootstrap
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js static/vendor/bootstrap/
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/
	mkdir -p static/vendor/fonts
	cp node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf node_modules/dejavu-fonts-ttf/LICENSE static/vendor/fonts/
	touch $@

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
	$(BIN)/pytest

test: setup lint typecheck pytest

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
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .mypy_cache .ruff_cache build dist
