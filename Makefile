# Pax lägesbild. Two commands do all set-up on a fresh Debian machine:
#   make run    install what is missing, start the embedded PostGIS, migrate, load demo data
#               if the database is empty, and serve the app on http://localhost:$(PORT)
#   make test   the same preparation, then the whole test suite (unit, PostGIS, AppTest, browser)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PAX := $(VENV)/bin/pax
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= $(or $(PAX_PORT),8501)
export PAX_PORT := $(PORT)

SYSTEM_PACKAGES := postgresql postgresql-15-postgis-3 nginx
TEST_PACKAGES := chromium fonts-dejavu-core poppler-utils

.PHONY: run test deps test-deps venv venv-dev lint format bench clean help

help:
	@grep -E '^#' Makefile | head -5

run: deps venv
	$(PAX) up
	$(PAX) serve --port $(PORT)

# Tests run on every core (pytest-xdist, one database per worker); a whole file goes to one
# worker so that its module fixtures (signed-in pages, browsers) are built once. The 25 slowest
# tests are listed at the end (where the time goes, for whoever makes the suite faster).
test: deps test-deps venv-dev lint
	$(PAX) up --no-demo
	$(VENV)/bin/pytest -q -p no:cacheprovider -n auto --dist loadfile --durations=25

# System packages: installed with apt-get when root, otherwise the exact command is printed.
deps:
	@missing=""; \
	if [ -z "$$DATABASE_URL" ]; then \
	  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing="$$missing postgresql-15-postgis-3"; \
	fi; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$$missing nginx"; \
	$(MAKE) --no-print-directory _apt PKGS="$$missing"

test-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium fonts-dejavu-core"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	$(MAKE) --no-print-directory _apt PKGS="$$missing"

_apt:
	@if [ -n "$(strip $(PKGS))" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing:$(PKGS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PKGS) >/dev/null; \
	  else \
	    echo "Missing system packages. Run:  sudo apt-get update && sudo apt-get install -y$(PKGS)"; exit 1; \
	  fi; \
	fi

venv: $(STAMP)

venv-dev: $(DEV_STAMP)

$(STAMP): requirements.txt pyproject.toml
	@command -v python3 >/dev/null || { echo "python3 is missing: apt-get install python3 python3-venv"; exit 1; }
	@[ -x $(PY) ] || python3 -m venv $(VENV) || { echo "Run: sudo apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

# Tests, lint and the type checker, on top of the runtime set (make run never installs these).
$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $(DEV_STAMP)

# ruff (incl. the ban on Streamlit outside the UI layer) and mypy on pax_geo (pyproject.toml)
lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: venv-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: deps venv
	$(PAX) up --no-demo
	$(PY) bench/bench_map.py

clean:
	-$(PAX) db stop
	rm -rf artifacts .pytest_cache
