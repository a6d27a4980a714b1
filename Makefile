PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements/lock.txt
STAMP := $(VENV)/.installed
# The tool that writes the lock; installing from the lock needs only pip.
UV_VERSION := 0.13.9
LOCK_ARGS := pyproject.toml requirements/build.in --extra test --extra bench --universal \
	--python-version 3.11 --generate-hashes -o $(LOCK)

.PHONY: demo test lint bench lock catalogs test-latest clean

# The venv is rebuilt from scratch whenever the lock changes, so what is installed is exactly the
# lock: nothing left over from an older lock, nothing resolved on this machine.
$(STAMP): $(LOCK) pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation \
		-e . --config-settings editable_mode=compat
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/delegaties demo

test: $(STAMP)
	$(BIN)/ruff check delegations registry cli tests bench tools
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check delegations registry cli tests bench tools

bench: $(STAMP)
	$(BIN)/python -m bench.run

# After a change of a user-facing text: extract the messages (Babel), update the nl and en
# catalogs in delegations/locale/ and compile them; then give the new Dutch texts in the .po
# and run it again. `tests/test_catalogs.py` fails while one is missing, untranslated or unused.
catalogs: $(STAMP)
	$(BIN)/python -m tools.catalogs

# Refresh the lock after a change of the ranges in pyproject.toml (keeps the pins that still fit;
# `make lock LOCK_UPGRADE=--upgrade` takes the newest versions the ranges allow).
lock:
	test -x .venv-lock/bin/uv || ($(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install -q uv==$(UV_VERSION))
	.venv-lock/bin/uv pip compile -q $(LOCK_UPGRADE) $(LOCK_ARGS)

# Drift guard (not part of CI): the newest releases that pyproject.toml allows, in a separate venv,
# so that an upstream release that breaks us is found by us before a user finds it.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install -q --upgrade pip setuptools
	.venv-latest/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e '.[test,bench]' \
		--config-settings editable_mode=compat
	.venv-latest/bin/python -m pip list --format=freeze > .venv-latest/versions.txt
	.venv-latest/bin/ruff check delegations registry cli tests bench tools
	DELEGATIES_UNLOCKED=1 .venv-latest/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .venv-latest .venv-lock build *.egg-info .pytest_cache
