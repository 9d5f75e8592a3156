# The two commands a fresh machine needs (see README.md):
#   make serve   install the runtime set into .venv, migrate, load seeds and the sample network,
#                serve on 127.0.0.1:5000
#   make test    add what the tests need, then run the suite on SQLite and on PostgreSQL, side by side
#   make bench   add what the benchmarks need, then run every benchmark (SQLite and PostgreSQL)
#   make lock    pin the dependencies again after setup.cfg changed (requirements/*.txt)
# Every install is from a lock in requirements/, so two machines get the same versions.
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

.PHONY: serve test install test-deps postgres redis bench lock messages

# The runtime set only: a server never needs pytest, Playwright or matplotlib.
$(BIN)/.installed: requirements/runtime.txt setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/runtime.txt
	$(BIN)/pip install --quiet --no-deps -e .
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

$(BIN)/.installed-test: requirements/test.txt $(BIN)/.installed
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $@

$(BIN)/.installed-bench: requirements/bench.txt $(BIN)/.installed
	$(BIN)/pip install --quiet -r requirements/bench.txt
	touch $@

# uv resolves for the Python the project runs on, whatever the machine's default is.
LOCK_TOOLS := .venv-lock
lock:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/pip install --quiet 'uv ~= 0.13'
	$(LOCK_TOOLS)/bin/uv pip compile setup.cfg --quiet --python-version 3.11 --custom-compile-command 'make lock' -o requirements/runtime.txt
	$(LOCK_TOOLS)/bin/uv pip compile setup.cfg --quiet --python-version 3.11 --custom-compile-command 'make lock' --extra test -o requirements/test.txt
	$(LOCK_TOOLS)/bin/uv pip compile setup.cfg --quiet --python-version 3.11 --custom-compile-command 'make lock' --extra bench -o requirements/bench.txt

# geoBoundaries files (CC BY / ODbL) are never shipped: imported at run time when present.
SHARED_GEO ?= ../shared/geo

serve: install
	$(BIN)/registry db upgrade
	$(BIN)/registry seed
	@if [ -d "$(SHARED_GEO)" ]; then $(BIN)/registry boundaries import-known "$(SHARED_GEO)"; fi
	@echo "Serving on http://$(HOST):$(PORT)/ (create a token with: $(BIN)/registry token create --help)"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --no-control-socket wsgi:app

$(STV_VENV)/.installed: tests/crosscheck/requirements.txt
	$(PYTHON) -m venv $(STV_VENV)
	$(STV_VENV)/bin/pip install --quiet --upgrade pip
	$(STV_VENV)/bin/pip install --quiet -r tests/crosscheck/requirements.txt
	touch $@

test-deps: install $(BIN)/.installed-test $(STV_VENV)/.installed postgres redis
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@# Fonts for Khmer, Lao and Chinese, so the journeys' screenshots show words, not boxes.
	@fc-list | grep -qi khmeros || { apt-get update -qq && apt-get install -y -qq fonts-khmeros fonts-lao fonts-wqy-microhei >/dev/null; }
	@# tests/test_deploy.py runs deploy/nginx/registry.conf in front of a live server.
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
	@# axe-core, injected into pages by the browser tests only (tests/browser/package-lock.json).
	@test -f tests/browser/node_modules/axe-core/axe.min.js || npm ci --prefix tests/browser --no-audit --no-fund --silent

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start" >&2; exit 1

# The shared failed-sign-in count and the two-server test use the Redis on 127.0.0.1:6379.
redis:
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --bind 127.0.0.1 --port 6379 --save '' --daemonize yes
	@for i in $$(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0; sleep 1; done; echo "Redis did not start" >&2; exit 1

# The two legs run side by side, one on each of the machine's two cores: neither waits on the
# other (each has its own databases, temporary folders, Redis key prefix and ports). The SQLite
# leg prints as it goes; the PostgreSQL leg's output is kept in a file and printed when it ends.
PG_LEG_LOG := test-output/postgresql-leg.log
test: test-deps
	@mkdir -p test-output
	@echo "== test suite on SQLite, and on PostgreSQL beside it (its output follows, from $(PG_LEG_LOG))"
	@REGISTRY_TEST_DATABASE=$(PG_TEST_SERVER) REGISTRY_TEST_OUTPUT=test-output/postgresql \
		$(BIN)/pytest > $(PG_LEG_LOG) 2>&1 & postgres=$$!; \
	trap 'kill $$postgres 2>/dev/null' INT TERM; \
	$(BIN)/pytest; sqlite=$$?; \
	wait $$postgres; pg=$$?; \
	echo "== test suite on PostgreSQL"; cat $(PG_LEG_LOG); \
	echo "== SQLite leg: exit $$sqlite; PostgreSQL leg: exit $$pg"; \
	test $$sqlite -eq 0 -a $$pg -eq 0

# Takes about seven minutes; prints a table and writes bench/results.json. BENCH_ARGS=--quick
# runs a small case (to check that it runs; its times mean nothing).
bench: $(BIN)/.installed-bench postgres
	$(BIN)/python -m bench --postgres $(PG_TEST_SERVER) $(BENCH_ARGS)
