"""The edge engine: the real edge-tts client against a local stand-in of the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import edge_tts.communicate
import edge_tts.voices
import pytest

from audiopipe.cli import main
from audiopipe.engines import VoiceSettings
from audiopipe.engines.edge import EdgeEngine, clean_text
from tests.conftest import build_with_english_profile, id3, make_engine, read_json, write
from tests.edge_standin import StandIn

ARIA = VoiceSettings("edge", "en-US-AriaNeural", "en")
XIAO = VoiceSettings("edge", "zh-CN-XiaoxiaoNeural", "zh")


@pytest.fixture(autouse=True)
def _without_editions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """These builds are about the engine: the show makes no language editions (tests/test_editions.py)."""
    monkeypatch.setenv("AUDIOPIPE_SHOW", str(write(tmp_path / "plain-show.yaml", "editions: false\n")))


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    server = StandIn().start()
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", server.wss_url)
    monkeypatch.setattr(edge_tts.voices, "VOICE_LIST", server.voices_url)
    monkeypatch.setattr(EdgeEngine, "backoff_s", 0.01)
    monkeypatch.setattr(EdgeEngine, "receive_timeout_s", 1)
    yield server
    server.stop()


def edge_manifest(tmp_path: Path) -> Path:
    return write(tmp_path / "ep" / "edge-ep.yaml", """
        title: "Edge episode"
        date: 2026-11-20
        stories:
          - title: Markets
            en: "Markets opened higher on Monday."
            zh: "周一市场高开。"
          - en: "Shipping rates fell for a third week."
            zh: "航运价格连续第三周下跌。"
        """)


@pytest.mark.e2e
def test_build_with_edge_reaches_report_and_tags(standin: StandIn, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    manifest = edge_manifest(tmp_path)
    assert main(["build", str(manifest), "--engine", "edge", "--out", str(tmp_path / "o")]) == 0
    report = read_json(tmp_path / "o" / "edge-ep" / "report.json")
    segs = report["segments"]
    assert [(s["lang"], s["engine"], s["voice"]) for s in segs] == [
        ("en", "edge", "en-US-AriaNeural"), ("zh", "edge", "zh-CN-XiaoxiaoNeural")] * 2
    voices = sorted({r["voice"] for r in standin.requests})
    assert voices == ["Microsoft Server Speech Text to Speech Voice (en-US, AriaNeural)",
                      "Microsoft Server Speech Text to Speech Voice (zh-CN, XiaoxiaoNeural)"]
    assert sorted(r["text"] for r in standin.requests) == sorted(s["spoken_text"] for s in segs)
    # the word boundaries the stand-in sent (100 ns ticks) reach report.json, placed on the timeline
    first = segs[0]
    assert [w["text"] for w in first["words"]] == ["Markets", "opened", "higher", "on", "Monday."]
    assert abs(first["words"][0]["start_ms"] - first["start_ms"]) <= 100
    assert all(b["start_ms"] >= a["start_ms"] for a, b in zip(first["words"], first["words"][1:]))
    assert 1500 <= first["duration_ms"] <= 4000
    comment = [c for c in id3(tmp_path / "o" / "edge-ep" / "edge-ep.mp3").getall("COMM") if c.desc == "audiopipe"]
    assert comment and "engines: edge" in comment[0].text[0]
    capsys.readouterr()


@pytest.mark.e2e
@pytest.mark.parametrize("fault", ["refuse", "drop", "http403", "http429", "http503", "noaudio", "stall", "cut",
                                   "cut-nowords"])
def test_each_fault_is_retried(standin: StandIn, fault: str) -> None:
    engine = make_engine("edge")
    reference = engine.synthesize("Shipping rates fell for a third week.", ARIA)
    before = standin.connections
    standin.fail(fault)
    take = engine.synthesize("Shipping rates fell for a third week.", ARIA)
    assert standin.connections - before >= 2, "the fault was met and the segment tried again"
    assert take.rate == 44100 and abs(take.duration_ms - reference.duration_ms) <= 60
    assert [w.text for w in take.words] == [w.text for w in reference.words]


@pytest.mark.e2e
def test_failure_names_the_segment_keeps_finished_takes_and_resumes(
        standin: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = edge_manifest(tmp_path)
    standin.poison["航运价格"] = "noaudio"
    args = ["build", str(manifest), "--engine", "edge", "--out", str(tmp_path / "o"), "--retries", "2"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ('error: story 2 (zh) "航运价格连续第三周下跌。": edge: the service sent no audio '
                       "(gave up after 3 attempts)")
    assert not (tmp_path / "o" / "edge-ep").exists()
    standin.poison.clear()
    assert main(args) == 0
    assert "takes: 1 synthesized, 3 from cache" in capsys.readouterr().err


@pytest.mark.e2e
def test_auto_falls_back_offline_loudly_and_edge_does_not(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = edge_manifest(tmp_path)            # no stand-in: the service does not answer
    assert main(["build", str(manifest), "--engine", "auto", "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "WARNING: the edge-tts service does not answer; --engine auto falls back to the OFFLINE engine" in err
    report = read_json(tmp_path / "a" / "edge-ep" / "report.json")
    assert {s["engine"] for s in report["segments"]} == {"espeak"}
    comment = [c for c in id3(tmp_path / "a" / "edge-ep" / "edge-ep.mp3").getall("COMM") if c.desc == "audiopipe"]
    assert "engines: espeak" in comment[0].text[0]

    monkeypatch.setattr(EdgeEngine, "backoff_s", 0.01)
    assert main(["build", str(manifest), "--engine", "edge", "--retries", "1", "--out", str(tmp_path / "e")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert "note: edge voice list unavailable" in "\n".join(lines)     # offline: voices not checked, said so
    assert lines[-1].startswith("error: story ") and "edge: cannot connect to the service" in lines[-1]
    assert lines[-1].endswith("(gave up after 2 attempts)")
    assert not (tmp_path / "e" / "edge-ep").exists()


@pytest.mark.e2e
def test_profile_naming_an_edge_voice_defaults_to_auto(standin: StandIn, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    voices = tmp_path / "voices"
    write(voices / "en-aria.yaml", "language: en\nvoices: {edge: en-US-AriaNeural, espeak: en-us}\n")
    write(voices / "zh-xiao.yaml", "language: zh\nvoices: {edge: zh-CN-XiaoxiaoNeural, espeak: cmn}\n")
    manifest = write(tmp_path / "p.yaml", 'title: "P"\ndate: 2026-11-20\nvoices: {en: en-aria, zh: zh-xiao}\n'
                     'stories:\n  - en: "Hello there."\n    zh: "你好。"\n')
    assert main(["build", str(manifest), "--voices", str(voices), "--out", str(tmp_path / "o")]) == 0
    report = read_json(tmp_path / "o" / "p" / "report.json")
    assert {s["engine"] for s in report["segments"]} == {"edge"}
    capsys.readouterr()


@pytest.mark.e2e
def test_unknown_voice_is_reported_with_the_closest_before_synthesis(
        standin: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile, code = build_with_english_profile(
        tmp_path, "language: en\nengine: edge\nvoices: {edge: en-US-AriaNeurl}\n")
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {profile}: edge: unknown voice 'en-US-AriaNeurl'; closest: en-US-AriaNeural, en-US-GuyNeural, "
        "en-US-JennyNeural (`audiopipe voices --engine edge` lists them)\n")
    assert standin.requests == [], "nothing was synthesized"


@pytest.mark.e2e
def test_connections_are_bounded(standin: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    standin.latency_s = 0.2
    stories = "".join(f'  - en: "Story number {i} is here."\n    zh: "第{i}条新闻。"\n' for i in range(5))
    manifest = write(tmp_path / "c.yaml", f'title: "C"\ndate: 2026-11-20\nstories:\n{stories}')
    assert main(["build", str(manifest), "--engine", "edge", "--connections", "3", "--out", str(tmp_path / "o")]) == 0
    assert standin.max_open == 3
    standin.max_open = 0
    assert main(["build", str(manifest), "--engine", "edge", "--connections", "1", "--remaster",
                 "--out", str(tmp_path / "o")]) == 0
    assert standin.max_open == 0, "all cached: no connection at all"
    capsys.readouterr()


@pytest.mark.e2e
def test_text_is_made_safe_and_long_segments_chunked(standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    assert clean_text("Markets\x0b rose!!!! Really???? 真的吗？？？？") == "Markets rose! Really? 真的吗？"
    engine = make_engine("edge")
    monkeypatch.setattr(EdgeEngine, "receive_timeout_s", 20)    # long chunks take a while to render
    from audiopipe.synth.run import synthesize_take
    text = "周一市场高开，人民币汇率基本持平。" * 120           # ~6 KB of UTF-8
    pcm, words, _timings = synthesize_take(engine, text, XIAO)
    assert len(standin.requests) >= 2
    assert all(len(r["text"].encode()) <= 4096 for r in standin.requests)
    assert "".join(r["text"] for r in standin.requests) == text
    assert words[-1].start_ms > words[0].start_ms and len(pcm) > 0


def _duration_s(out: Path, slug: str = "edge-ep") -> float:
    return float(read_json(out / slug / "report.json")["episode"]["duration_ms"]) / 1000


@pytest.mark.e2e
@pytest.mark.parametrize("fault", ["cut", "cut-nowords", "drop"])
def test_a_stream_cut_part_way_is_made_again_and_the_episode_is_whole(
        standin: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str], fault: str) -> None:
    manifest = edge_manifest(tmp_path)
    assert main(["build", str(manifest), "--engine", "edge", "--out", str(tmp_path / "clean"), "--no-qa",
                 "--cache", str(tmp_path / "c1")]) == 0
    clean = _duration_s(tmp_path / "clean")
    standin.poison.clear()
    standin.fail(fault, times=2)                       # the first two streams are cut part-way
    before = standin.connections
    assert main(["build", str(manifest), "--engine", "edge", "--out", str(tmp_path / "cut"), "--no-qa",
                 "--cache", str(tmp_path / "c2")]) == 0
    assert standin.connections - before == 4 + 2, "each cut stream was asked for again"
    assert abs(_duration_s(tmp_path / "cut") - clean) <= 0.01 * clean
    capsys.readouterr()


@pytest.mark.e2e
def test_a_segment_that_always_fails_stops_the_build_or_takes_the_fallback(
        standin: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = edge_manifest(tmp_path)
    monkeypatch.delenv("AUDIOPIPE_SHOW")             # this show, with a feed
    write(tmp_path / "ep" / "show.yaml", """
        title: "Show"
        description: "A show."
        owner_email: "owner@example.com"
        base_url: "https://example.com/podcast/"
        editions: false
        """)
    standin.poison["航运价格"] = "noaudio"          # this text fails every time
    out = tmp_path / "o"
    assert main(["build", str(manifest), "--engine", "edge", "--retries", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ('error: story 2 (zh) "航运价格连续第三周下跌。": edge: the service sent no audio (gave up after '
                       '2 attempts)')
    assert not (out / "edge-ep" / "edge-ep.mp3").exists()

    assert main(["build", str(manifest), "--engine", "edge", "--retries", "1", "--fallback", "espeak",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "made by the fallback engine (espeak) instead" in captured.err
    assert "note: edge-ep: this build is not published: made (in part) by the fallback engine espeak" in captured.err
    report = read_json(out / "edge-ep" / "report.json")
    assert [(s["engine"], s["fallback"]) for s in report["segments"]] == [
        ("edge", False), ("edge", False), ("edge", False), ("espeak", True)]
    assert report["build"]["options"]["fallback"] == "espeak"
    comment = [c for c in id3(out / "edge-ep" / "edge-ep.mp3").getall("COMM") if c.desc == "audiopipe"]
    assert "engines: edge, espeak" in comment[0].text[0]
    page = (out / "edge-ep" / "qa.html").read_text(encoding="utf-8")
    assert page.count("made by the fallback engine") == 1
    assert "<item>" not in (out / "feed.xml").read_text(encoding="utf-8")

    assert main(["build", str(manifest), "--engine", "edge", "--retries", "1", "--fallback", "espeak",
                 "--publish-fallback", "--out", str(out)]) == 0
    capsys.readouterr()
    assert (out / "feed.xml").read_text(encoding="utf-8").count("<item>") == 1


@pytest.mark.e2e
def test_han_inside_english_is_spoken_by_the_other_hosts_voice(standin: StandIn, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    voices = tmp_path / "voices"
    write(voices / "zh-yunxi.yaml", "language: zh\nvoices: {edge: zh-CN-YunxiNeural}\n")
    manifest = write(tmp_path / "g.yaml", """
        title: "Gloss"
        date: 2026-11-20
        voices: {en: en-host, zh: zh-yunxi}
        stories:
          - en: "The bank named its alert system Lingkun (灵鲲) on Monday."
            zh: "周一，这家银行的预警系统名为灵鲲。"
        """)
    assert main(["build", str(manifest), "--engine", "edge", "--voices", str(voices), "--no-feed",
                 "--out", str(tmp_path / "o")]) == 0, capsys.readouterr().err
    english = [r for r in standin.requests if "Lingkun" in r["text"] or "灵鲲" == r["text"].strip()
               or "Monday" in r["text"]]
    assert [r["text"].strip() for r in english] == ["The bank named its alert system Lingkun (", "灵鲲",
                                                    ") on Monday."]
    assert "YunxiNeural" in english[1]["voice"] and "AriaNeural" in english[0]["voice"]  # the other host's voice
    seg = read_json(tmp_path / "o" / "g" / "report.json")["segments"][0]
    texts = [w["text"] for w in seg["words"]]
    assert "Lingkun" in " ".join(texts) and "Monday." in texts             # one take, words in order
    starts = [w["start_ms"] for w in seg["words"]]
    assert starts == sorted(starts)
    # the seams: no pause a listener hears (the stand-in's espeak takes end with ~0.1 s of silence)
    from audiopipe.dsp import signal
    from audiopipe.tools import ffmpeg
    audio = signal.to_float(ffmpeg.decode_file(tmp_path / "o" / "g" / seg["file"]))
    assert signal.longest_inner_silence_ms(audio) < 400
    capsys.readouterr()
