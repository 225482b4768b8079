# KKP Kompakt: `make run` starts everything, `make test` tests everything.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# pytest-xdist processes per pass (the two passes run side by side): as many as cores;
# 0 runs each pass in one process
PYTEST_WORKERS ?= $(shell nproc 2>/dev/null || echo auto)
BROWSER := tests/browser

.DEFAULT_GOAL := run
.PHONY: run test test-deps lint translations clean system-packages chromium dovecot postgresql-client nginx haproxy cluster browser-deps assets screenshots accessibility-report

# -- the virtual environment -----------------------------------------------------------------

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "$(PYTHON) was not found. KKP Kompakt needs Python 3.11 or newer:"; \
	  echo "  apt-get install python3 python3-venv   (or: make run PYTHON=/path/to/python3.11)"; \
	  exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "KKP Kompakt needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)."; \
	  echo "Install a newer one and run e.g.: make run PYTHON=python3.12"; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create $(VENV); on Debian/Ubuntu: apt-get install python3-venv"; \
	  rm -rf $(VENV); exit 1; }

# uv installs the same versions as pip in about a third of the time (12 s against 39 s
# for the tests' packages here); pip does it where uv cannot be had or fails.
define install
	@echo "installing $(1) into $(VENV)"
	@{ $(BIN)/python -m pip install --quiet --disable-pip-version-check uv >/dev/null 2>&1 \
	  && $(BIN)/uv pip install --quiet --python $(BIN)/python -e '$(1)'; } \
	  || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '$(1)'
endef

# The stamps are redone when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(call install,.)
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(call install,.[test])
	@touch $@ $(VENV)/.installed

# -- run ------------------------------------------------------------------------------------

run: $(VENV)/.installed
	exec $(BIN)/python -m service.devserver

# -- test -----------------------------------------------------------------------------------

# The Debian packages the tests use, in one apt-get call when we may install them (root,
# apt-get): chromium for the browser tests, dovecot-imapd for the bounce mailbox tests
# (each test run starts a private Dovecot of its own, tests/services.py, none of the
# system's), postgresql-client (pg_dump, pg_restore) for `kkp backup` and `kkp restore`
# on PostgreSQL (its version at least the server's), nginx-light for `nginx -t` on the
# deployment guide's ops/nginx/kkp.conf (tests/test_deploy_files.py), haproxy for the
# cluster's reverse proxy in front of its web hosts (make cluster and its short run in
# tests/bench/test_cluster.py). Without them those tests skip (or fail under
# KKP_REQUIRE_SERVICES=1).
system-packages:
	@missing=""; \
	[ -e /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -e /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	command -v pg_dump >/dev/null 2>&1 || missing="$$missing postgresql-client"; \
	[ -e /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	[ -e /usr/sbin/haproxy ] || missing="$$missing haproxy"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing$$missing for the tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; } || \
	    echo "could not install$$missing: the tests that need them will skip"; \
	fi

chromium dovecot postgresql-client nginx haproxy: system-packages

# A cluster of hosts on this machine (network namespaces on a bridge; root), every
# scenario with its counts (bench/cluster/README.md): Redis with 100,000 subscribers,
# then RabbitMQ with 20,000. One run with your own arguments:
#   make cluster CLUSTER_ARGS="--subscribers 5000 --scenarios send2,kill-worker"
CLUSTER_ARGS ?=
cluster: $(VENV)/.installed-test haproxy
	@if [ -n "$(CLUSTER_ARGS)" ]; then \
	  $(BIN)/python -m bench.cluster $(CLUSTER_ARGS); \
	else \
	  status=0; \
	  $(BIN)/python -m bench.cluster --broker redis --subscribers 100000 || status=1; \
	  $(BIN)/python -m bench.cluster --broker rabbitmq --subscribers 20000 || status=1; \
	  exit $$status; \
	fi

# axe-core for the accessibility checks, when npm is there.
browser-deps:
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! -e $(BROWSER)/node_modules/.package-lock.json ] \
	     || [ $(BROWSER)/package-lock.json -nt $(BROWSER)/node_modules/.package-lock.json ] \
	     || [ $(BROWSER)/package.json -nt $(BROWSER)/node_modules/.package-lock.json ]; then \
	    npm ci --prefix $(BROWSER) --no-audit --no-fund; \
	  fi; \
	fi

# What the tests need, fetched side by side (pip, apt-get and npm at once).
test-deps: $(VENV)/.installed-test system-packages browser-deps

# Both databases, side by side: the PostgreSQL pass runs in the background (its output
# follows the SQLite pass's), as one pass alone leaves a third of 2 cores idle while its
# tests wait for mail servers, workers and browsers. pytest's exit code 5 (nothing
# collected) is not a failure. The browser tests (what a page looks like, its keyboard
# paths and axe) run once: they ask nothing of the database that the other tests do not
# ask in both passes. Most run in the SQLite pass, those marked once_in_postgresql in the
# PostgreSQL pass, so that the passes take about as long. Tests that use no database
# (no_database, marked by tests/conftest.py) run in the SQLite pass only.
test:
	@$(MAKE) --no-print-directory -j3 test-deps
	@# every test process would otherwise compile the code and rewrite the tests' asserts
	@# anew (about 17 s of CPU each, where PYTHONDONTWRITEBYTECODE is set): one
	@# collection first leaves them in __pycache__ for all of them
	@PYTHONDONTWRITEBYTECODE= KKP_TEST_DB=sqlite $(BIN)/pytest -q --collect-only -p no:randomly >/dev/null 2>&1 || true
	@pass() { \
	  if [ $$1 = postgresql ]; then once="not no_database and (not browser or once_in_postgresql)"; \
	  else once="not once_in_postgresql"; fi; \
	  PYTHONDONTWRITEBYTECODE= KKP_TEST_DB=$$1 $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal -m "$$once" $(PYTEST_ARGS); \
	}; \
	log=$$(mktemp -t kkp-pytest-postgresql.XXXXXX); \
	pass postgresql >$$log 2>&1 & pg=$$!; \
	echo "== pytest with KKP_TEST_DB=sqlite (the PostgreSQL pass runs beside it; its output follows)"; \
	pass sqlite; rc_sqlite=$$?; \
	wait $$pg; rc_postgresql=$$?; \
	echo "== pytest with KKP_TEST_DB=postgresql"; cat $$log; rm -f $$log; \
	status=0; \
	for db in sqlite postgresql; do \
	  eval rc=\$$rc_$$db; \
	  if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then \
	    echo "== pytest with KKP_TEST_DB=$$db failed (exit code $$rc)"; status=1; \
	  fi; \
	done; \
	exit $$status

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

# -- translations ---------------------------------------------------------------------------

translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F kkp/babel.cfg -k _l -k lazy_gettext \
	  -o kkp/translations/messages.pot --no-location --sort-output \
	  --project "KKP Kompakt" --ignore-dirs ".* __pycache__ node_modules tests bench migrations" .
	@if ls kkp/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel update -i kkp/translations/messages.pot -d kkp/translations \
	    --no-fuzzy-matching; \
	else \
	  echo "no catalogs yet; start one with:"; \
	  echo "  $(BIN)/pybabel init -i kkp/translations/messages.pot -d kkp/translations -l de"; \
	fi

# -- front-end assets -----------------------------------------------------------------------

# The vendored front-end libraries, fetched again from npm at the versions pinned in
# kkp/static/vendor/VERSIONS (the files are committed: `make run` needs no npm).
VENDOR := kkp/static/vendor

assets:
	@command -v npm >/dev/null 2>&1 || { echo "make assets needs npm"; exit 1; }
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for name in kern htmx sortablejs; do \
	  spec=$$(awk -v n=$$name '$$1 == n {print $$2 "@" $$3}' $(VENDOR)/VERSIONS); \
	  echo "fetching $$spec"; mkdir -p "$$tmp/$$name"; \
	  (cd "$$tmp/$$name" && npm pack --silent "$$spec" >/dev/null && tar xzf *.tgz); \
	done; \
	kern=$$tmp/kern/package; \
	rm -rf $(VENDOR)/kern && mkdir -p $(VENDOR)/kern/fonts/fira-sans; \
	cp $$kern/dist/kern.min.css $$kern/LICENSE.md $(VENDOR)/kern/; \
	cp $$kern/dist/fonts/fira-sans.css $(VENDOR)/kern/fonts/; \
	for font in $$(grep -o 'fira-sans/[^")]*' $$kern/dist/fonts/fira-sans.css); do \
	  cp $$kern/dist/fonts/$$font $(VENDOR)/kern/fonts/$$font; \
	done; \
	rm -rf $(VENDOR)/htmx && mkdir -p $(VENDOR)/htmx; \
	cp $$tmp/htmx/package/dist/htmx.min.js $$tmp/htmx/package/LICENSE $(VENDOR)/htmx/; \
	rm -rf $(VENDOR)/sortablejs && mkdir -p $(VENDOR)/sortablejs; \
	cp $$tmp/sortablejs/package/Sortable.min.js $$tmp/sortablejs/package/LICENSE $(VENDOR)/sortablejs/; \
	echo "vendored into $(VENDOR): $$(grep -v '^#' $(VENDOR)/VERSIONS | awk '{printf "%s@%s ", $$2, $$3}')"

# -- screenshots ----------------------------------------------------------------------------

# The main pages on the demo content at 1280 and 375 px, into docs/screenshots/ (a
# temporary SQLite database, headless Chromium; see docs/screenshots.py).
screenshots: $(VENV)/.installed-test chromium
	$(BIN)/python docs/screenshots.py

# axe-core's results for every page at 375 and 1280 px, into docs/accessibility.md.
accessibility-report: $(VENV)/.installed-test chromium browser-deps
	$(BIN)/python docs/accessibility_report.py

# -- clean ----------------------------------------------------------------------------------

# Build and test leftovers only: .venv, node_modules and instance/ (your data) stay.
clean:
	find . -path ./$(VENV) -prune -o -path ./$(BROWSER)/node_modules -prune -o \
	  -name __pycache__ -type d -print0 | xargs -0 rm -rf
	find kkp/translations -name '*.mo' -delete
	rm -rf .pytest_cache .ruff_cache build dist
