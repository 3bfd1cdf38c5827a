# `make run` serves the registry with a synthetic demo study; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# pytest-xdist workers for `make test`: one a core. Each has its own test database, and
# each test file runs whole on one worker, so a module's shared fixtures are made once.
TEST_WORKERS ?= auto

.PHONY: install run test lint bench loadtest clean

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "Serving the registry on http://127.0.0.1:$(PORT)/"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest --numprocesses=$(TEST_WORKERS) --dist=loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m benchmarks.run

# gunicorn under a bounded mixed load from wrk; needs DATABASE_URL=postgres://..., wrk and
# redis-server (apt-get install wrk redis-server). See benchmarks/load.py.
loadtest: install
	$(BIN)/python -m benchmarks.load

clean:
	rm -rf $(VENV) registry.sqlite3* staticfiles test-artifacts
