# Two commands a newcomer needs: `make demo` and `make test`. While changing code: `make test-fast` and `make lint`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cmtk-installed
DEMO   ?= demo
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: env test test-fast slow-list lint demo system bench clean dist check-wheel

env: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
	  { echo "Error: could not create a virtual environment; on Debian/Ubuntu: apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,pdf]'
	$(BIN)/python -m compileall -q cmtk
	@touch $@

# Debian's age is the reference implementation the interop tests run against;
# Pango and HarfBuzz let WeasyPrint make PDFs, so the PDF tests run too; headless Chromium checks that the
# supervision page renders on one sheet and asks the network for nothing; vim runs the editor test against a
# hostile ~/.vimrc (security review round 4).
SYSTEM_PACKAGES := age libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core chromium vim
system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian packages:$$missing"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	  else echo "Not Debian: install age (and Pango for PDF) yourself; the tests that need them are skipped"; fi; \
	fi

# Tests keep their temporary stores in memory where the system has /dev/shm (Linux): git and the tests write and
# delete tens of thousands of small files, several times faster there than on disk. One folder per checkout.
TEST_TEMP := $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo --basetemp=/dev/shm/cmtk-tests-$$(echo "$(CURDIR)" | cksum | cut -d" " -f1))

# Every test, over two cores (pytest-xdist).
test: env system
	$(BIN)/python -m pytest -n 2 $(TEST_TEMP)

# The one-minute loop: everything except the tests marked slow, in code or measured in tests/slow.txt.
test-fast: env
	$(BIN)/python -m pytest -n 2 -m "not slow" $(TEST_TEMP)

# Measure every test again and list in tests/slow.txt those too slow for the fast loop (on an idle machine).
# `make slow-list ONLY_NEW=1` measures only the tests not yet listed and adds the slow ones (after adding tests).
slow-list: env system
	$(BIN)/python tests/list_slow.py $(if $(ONLY_NEW),--fast-only) $(TEST_TEMP)

# ruff (lint and format) and mypy; mypy keeps an incremental cache in .mypy_cache.
LINTED := cmtk tests bench
lint: env
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

demo: env
	@rm -rf "$(DEMO)"
	$(BIN)/cmtk demo "$(DEMO)"
	@echo
	@cd "$(DEMO)" && $(CURDIR)/$(BIN)/cmtk report overdue --upcoming
	@echo
	@echo "That is the Monday-morning job: who must be visited, reviewed or followed up, and why."
	@echo "Try next (inside the demo folder; every command finds the store and its key by itself):"
	@echo "  . $(BIN)/activate && cd $(DEMO)"
	@echo "  cmtk case list                        # the fictional children, one per step of the procedure"
	@echo "  cmtk steps                            # the eight steps in plain words, for trainers"
	@echo "  cmtk step CASE                        # what a case needs before its next step"
	@echo "  cmtk form render identification -o blank.html   # a blank printable form (A4, any browser)"
	@echo "  cmtk report benchmarks                # review scores per domain and their trend"
	@echo "  cmtk doctor                           # every file decrypts, nothing is plaintext"

# Speed at scale: generates stores of 2,000 and 10,000 cases once (bench/cache/), then measures.
bench: env system
	$(BIN)/python bench/run.py

# A wheel and an sdist for installing without make (pipx install ./dist/cmtk_reintegration-*.whl; README).
DIST ?= dist
dist: env
	@rm -rf "$(DIST)"
	$(BIN)/python -m build --outdir "$(DIST)" .

# The wheel installs into a fresh venv and `cmtk --version` runs from it (also a slow test in tests/test_portable.py).
check-wheel: dist
	$(BIN)/python tests/check_wheel.py "$$(ls "$(DIST)"/*.whl)" build/wheel-check-venv

clean:
	rm -rf $(VENV) $(DEMO) build dist *.egg-info .mypy_cache .ruff_cache
