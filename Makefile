# The two commands of the README: `make run` and `make test`. Each does its own set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app app

.PHONY: setup run test bench audit clean translations screenshots

setup: $(VENV)/.installed node_modules/.installed translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d app/translations

run: setup
	$(FLASK) db-upgrade
	$(FLASK) publish
	$(FLASK) seed-demo
	$(FLASK) start-standing
	PORT=$(PORT) $(FLASK) serve --port $(PORT)

# the suite runs on every core (pytest-xdist); a file's tests stay on one worker (its servers, queues, browsers)
PYTEST_ARGS ?= -n auto --dist loadfile
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# a PNG of every page for every role at 1366 and 390 px wide (SCREENSHOTS=folder, default screenshots/)
screenshots: setup
	$(BIN)/python -m tests.screenshots $(or $(SCREENSHOTS),screenshots)

bench: setup
	$(BIN)/python -m bench.run_all $(if $(QUICK),--quick,)

# dependency audit (known vulnerabilities of the installed packages; --strict: a package that could not be
# checked fails the audit) and static security scan of the product code; not part of `make test`
audit: setup
	$(BIN)/python -m pip install --quiet -e '.[audit]'
	$(BIN)/pip-audit --local --strict
	$(BIN)/bandit -r app -q

clean:
	rm -rf $(VENV) node_modules
