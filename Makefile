# Two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cmtk-installed
DEMO   ?= demo
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: env test demo age clean

env: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
	  { echo "Error: could not create a virtual environment; on Debian/Ubuntu: apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

# Debian's age is the reference implementation the interop tests run against.
age:
	@command -v age >/dev/null 2>&1 || { \
	  echo "Installing age (Debian package) for the interoperability tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq age; }

test: env age
	$(BIN)/python -m pytest

demo: env
	@rm -rf "$(DEMO)"
	$(BIN)/cmtk demo "$(DEMO)"
	@echo
	@$(BIN)/cmtk --store "$(DEMO)/store" case list
	@echo
	@echo "Try next (from inside the demo folder, no settings needed):"
	@echo "  . $(BIN)/activate && cd $(DEMO)"
	@echo "  cmtk case list                 # the training cases"
	@echo "  cmtk case show <CASE>          # one case, decrypted in memory"
	@echo "  cmtk team list                 # who can open this store"
	@echo "  cmtk doctor                    # check every file decrypts and nothing is plaintext"
	@echo "  git -C store log --stat        # history: opaque names and messages only"

clean:
	rm -rf $(VENV) $(DEMO) build dist *.egg-info
