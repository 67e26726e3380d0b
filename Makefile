# audiopipe — the two commands a newcomer needs: `make episode` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EPISODE ?= episodes/morning-ledger.yaml
OUT    ?= output

.PHONY: install episode season feed test bench typecheck clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

episode: $(STAMP)
	$(BIN)/audiopipe build $(EPISODE) --out $(OUT)

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

season: $(STAMP)
	$(BIN)/audiopipe build episodes/*.yaml --jobs 2 --out $(OUT)

feed: $(STAMP)
	$(BIN)/audiopipe feed --out $(OUT)
