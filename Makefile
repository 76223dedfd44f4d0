# Two commands: `make serve` (set up, then serve the example archive) and `make test`.
export NO_MKDOCS_2_WARNING := 1
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve live build check test lint typecheck unit browser-deps clean bench

install: $(STAMP)

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Builds the site, then serves it with the search API (use `make live` for live reload).
serve: install
	$(BIN)/pmarchive serve --rebuild --host $(HOST) --port $(PORT)

live: install
	$(BIN)/mkdocs serve --dev-addr $(HOST):$(PORT)

build: install
	$(BIN)/mkdocs build --strict

check: install
	$(BIN)/pmarchive check .

# Debian's Chromium for the browser tests; never a browser downloaded by a test tool.
# apt-get needs root: as root it runs directly, else through sudo when sudo works without a
# password; otherwise this stops and says what to install.
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM), and installing it needs root."; \
	    echo "Ask an administrator to run:  apt-get install -y chromium"; \
	    echo "or point the tests at an installed Chromium:  make test CHROMIUM=/path/to/chromium"; \
	    exit 1; \
	  fi; \
	  echo "installing Debian's chromium for the browser tests"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium; \
	fi

lint: install
	$(BIN)/ruff check plugins tests benchmarks
	$(BIN)/ruff format --check plugins tests benchmarks
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install
	PMARCHIVE_CHROMIUM=$(CHROMIUM) $(BIN)/pytest

test: install browser-deps lint typecheck check build unit

# The scale benchmark (not part of `make test`): plain Material against the plugin, with goals.
# Default 500 + 500 records, a few minutes; the headline run:
#   make bench ARGS="--records 10000 --nearmisses 10000"
bench: install
	$(BIN)/python benchmarks/bench.py $(ARGS)

clean:
	rm -rf site .pytest_cache .mypy_cache .ruff_cache
