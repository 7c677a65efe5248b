# The two commands a new install needs: `make demo` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
APT_PACKAGES := redis-server postgresql dovecot-imapd dovecot-lmtpd chromium
PYTEST_ARGS ?=

.PHONY: demo test install install-test system-deps lint typecheck migration bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Run the product with demo data on embedded defaults (SQLite, in-process bus).
demo: install
	$(BIN)/contact-center demo

## Install what the tests need (Python extras, and the real servers via apt when missing), then run them all.
test: install-test system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

system-deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	[ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd dovecot-lmtpd"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy contact_center connectors routing agent_ui

## Regenerate the schema migration after changing contact_center/store/tables.py.
migration: install
	$(BIN)/python -m contact_center.store.revise

clean:
	rm -rf var test-artifacts .pytest_cache
