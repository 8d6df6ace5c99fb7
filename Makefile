# Every target sets itself up: a fresh machine needs only Python 3.11.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# The course package for the demo and the lab; the test tools on top for make test.
STAMP      := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: test demo lab lock clean-state

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(TEST_STAMP)

# The slow tests each drive nbgrader and a kernel one notebook at a time: two workers use both cores.
# They run longest first (tests/conftest.py), one at a time to whichever worker is free (--dist load
# --maxschedchunk 1): xdist otherwise hands each worker a run of consecutive tests, and the first run
# holds every long one.
TEST_WORKERS ?= 2

# Debian packages, installed when missing, as root. The demo grades: bubblewrap, prlimit and
# setpriv (the grading sandbox of `labs grade`). The tests also need chromium (JupyterLab, the hub
# and the roster's HTML report in a headless browser) and postgresql (a server on loopback for
# the PostgreSQL gradebook).
GRADING_TOOLS    := $(VENV)/.grading-tools
GRADING_PACKAGES := bwrap:bubblewrap prlimit:util-linux setpriv:util-linux
TEST_TOOLS       := $(VENV)/.test-tools
TEST_PACKAGES    := $(GRADING_PACKAGES) chromium:chromium pg_ctlcluster:postgresql

# $(call install-missing,command:package ...)
define install-missing
	@missing=""; for pair in $(1); do \
	  command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "Install these Debian packages:$$missing (sudo apt-get install$$missing), then run make again." >&2; exit 1; \
	  fi; \
	fi
endef

$(GRADING_TOOLS): $(STAMP)
	$(call install-missing,$(GRADING_PACKAGES))
	touch $(GRADING_TOOLS)

$(TEST_TOOLS): $(TEST_STAMP)
	$(call install-missing,$(TEST_PACKAGES))
	touch $(TEST_TOOLS)

# configurable-http-proxy for tests/test_jupyterhub.py (Node >= 18; Debian 12's nodejs works).
PROXY := $(VENV)/node/node_modules/.bin/configurable-http-proxy

$(PROXY): deploy/jupyterhub/proxy/package.json deploy/jupyterhub/proxy/package-lock.json | $(TEST_STAMP)
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	  else \
	    echo "Install Node.js >= 18 and npm (Debian: sudo apt-get install nodejs npm), then run make test again." >&2; exit 1; \
	  fi; }
	mkdir -p $(VENV)/node
	cp deploy/jupyterhub/proxy/package.json deploy/jupyterhub/proxy/package-lock.json $(VENV)/node/
	npm ci --prefix $(VENV)/node --omit=dev --no-audit --no-fund --loglevel=error
	touch $(PROXY)

test: $(TEST_TOOLS) $(PROXY)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 1 --durations=25

demo: $(GRADING_TOOLS)
	$(BIN)/labs demo

lab: $(STAMP)
	JUPYTER_CONFIG_PATH=$(CURDIR)/deploy/jupyterlab $(BIN)/jupyter lab --notebook-dir=release

# Re-resolve the exact versions after changing dependencies in pyproject.toml.
lock: $(TEST_STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | sed '1i # Exact versions of every dependency, resolved on Python 3.11 / Linux x86_64 (CPU torch).\n# Regenerate after changing pyproject.toml: make lock' > constraints.txt

# Remove generated course state (gradebook, submissions, grades, roster and its ledger); source/ and release/ stay.
clean-state:
	rm -rf .grading gradebook.db submitted autograded/*/ feedback grades.csv .demo roster.db roster.csv roster.json roster.html roster-*.csv
