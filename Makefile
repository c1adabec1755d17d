# The two commands that matter: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTHON_VERSION := 3.11
# The newest Python supported: the SDK's tests run on it too (the main run is on the oldest, above).
NEWEST_PYTHON := 3.13
NEWEST_VENV := .venv-$(NEWEST_PYTHON)

.PHONY: setup run test lint typecheck pytest postgres redis compile-requirements bench bench-request-path \
	bench-webhooks bench-mock bench-reports clean test-sdk-newest test-pgbouncer

setup: $(STAMP)

# Rebuild the environment whenever the pinned requirements change.
$(STAMP): requirements/dev.txt requirements/runtime.txt pyproject.toml clients/python/pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	uv venv --quiet --allow-existing --python $(PYTHON_VERSION) $(VENV)
	VIRTUAL_ENV=$(VENV) uv pip sync --quiet --require-hashes requirements/dev.txt
	VIRTUAL_ENV=$(VENV) uv pip install --quiet --no-deps --no-build-isolation -e .
	VIRTUAL_ENV=$(VENV) uv pip install --quiet --no-deps --no-build-isolation -e clients/python
	@touch $(STAMP)

run: setup
	$(BIN)/rentengine serve --demo

lint: setup
	$(BIN)/ruff check src tests bench clients/python
	$(BIN)/ruff format --check src tests bench clients/python
	$(BIN)/mypy

typecheck: lint

# Starts (installing when needed) a local PostgreSQL and exports its URL for the tests.
postgres:
	@bash scripts/postgres-up >/dev/null

# Starts (installing when needed) a loopback Redis, the rate limit's shared store in the tests.
redis:
	@bash scripts/redis-up >/dev/null

test: setup postgres redis
	$(BIN)/ruff check src tests bench clients/python
	$(BIN)/ruff format --check src tests bench clients/python
	$(BIN)/mypy
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" RENTENGINE_TEST_REDIS_URL="$$(bash scripts/redis-up)" \
		RENTENGINE_TEST_PGBOUNCER_URL="$$(bash scripts/pgbouncer-up)" $(BIN)/pytest $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-pgbouncer
	@$(MAKE) --no-print-directory test-sdk-newest

# The API's PostgreSQL tests again, every database reached through PgBouncer in transaction pooling
# mode (scripts/pgbouncer-up): the app's queries, its migrations and its worker's claims go through
# it. The API's domains rather than the whole PostgreSQL half, to bound its time (PGBOUNCER_TESTS=tests
# runs all of it).
PGBOUNCER_TESTS ?= tests/units tests/lockboxes tests/prospects tests/leasing tests/webhooks tests/reporting \
	tests/properties tests/showings tests/auth
test-pgbouncer: setup postgres redis
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" RENTENGINE_TEST_REDIS_URL="$$(bash scripts/redis-up)" \
		RENTENGINE_TEST_PGBOUNCER_URL="$$(bash scripts/pgbouncer-up)" RENTENGINE_TEST_THROUGH_PGBOUNCER=1 \
		$(BIN)/pytest -q -p no:cacheprovider -k postgresql $(PGBOUNCER_TESTS)

# The SDK's tests on the newest supported Python, in its own environment built from the same pins.
# Without that Python: a failure under CI, a notice elsewhere.
test-sdk-newest: postgres redis
	@if ! bash scripts/python-path $(NEWEST_PYTHON) >/dev/null; then \
		if [ "$${CI:-}" = true ]; then exit 1; fi; \
		echo "test-sdk-newest: Python $(NEWEST_PYTHON) is not installed; the SDK was tested on $(PYTHON_VERSION) only"; \
		exit 0; \
	fi; \
	$(MAKE) --no-print-directory $(NEWEST_VENV)/.installed && \
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" RENTENGINE_TEST_REDIS_URL="$$(bash scripts/redis-up)" \
		$(NEWEST_VENV)/bin/pytest -q -p no:cacheprovider tests/sdk

$(NEWEST_VENV)/.installed: requirements/dev.txt pyproject.toml clients/python/pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	UV_PYTHON_DOWNLOADS=never uv venv --quiet --allow-existing \
		--python "$$(bash scripts/python-path $(NEWEST_PYTHON))" $(NEWEST_VENV)
	VIRTUAL_ENV=$(NEWEST_VENV) uv pip sync --quiet --require-hashes requirements/dev.txt
	VIRTUAL_ENV=$(NEWEST_VENV) uv pip install --quiet --no-deps --no-build-isolation -e . -e clients/python
	@touch $@

# The performance figures (docs/performance.md): loads 1M events on both backends, ~25 min. Servers
# run as shipped (rate limiter on); starts a local PostgreSQL and a local Redis.
bench: setup postgres redis
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" RENTENGINE_TEST_REDIS_URL="$$(bash scripts/redis-up)" \
		$(BIN)/python -m bench.suite

# Figures 1, 2, 8 and 9 alone (the units page and the rate limiter) on 20,000 units: a few minutes.
bench-request-path: setup postgres redis
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" RENTENGINE_TEST_REDIS_URL="$$(bash scripts/redis-up)" \
		$(BIN)/python -m bench.request_path

# The webhook fault run (10,000 changes, worker killed twice) and delivery benchmark, both backends,
# and the mock server against Prism.
bench-webhooks: setup postgres
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" $(BIN)/python -m bench.webhook_faults
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" $(BIN)/python -m bench.webhook_delivery

# A healthy subscription's commit-to-receipt p99 while another tenant's failing subscription has a
# backlog of 100,000 deliveries, against the same p99 without it; both backends.
# FAIRNESS_ARGS passes options on, e.g. make bench-fairness FAIRNESS_ARGS="--backends postgresql".
.PHONY: bench-fairness
bench-fairness: setup postgres
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" $(BIN)/python -m bench.webhook_fairness $(FAIRNESS_ARGS)

# Table sizes under continuous load past the retention period (docs/scaling.md): 12 simulated days
# of lockbox events and audit entries with both periods 3 days, both backends, ~5 min each.
# RETENTION_ARGS passes options on, e.g. make bench-retention RETENTION_ARGS="--days 4 --backends sqlite".
.PHONY: bench-retention
bench-retention: setup postgres
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" $(BIN)/python -m bench.retention $(RETENTION_ARGS)

# The reports against the units page on both backends: 100,000 units, 1,000,000 prospects and about
# as many leasing events over two years in one account (bulk-loaded), ~10 min. Rate limiter on.
# REPORTS_ARGS passes options on, e.g. make bench-reports REPORTS_ARGS="--units 10000 --prospects 100000".
bench-reports: setup postgres
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" $(BIN)/python -m bench.reports $(REPORTS_ARGS)

bench-mock: setup
	$(BIN)/python -m bench.mock_vs_prism

# The soak run (docs/performance.md): 64 clients for 10 minutes per backend, serve killed halfway.
# SOAK_ARGS passes options on, e.g. make soak SOAK_ARGS="--minutes 1 --backends sqlite".
.PHONY: soak
soak: setup postgres
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" $(BIN)/python -m bench.soak $(SOAK_ARGS)

compile-requirements:
	cd requirements && uv pip compile --generate-hashes --python-version $(PYTHON_VERSION) --no-header \
		--no-annotate -o runtime.txt ../pyproject.toml && \
	uv pip compile --generate-hashes --python-version $(PYTHON_VERSION) --no-header --no-annotate \
		--extra dev -o dev.txt ../pyproject.toml

clean:
	rm -rf $(VENV) $(NEWEST_VENV) .mypy_cache .ruff_cache .pytest_cache

# The cluster run (docs/scaling.md): HAProxy, three API nodes, two workers, PgBouncer, PostgreSQL and
# Redis on this machine; ~100 clients; an API node and a worker killed, PgBouncer restarted; then
# every acknowledged write, audit entry and delivery checked. ~15 min with the default 5 minutes.
# CLUSTER_ARGS passes options on, e.g. make cluster-bench CLUSTER_ARGS="--minutes 1".
.PHONY: cluster-bench
cluster-bench: setup postgres redis
	RENTENGINE_TEST_POSTGRES_URL="$$(bash scripts/postgres-up)" RENTENGINE_TEST_REDIS_URL="$$(bash scripts/redis-up)" \
		$(BIN)/python -m bench.cluster $(CLUSTER_ARGS)
