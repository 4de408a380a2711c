# Thin targets; each works on a fresh clone and sets up .venv itself.
# `make serve` installs the runtime dependencies only; `make test` adds the test tools
# (the `test` extra) and the Debian packages the tests use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
# Debian packages the tests drive: headless Chromium (tests/browser), a real Redis.
TEST_DEBS := chromium redis-server

.PHONY: serve test test-debs lint check bench soak clean

$(RUNTIME): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(PIP) -e '.[test]'
	touch $(STAMP)

serve: $(RUNTIME)
	$(BIN)/mockserver serve $(ARGS)

lint: $(RUNTIME)
	$(BIN)/mockserver lint

check: $(STAMP)
	$(BIN)/ruff check mockserver tests
	$(BIN)/ruff format --check mockserver tests
	$(BIN)/mypy

# Installs the missing ones with apt-get (as root); one line and exit 1 when it cannot.
test-debs:
	@missing=$$(for c in $(TEST_DEBS); do command -v $$c >/dev/null || echo $$c; done); \
	[ -z "$$missing" ] || { echo "make test: installing $$missing with apt-get" >&2; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; } >/dev/null 2>&1; } || \
	  { echo "make test: could not install $$missing with apt-get (tests need it): install it, or run as root with network access" >&2; exit 1; }

test: check test-debs
	$(BIN)/mockserver lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.shared

soak: $(STAMP)
	$(BIN)/python -m benchmarks.soak

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .schemathesis
