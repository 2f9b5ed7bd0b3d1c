# Set-up and everyday commands. `make run` and `make test` create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test venv chromium postgres lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres,dev]'
	touch $(STAMP)

# Debian's chromium drives the browser tests; Playwright's own browser download is never used.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null)); }

# The PostgreSQL store tests start a private server from Debian's package on 127.0.0.1.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql for the store tests"; \
	  (apt-get install -y -qq postgresql >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null)); }

run: venv
	@echo "Opening the lineage explorer on sample_data/ at http://127.0.0.1:$(PORT)"
	$(BIN)/lineage app --port $(PORT)

test: venv chromium postgres
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check lineage ui tests bench
	$(BIN)/mypy lineage

bench: venv
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
