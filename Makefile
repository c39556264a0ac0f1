# taskwatch: every target creates the virtual environment it needs, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv run test lint faults bench layer package plan deploy clean

venv: $(STAMP)

$(STAMP): requirements-dev.txt layers/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## The main job: against the cloud when credentials are set, otherwise against the local emulator.
run: venv
	$(PY) -m tests.run_local

## The whole test suite (lint included).
test: venv
	$(PY) -m ruff check function tests layers
	$(PY) -m pytest

lint: venv
	$(PY) -m ruff check function tests layers

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis
