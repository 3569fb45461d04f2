# Hindsight: `make run` serves the product on embedded defaults, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
JS_PACKAGES := static/recorder-js static/player-js

.PHONY: run test build deps deps-dev js-deps bench clean

run: deps build
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setupdemo
	@echo "Hindsight: http://127.0.0.1:$(PORT)/ (demo page: http://127.0.0.1:$(PORT)/demo/)"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: deps-dev build
	cd static/recorder-js && npm test --silent
	cd static/player-js && npm test --silent
	$(PY) -m tests.run --lanes $(PYTEST_ARGS)

build: static/build/recorder.js static/build/player.js

static/build/recorder.js: static/recorder-js/node_modules/.installed static/recorder-js/build.mjs $(shell find static/recorder-js/src -type f 2>/dev/null)
	cd static/recorder-js && npm run --silent build

static/build/player.js: static/player-js/node_modules/.installed static/player-js/build.mjs $(shell find static/player-js/src -type f 2>/dev/null)
	cd static/player-js && npm run --silent build

%/node_modules/.installed: %/package-lock.json
	cd $* && npm ci --no-audit --no-fund
	touch $@

deps: $(VENV)/.runtime
deps-dev: $(VENV)/.dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

bench: deps-dev build
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) static/build staticfiles $(addsuffix /node_modules,$(JS_PACKAGES))
