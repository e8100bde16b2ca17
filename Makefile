# Pax lägesbild. Two commands do all set-up on a fresh Debian machine:
#   make run    install what is missing, start the embedded PostGIS, migrate, load demo data
#               if the database is empty, and serve the app on http://localhost:$(PORT)
#   make test   the same preparation, then the whole test suite (unit, PostGIS, AppTest, browser)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PAX := $(VENV)/bin/pax
STAMP := $(VENV)/.installed
PORT ?= $(or $(PAX_PORT),8501)
export PAX_PORT := $(PORT)

SYSTEM_PACKAGES := postgresql postgresql-15-postgis-3
TEST_PACKAGES := chromium fonts-dejavu-core

.PHONY: run test deps test-deps venv lint format bench clean help

help:
	@grep -E '^#' Makefile | head -5

run: deps venv
	$(PAX) up
	$(PAX) serve --port $(PORT)

test: deps test-deps venv
	$(PAX) up --no-demo
	$(VENV)/bin/pytest -q -p no:cacheprovider

# System packages: installed with apt-get when root, otherwise the exact command is printed.
deps:
	@missing=""; \
	if [ -z "$$DATABASE_URL" ]; then \
	  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing="$$missing postgresql-15-postgis-3"; \
	fi; \
	$(MAKE) --no-print-directory _apt PKGS="$$missing"

test-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium fonts-dejavu-core"; \
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

$(STAMP): requirements.txt pyproject.toml
	@command -v python3 >/dev/null || { echo "python3 is missing: apt-get install python3 python3-venv"; exit 1; }
	@[ -x $(PY) ] || python3 -m venv $(VENV) || { echo "Run: sudo apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: deps venv
	$(PAX) up --no-demo
	$(PY) bench/bench_map.py

clean:
	-$(PAX) db stop
	rm -rf artifacts .pytest_cache
