"""The benchmark script runs in smoke mode so that it cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.bench]


def test_bench_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    out.write_text(json.dumps({"demo": {"warm_vs_bare": 9.99, "cold": {"realtime_factor": 1.0}}}))   # a previous run
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--smoke", "--out", str(out)],
                          capture_output=True, text=True, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text())
    demo = result["demo"]
    assert demo["audio_s"] > 10
    for key in ("cold", "warm"):
        assert demo[key]["wall_s"] > 0 and demo[key]["peak_mb"] > 10 and demo[key]["realtime_factor"] > 1
    assert demo["bare_encode_s"] > 0 and demo["baseline_pydub_s"] > 0
    assert demo["warm_vs_bare"] == round(demo["warm"]["wall_s"] / demo["bare_encode_s"], 2)
    assert [s["minutes"] for s in result["scaling"]] == [0.5, 1.0]
    assert result["scaling"][1]["audio_s"] > result["scaling"][0]["audio_s"]
    assert set(result["goals"]) >= {"cold demo >= 30x real time", "warm rebuild with nothing to do <= 0.3x bare encode"}
    assert demo["files"] == 3 and demo["remaster_vs_bare_files"] == round(demo["remaster"]["wall_s"] /
                                                                           demo["bare_encodes_of_the_files_s"], 2)
    assert "skipped" in result["cluster"] and "cluster: skipped" in proc.stdout   # real dask: test_cluster.py
    assert "goals:" in proc.stdout and "cold build" in proc.stdout
    figures = result["figures_check"]
    assert figures["stories"] >= 1 and 0 < figures["ms"] <= figures["first_ms"] * 5 and "figures check: " in proc.stdout
    archive = result["archive"]["3"]                  # a show of three episodes: refreshed, built beside, re-taken
    assert 0 < archive["feed_unchanged_s"] and 0 < archive["new_build_s"] and 0 < archive["retake_s"]
    assert result["mode"] == "smoke" and result["kokoro_speed"] == {"skipped": "smoke mode (make bench-full)"}
    change = proc.stdout[proc.stdout.index("against the previous bench.json:"):]
    assert f"9.99 -> {demo['warm_vs_bare']}" in change and f"1.0 -> {demo['cold']['realtime_factor']}" in change
