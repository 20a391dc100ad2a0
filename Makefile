# The two commands a newcomer needs: `make run` and `make test`. Everything else is set-up they call.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Debian packages the webmail, its demo mail server and the translations need.
SYSTEM_PACKAGES := dovecot-imapd dovecot-lmtpd redis-server gettext procps
# The tests also drive Chromium and send through a strict Postfix. Postfix is preseeded "No
# configuration": installing it writes no /etc/postfix/main.cf and starts nothing (the tests run
# private instances).
TEST_PACKAGES := postfix chromium
PYTEST_ARGS ?=

.PHONY: run test setup system-packages messages lint bench screenshots clean

# Target-specific: the packages reach `system-packages` when it runs as a prerequisite of these.
test screenshots: SYSTEM_PACKAGES += $(TEST_PACKAGES)

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py rundemo

test: setup
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

setup: system-packages $(STAMP) messages

# Installs only what is missing, so the second run costs a few dpkg queries.
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	    apt-get install -y -qq $$missing || { apt-get update -qq && apt-get install -y -qq $$missing; } || exit 1; \
	  else \
	    echo "Please install these Debian packages:$$missing" >&2; exit 1; \
	  fi; \
	fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): pyproject.toml requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

messages: $(STAMP)
	@$(PY) manage.py compilemessages --ignore=.venv -v 0

lint: setup
	$(VENV)/bin/ruff check webmail tests

bench: setup
	$(PY) -m pytest tests/benchmarks -p no:xdist -s -q --bench

screenshots: setup
	$(PY) -m pytest tests/browser -p no:xdist -q --screenshots=docs/screenshots

clean:
	rm -rf $(VENV) var
