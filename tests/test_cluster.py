"""Takes made on a real Dask cluster: `dask scheduler` and `dask worker` processes on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from audiopipe.batch import build_many
from audiopipe.cli import main
from audiopipe.options import BuildOptions, Choices, Run
from tests.clusters import cluster, free_port
from tests.conftest import REPO, decode_seconds, read_json, unsigned, write

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(importlib.util.find_spec("distributed") is None,   # found, not imported
                                                 reason="the cluster extra is not installed (pip install 'audiopipe[cluster]')")]

SMALL = """
    title: "Small"
    date: 2026-11-20
    intro: false
    outro: false
    stories:
      - en: "Good morning. Markets opened higher."
        zh: "早上好。市场高开。"
      - en: "The yuan held steady at 7.1 per dollar."
        zh: "人民币兑美元汇率稳定在7.1。"
"""


def _workers(folder: Path) -> list[str | None]:
    return [s["worker"] for s in read_json(folder / "report.json")["segments"]]


def test_a_cluster_build_is_the_local_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write(tmp_path / "small.yaml", SMALL)
    common = ["build", str(manifest), "--engine", "espeak", "--no-feed", "--no-qa", "--quiet"]
    with cluster(tmp_path / "cluster") as c:
        assert main([*common, "--out", str(tmp_path / "remote"), "--cache", str(tmp_path / "c1"),
                     "--scheduler", c.address]) == 0
        from distributed import Client

        from audiopipe.synth import cluster as remote
        with Client(c.address, set_as_default=False) as client:  # type: ignore[no-untyped-call]  # one set of engines per worker
            engines = client.run(lambda: [len(e._built) for e in remote._ENGINES.values()])
    assert main([*common, "--out", str(tmp_path / "local"), "--cache", str(tmp_path / "c2")]) == 0
    remote_mp3, local_mp3 = (tmp_path / d / "small" / "small.mp3" for d in ("remote", "local"))
    assert unsigned(remote_mp3) == unsigned(local_mp3)     # the same but for the credentials' salt and key
    assert decode_seconds(remote_mp3) > 4
    made_at = _workers(tmp_path / "remote" / "small")
    assert len(made_at) == 4 and set(made_at) <= set(c.workers) and len(set(made_at)) == 2
    assert _workers(tmp_path / "local" / "small") == ["local"] * 4
    assert sorted(engines.values()) == [[1], [1]]        # espeak, built once on each worker
    out = capsys.readouterr()
    assert f"cluster: {c.address}, 2 worker(s), 2 thread(s)" in out.err
    # the cache is the client's: a rebuild without the cluster makes nothing and records no worker
    assert main([*common, "--out", str(tmp_path / "remote"), "--cache", str(tmp_path / "c1"), "--remaster"]) == 0
    assert _workers(tmp_path / "remote" / "small") == [None] * 4


SEASON = {
    "monday": [("Copper rose on Monday.", "周一铜价上涨。"), ("The port was busy.", "港口很繁忙。"),
               ("A bakery opened early.", "一家面包店提早开门。"), ("Rain is due tonight.", "今晚有雨。")],
    "tuesday": [("Rice prices held on Tuesday.", "周二米价持平。"), ("A ferry was delayed.", "一艘渡轮延误了。"),
                ("The library stays open late.", "图书馆延长开放。"), ("Wind eases by noon.", "中午风势减弱。")],
}
"""Two short episodes of four stories each: sixteen takes, each its own (the takes are the subject)."""


def _season(folder: Path) -> tuple[list[Path], int]:
    """The two episodes of SEASON with the repository's show (without editions), and how many takes they
    need (each segment its own take)."""
    from audiopipe.script.manifest import load_manifest
    from audiopipe.script.segments import segments_of
    show = (REPO / "show.yaml").read_text(encoding="utf-8")
    (folder / "show.yaml").write_text(show + "\neditions: false\n", encoding="utf-8")
    paths = []
    for slug, stories in SEASON.items():
        lines = [f'title: "{slug.title()}"', "date: 2026-11-20", "intro: false", "outro: false", "stories:"]
        lines += [f'  - {{en: "{en}", zh: "{zh}"}}' for en, zh in stories]
        paths.append(write(folder / f"{slug}.yaml", "\n".join(lines) + "\n"))
    return paths, sum(len(segments_of(load_manifest(p, {}))) for p in paths)


def test_a_worker_killed_mid_batch_loses_nothing(tmp_path: Path) -> None:
    paths, takes_needed = _season(tmp_path)
    assert takes_needed > 12
    killed: list[str] = []
    with cluster(tmp_path / "cluster") as c:
        victim = sorted(c.workers)[0]

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "synthesizing" and done >= 4 and not killed:
                c.kill_worker(victim)            # SIGKILL: its running and queued takes go elsewhere
                killed.append(victim)

        outcomes = build_many(paths, BuildOptions(Choices(engine="espeak", qa=False),
                                                  Run(out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
                                                      scheduler=c.address, progress=progress)))
    assert killed and c.workers[victim].returncode == -9
    assert [(o.slug, o.error) for o in outcomes] == [(p.stem, None) for p in paths]
    made_at = [w for o in outcomes for w in _workers(tmp_path / "out" / o.slug)]
    survivor = next(w for w in c.workers if w != victim)
    assert len(made_at) == takes_needed and set(made_at) <= {victim, survivor}
    assert made_at.count(survivor) > made_at.count(victim)        # it took over the dead worker's share
    takes = list((tmp_path / "cache" / "takes").glob("*/*.wav"))
    assert len(takes) == len({s["take"] for o in outcomes
                              for s in read_json(tmp_path / "out" / o.slug / "report.json")["segments"]}) == takes_needed
    for o in outcomes:                                               # every episode built once, whole
        assert o.episode is not None and o.episode.cached == 0
        assert abs(decode_seconds(o.episode.mp3) - o.episode.duration_ms / 1000) < 0.1


def test_a_scheduler_that_dies_mid_batch_keeps_what_was_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths, takes_needed = _season(tmp_path)
    with cluster(tmp_path / "cluster") as c:
        def progress(stage: str, done: int, total: int) -> None:
            if stage == "synthesizing" and done == 3:
                c.kill_scheduler()

        from audiopipe.errors import AudiopipeError
        with pytest.raises(AudiopipeError, match=r"went away mid-batch \(connection lost; the \d+ take\(s\) made"):
            build_many(paths, BuildOptions(Choices(engine="espeak", qa=False),
                                           Run(out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
                                               scheduler=c.address, progress=progress)))
    kept = len(list((tmp_path / "cache" / "takes").glob("*/*.wav")))
    assert 3 <= kept < takes_needed
    assert not list((tmp_path / "out").glob("*/*.mp3"))
    # the rerun, here, makes only the rest
    assert main(["build", *map(str, paths), "--engine", "espeak", "--out", str(tmp_path / "out"),
                 "--cache", str(tmp_path / "cache"), "--no-qa", "--no-feed", "--quiet"]) == 0
    assert len(list((tmp_path / "cache" / "takes").glob("*/*.wav"))) == takes_needed
    made = sum(read_json(tmp_path / "out" / p.stem / "report.json")["build"]["synthesized"] for p in paths)
    assert made == takes_needed - kept
    capsys.readouterr()


def test_a_scheduler_that_is_down_is_one_line(two_stories: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    assert main(["build", str(two_stories), "--engine", "espeak", "--out", str(tmp_path / "o"),
                 "--scheduler", address, "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: Dask scheduler {address} cannot be reached (")
    assert "start it with `dask scheduler` (or `make cluster`)" in err[-1] and "Traceback" not in "".join(err)
    assert not list((tmp_path / "o").glob("*/*"))


def test_the_knock_at_the_scheduler_is_tcp_only() -> None:
    import socket

    from audiopipe.synth.cluster import _knock
    port = free_port()
    for address in (f"tcp://127.0.0.1:{port}", f"127.0.0.1:{port}"):
        with pytest.raises(ConnectionRefusedError):
            _knock(address)
    _knock(f"tls://127.0.0.1:{port}")                         # left to Dask's client
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        _knock(f"tcp://127.0.0.1:{listening.getsockname()[1]}")


def test_a_worker_of_another_version_is_refused(two_stories: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other-install"
    shutil.copytree(REPO / "audiopipe", other / "audiopipe", ignore=shutil.ignore_patterns("__pycache__"))
    init = other / "audiopipe" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "9.9.9+other-'))
    with cluster(tmp_path / "cluster", workers=1, worker_env={0: {"PYTHONPATH": str(other)}}) as c:
        assert main(["build", str(two_stories), "--engine", "espeak", "--out", str(tmp_path / "o"),
                     "--scheduler", c.address, "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    worker = next(iter(c.workers))
    assert err.startswith(f"error: Dask worker {worker} runs audiopipe 9.9.9+other-")
    assert "install the same audiopipe" in err
    assert not list((tmp_path / "o").glob("*/*.mp3"))


def test_an_engine_failing_on_a_worker_names_the_segment(two_stories: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("onnxruntime", reason="the kokoro extra is not installed")
    with cluster(tmp_path / "cluster", workers=1,
                 worker_env={0: {"AUDIOPIPE_KOKORO_MODEL": str(tmp_path / "no-model.onnx")}}) as c:
        assert main(["build", str(two_stories), "--engine", "kokoro", "--out", str(tmp_path / "o"),
                     "--scheduler", c.address, "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith('error: story 1 (en) "Markets opened higher on Monday, with...": kokoro: no model at ')
    assert "AUDIOPIPE_KOKORO_MODEL" in err


def test_without_the_cluster_extra_it_says_how_to_install(two_stories: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)      # import distributed -> ImportError
    assert main(["build", str(two_stories), "--engine", "espeak", "--out", str(tmp_path / "o"),
                 "--scheduler", "tcp://127.0.0.1:8786", "--quiet"]) == 2
    assert "pip install 'audiopipe[cluster]'" in capsys.readouterr().err
