# Homeward: `make demo` to try it, `make test` before you push.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: install demo serve lint test test-sqlite test-postgres bench soak postgres browser clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

demo: install
	$(BIN)/homeward demo-data
	HOMEWARD_SERVE_WORKER=1 $(BIN)/homeward serve --host 127.0.0.1 --port 8000

serve: install
	$(BIN)/homeward serve

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

postgres:
	@scripts/ensure-postgres.sh "$(PG_TEST_URL)"

# Page tests drive Debian's chromium through Playwright (which never downloads a browser here).
browser:
	@scripts/ensure-chromium.sh

# The whole suite runs once per backend; every database test is parametrized over both.
test: install lint postgres browser
	HOMEWARD_TEST_POSTGRES_URL=$(PG_TEST_URL) $(BIN)/pytest -n 2 -q

test-sqlite: install browser
	HOMEWARD_TEST_BACKENDS=sqlite $(BIN)/pytest -n 2 -q

bench: install postgres
	HOMEWARD_TEST_POSTGRES_URL=$(PG_TEST_URL) $(BIN)/python -m bench

# 200 users for 60 s against serve --workers 2 on PostgreSQL, then the database is checked.
soak: install postgres
	HOMEWARD_TEST_POSTGRES_URL=$(PG_TEST_URL) $(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis homeward.db*
