"""Manifest validation: every bad input gets one exact line, exit 2, nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from audiopipe.cli import main
from audiopipe.config.voices import load_profiles
from audiopipe.errors import ManifestError
from audiopipe.script.manifest import BUILTIN_STINGER, load_manifest
from tests.conftest import REPO, TWO_STORIES, write

PROFILES = load_profiles(REPO / "voices")

GOOD_STORY = """
stories:
  - en: "Hello."
    zh: "你好。"
"""


def load(path: Path):  # type: ignore[no-untyped-def]
    return load_manifest(path, PROFILES)


def test_good_manifest_loads_into_frozen_dataclasses(two_stories: Path) -> None:
    m = load(two_stories)
    assert m.slug == "two-stories"
    assert m.title == "Two stories"
    assert m.date == dt.date(2026, 11, 20)
    assert m.episode == 7
    assert m.order == ("en", "zh")
    assert dict(m.voices) == {"en": "en-host", "zh": "zh-host"}
    assert m.intro == BUILTIN_STINGER and m.outro == BUILTIN_STINGER
    assert [s.title for s in m.stories] == ["Markets", "Shipping"]
    assert m.stories[0].texts["zh"].startswith("周一")
    with pytest.raises(AttributeError):
        m.title = "changed"       # frozen: refused


CASES = [
    ("invalid-yaml",
     'title: "x\ndate: 2026-11-20\n',
     "{p}:3: invalid YAML: found unexpected end of stream; fix the syntax there"),
    ("missing-title",
     "date: 2026-11-20\n" + GOOD_STORY,
     "{p}:1: title: missing; add `title: ...`"),
    ("bad-date",
     'title: "x"\ndate: 2026-13-45\n' + GOOD_STORY,
     "{p}:2: date: '2026-13-45' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-20"),
    ("missing-date",
     'title: "x"\n' + GOOD_STORY,
     "{p}:1: date: missing; add `date: YYYY-MM-DD`"),
    ("unknown-key",
     'title: "x"\ndate: 2026-11-20\ndescripton: "typo"\n' + GOOD_STORY,
     "{p}:3: unknown key 'descripton' (did you mean 'description'?); allowed keys: title, date, "
     "episode, description, order, voices, intro, outro, stories, script"),
    ("unknown-story-key",
     'title: "x"\ndate: 2026-11-20\nstories:\n  - en: "Hi."\n    zhh: "你好。"\n',
     "{p}:5: stories[1].unknown key 'zhh' (did you mean 'zh'?); allowed keys: title, figures, en, zh"),
    ("mistyped-title",
     'title: [1, 2]\ndate: 2026-11-20\n' + GOOD_STORY,
     "{p}:1: title: must be text, got list; quote it"),
    ("empty-text",
     'title: "x"\ndate: 2026-11-20\nstories:\n  - en: ""\n    zh: "你好。"\n',
     "{p}:4: stories[1].en: is empty; write the text or remove the key"),
    ("one-language",
     'title: "x"\ndate: 2026-11-20\nstories:\n  - en: "Hello."\n',
     "{p}:4: stories[1]: has only English; add `zh:` with the Chinese text"),
    ("swapped",
     'title: "x"\ndate: 2026-11-20\nstories:\n  - en: "你好，世界。"\n    zh: "Hello world."\n',
     "{p}:4: stories[1].en: this text looks Chinese, not English; are `en` and `zh` swapped?"),
    ("unknown-profile",
     'title: "x"\ndate: 2026-11-20\nvoices: {en: en-hots}\n' + GOOD_STORY,
     "{p}:3: voices.en: unknown voice profile 'en-hots' (did you mean 'en-host'?); known profiles: "
     "en-aria, en-host, zh-host, zh-xiaoxiao (files in voices/)"),
    ("wrong-language-profile",
     'title: "x"\ndate: 2026-11-20\nvoices: {en: zh-host}\n' + GOOD_STORY,
     "{p}:3: voices.en: profile 'zh-host' speaks Chinese, not English; pick a profile of that language"),
    ("missing-stinger",
     'title: "x"\ndate: 2026-11-20\nintro: stingers/nope.wav\n' + GOOD_STORY,
     "{p}:3: intro: stinger file 'stingers/nope.wav' not found (looked at {d}/stingers/nope.wav); "
     "fix the path (relative to the manifest) or write `false`"),
    ("not-audio-stinger",
     'title: "x"\ndate: 2026-11-20\noutro: notes.txt\n' + GOOD_STORY,
     "{p}:3: outro: stinger file 'notes.txt' is not audio ffmpeg can read; use a WAV, MP3, FLAC or OGG file"),
    ("no-stories",
     'title: "x"\ndate: 2026-11-20\n',
     "{p}:1: stories: missing; add `stories:` (each with `en:` and `zh:`) or a free bilingual `script:`"),
    ("both",
     'title: "x"\ndate: 2026-11-20\nscript: "Hello."\n' + GOOD_STORY,
     "{p}:3: script: give either `stories:` or `script:`, not both"),
    ("bad-order",
     'title: "x"\ndate: 2026-11-20\norder: [en, en]\n' + GOOD_STORY,
     "{p}:3: order: must list each language once, e.g. [en, zh] (or [en] for a one-language special), got ['en', 'en']"),
    ("bad-episode",
     'title: "x"\ndate: 2026-11-20\nepisode: -3\n' + GOOD_STORY,
     "{p}:3: episode: must be a positive whole number, got -3"),
    ("duplicate-key",
     'title: "x"\ntitle: "y"\ndate: 2026-11-20\n' + GOOD_STORY,
     "{p}:2: invalid YAML: duplicate key 'title' (first on line 1); fix the syntax there"),
    ("not-a-mapping",
     '- just\n- a list\n',
     "{p}:1: must be a YAML mapping of keys to values (key: value)"),
]


@pytest.mark.e2e
@pytest.mark.parametrize("name,text,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_manifest_one_exact_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     name: str, text: str, expected: str) -> None:
    manifest = tmp_path / "episodes" / f"{name}.yaml"
    write(manifest, text)
    (tmp_path / "episodes" / "notes.txt").write_text("not audio at all\n")
    out = tmp_path / "out"
    code = main(["build", str(manifest), "--out", str(out), "--voices", str(REPO / "voices")])
    err = capsys.readouterr().err
    assert code == 2
    assert err == "error: " + expected.format(p=manifest, d=manifest.parent) + "\n"
    assert "Traceback" not in err
    assert not (out / name).exists(), "bad input must leave no output"


@pytest.mark.e2e
def test_missing_manifest_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.yaml'}: file not found; check the path\n"


def test_stinger_false_means_none_and_a_real_file_is_accepted(tmp_path: Path) -> None:
    import numpy as np

    from audiopipe.dsp.signal import to_pcm
    from tests.conftest import write_wav
    write_wav(tmp_path / "episodes" / "sting.wav",
              to_pcm((0.3 * np.sin(np.arange(44100) / 7)).astype(np.float32)))
    path = write(tmp_path / "episodes" / "s.yaml",
                 'title: "x"\ndate: 2026-11-20\nintro: sting.wav\noutro: false\n' + GOOD_STORY)
    m = load(path)
    assert m.intro == tmp_path / "episodes" / "sting.wav"
    assert m.outro is None


def test_date_as_quoted_string_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "d.yaml", 'title: "x"\ndate: "2026-11-20"\n' + GOOD_STORY)
    assert load(path).date == dt.date(2026, 11, 20)


def test_manifest_error_is_an_input_error_with_line(tmp_path: Path) -> None:
    path = write(tmp_path / "e.yaml", TWO_STORIES.replace("episode: 7", "episode: seven"))
    with pytest.raises(ManifestError) as info:
        load(path)
    assert info.value.line == 3
