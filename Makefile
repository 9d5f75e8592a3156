# The two commands a fresh machine needs (see README.md):
#   make serve   install into .venv, migrate, load seeds and the sample network, serve on 127.0.0.1:5000
#   make test    install what the tests need, then run the suite on SQLite and on PostgreSQL
#   make bench   every benchmark on a synthetic registry (SQLite and PostgreSQL); see README.md
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# PostgreSQL as it runs on every machine of this project; each test run creates and drops
# its own database on this server.
PG_TEST_SERVER ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# The STV cross-check's independent implementation lives in its own virtualenv, never in .venv.
STV_VENV := .venv-stv

.PHONY: serve test install test-deps postgres bench messages

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# Catalogs are compiled here, never committed (api/translations; see README.md, "Languages").
CATALOGS := $(wildcard api/translations/*/LC_MESSAGES/messages.po)

%.mo: %.po $(BIN)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(BIN)/.installed $(CATALOGS:.po=.mo)

# After marking or changing words: refresh the template and every catalog, then translate what
# `pybabel update` left empty (tests/api/test_i18n.py fails until every catalog is complete).
messages: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output --width 100 \
		--project sw-registry --copyright-holder "" -o api/translations/messages.pot .
	$(BIN)/pybabel update -i api/translations/messages.pot -d api/translations --no-fuzzy-matching \
		--ignore-obsolete --width 100

# geoBoundaries files (CC BY / ODbL) are never shipped: imported at run time when present.
SHARED_GEO ?= ../shared/geo

serve: install
	$(BIN)/registry db upgrade
	$(BIN)/registry seed
	@if [ -d "$(SHARED_GEO)" ]; then $(BIN)/registry boundaries import-known "$(SHARED_GEO)"; fi
	@echo "Serving on http://$(HOST):$(PORT)/ (create a token with: $(BIN)/registry token create --help)"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --no-control-socket --access-logfile - wsgi:app

$(STV_VENV)/.installed: tests/crosscheck/requirements.txt
	$(PYTHON) -m venv $(STV_VENV)
	$(STV_VENV)/bin/pip install --quiet --upgrade pip
	$(STV_VENV)/bin/pip install --quiet -r tests/crosscheck/requirements.txt
	touch $@

test-deps: install $(STV_VENV)/.installed postgres
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start" >&2; exit 1

test: test-deps
	@echo "== test suite on SQLite"
	$(BIN)/pytest
	@echo "== test suite on PostgreSQL"
	REGISTRY_TEST_DATABASE=$(PG_TEST_SERVER) $(BIN)/pytest

# Takes about seven minutes; prints a table and writes bench/results.json. BENCH_ARGS=--quick
# runs a small case (to check that it runs; its times mean nothing).
bench: install postgres
	$(BIN)/python -m bench --postgres $(PG_TEST_SERVER) $(BENCH_ARGS)
