"""Same input, same bytes: a build does not depend on --jobs, on load, or on what the process spoke
before (libespeak-ng keeps state between utterances; every take is spoken from its untouched state)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audiopipe.engines import VoiceSettings
from tests.conftest import REPO, make_engine, unsigned


def digests(folder: Path) -> dict[str, str]:
    """Each MP3's digest, without its content credentials (signed with another key in another cache, and
    salted by c2pa each time: the signing is the one part meant to differ)."""
    return {str(p.relative_to(folder)): hashlib.sha256(repr(unsigned(p)).encode()).hexdigest()
            for p in sorted(folder.rglob("*.mp3"))}


def test_espeak_gives_the_same_take_whatever_it_spoke_before() -> None:
    espeak = make_engine("espeak")
    text, en = "Markets opened higher on Monday, with the yuan steady.", VoiceSettings("espeak", "en-us", "en")
    first = espeak.synthesize(text, en)
    espeak.synthesize("A longer sentence about the weather in the north, and the harbour.", en)
    espeak.synthesize("周一市场高开，人民币汇率基本持平。", VoiceSettings("espeak", "cmn", "zh"))
    again = espeak.synthesize(text, en)
    assert again.pcm == first.pcm and again.words == first.words


@pytest.mark.e2e
def test_a_build_is_byte_identical_across_jobs_under_load(tmp_path: Path) -> None:
    manifest = REPO / "tests" / "data" / "golden" / "two-stories" / "manifest.yaml"
    built = {}
    for jobs in ("1", "4"):
        out = tmp_path / f"jobs{jobs}"
        env = {**os.environ, "AUDIOPIPE_CACHE": str(tmp_path / f"cache{jobs}")}    # nothing shared
        # the parallel build beside a busy process (its takes finish in another order); the serial one alone
        hog = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 60\nwhile time.time() < end: pass"]) \
            if jobs == "4" else None
        try:
            proc = subprocess.run([sys.executable, "-m", "audiopipe", "build", str(manifest), "--engine", "espeak",
                                   "--out", str(out), "--no-feed", "--no-qa", "--voices", str(REPO / "voices"),
                                   "--jobs", jobs], capture_output=True, text=True, env=env, check=False)
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
        assert proc.returncode == 0, proc.stderr
        assert "4 synthesized, 0 cached" in proc.stdout
        built[jobs] = digests(out)
    assert len(built["1"]) >= 5, "the episode, its editions and the segment files"
    assert built["1"] == built["4"]
