"""The one place where ffmpeg is found and run.

ffmpeg comes from the ``imageio-ffmpeg`` wheel, so no system package is
needed.  That build has no ffprobe: everything here decodes through ffmpeg.
"""

from __future__ import annotations

import functools
import os
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from audiopipe.errors import ToolError
from audiopipe.tools.wav import WORK_RATE


@functools.lru_cache(maxsize=1)
def executable() -> str:
    override = os.environ.get("AUDIOPIPE_FFMPEG")
    if override:
        return override
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ToolError("ffmpeg: the imageio-ffmpeg package is missing; run `make install`") from exc
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:  # pragma: no cover - a broken install
        raise ToolError(f"ffmpeg: {exc}; reinstall with `make install`") from exc


def _last_lines(stderr: bytes, n: int = 2) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return " | ".join(lines[-n:]) if lines else "no message"


def _command(loglevel: str, args: Sequence[str]) -> list[str]:
    return [executable(), "-hide_banner", "-nostdin", "-loglevel", loglevel, *args]


class _Streaming:
    """A running ffmpeg with a pipe to or from it; stderr is drained on a thread so it never blocks."""

    def __init__(self, args: Sequence[str], loglevel: str, what: object,
                 stdin: int | None = None, stdout: int | None = None) -> None:
        try:
            self.proc = subprocess.Popen(_command(loglevel, args), stdin=stdin, stdout=stdout,
                                         stderr=subprocess.PIPE)
        except OSError as exc:
            raise ToolError(f"{what}: cannot run ffmpeg ({exc})") from exc
        assert self.proc.stderr is not None
        self._chunks: list[bytes] = []
        pipe = self.proc.stderr
        self._reader = threading.Thread(target=lambda: self._chunks.append(pipe.read()))
        self._reader.start()

    def feed(self, blocks: Iterable[bytes]) -> bytes:
        """Write *blocks* to ffmpeg's stdin and wait for it (killed if writing fails); its stderr."""
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            for block in blocks:
                stdin.write(block)
            stdin.close()
        except BrokenPipeError:
            pass
        except BaseException:
            self.finish(kill=True)
            raise
        return self.finish()

    def finish(self, kill: bool = False) -> bytes:
        """Wait for ffmpeg (killing it first if asked); its stderr."""
        if kill:
            self.proc.kill()
        self.proc.wait()
        self._reader.join()
        return b"".join(self._chunks)


def _run(loglevel: str, args: Sequence[str], input: bytes | None, what: str) -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run(_command(loglevel, args), input=input, capture_output=True, check=False)
    except OSError as exc:
        raise ToolError(f"{what}: cannot run ffmpeg ({exc})") from exc
    if proc.returncode != 0:
        raise ToolError(f"{what}: ffmpeg failed: {_last_lines(proc.stderr)}")
    return proc


def run(args: Sequence[str], *, input: bytes | None = None, what: str = "ffmpeg") -> bytes:
    """Run ffmpeg with *args*; return stdout; raise ToolError with its stderr."""
    return _run("error", args, input, what).stdout


def run_stderr(args: Sequence[str], *, input: bytes | None = None, what: str = "ffmpeg") -> str:
    """Run ffmpeg at info log level and return its stderr (for analysis filters)."""
    return _run("info", args, input, what).stderr.decode("utf-8", "replace")


def decode_file(path: Path, rate: int = WORK_RATE, max_seconds: float | None = None) -> bytes:
    """Decode any audio ffmpeg reads to mono 16-bit PCM at *rate*."""
    args = ["-i", str(path), "-vn", "-ac", "1", "-ar", str(rate)]
    if max_seconds is not None:
        args += ["-t", f"{max_seconds:.3f}"]
    return run([*args, "-f", "s16le", "-acodec", "pcm_s16le", "-"], what=str(path))


def stream_decode(path: Path, rate: int = WORK_RATE, block_bytes: int = 1 << 17, audio_filter: str | None = None,
                  report: Callable[[str], None] | None = None) -> Iterator[bytes]:
    """Decode *path* to mono 16-bit PCM in blocks (constant memory); ToolError on a decoding error.  With
    *audio_filter* (an analysis filter that passes audio through, such as ebur128) the audio goes through
    it on the way, and *report* gets ffmpeg's report at the end."""
    ff = _Streaming(["-xerror", "-nostats", "-i", str(path), "-vn", *(["-af", audio_filter] if audio_filter else []),
                     "-ac", "1", "-ar", str(rate), "-f", "s16le", "-acodec", "pcm_s16le", "-"],
                    "info" if report else "error", path, stdout=subprocess.PIPE)
    stdout = ff.proc.stdout
    assert stdout is not None
    try:
        while True:
            block = stdout.read(block_bytes)
            if not block:
                break
            yield block
    finally:
        stdout.close()
        errors = ff.finish()
    if ff.proc.returncode != 0:
        raise ToolError(f"{path}: ffmpeg failed: {_last_lines(errors)}")
    if report:
        report(errors.decode("utf-8", "replace"))


def decode_bytes(data: bytes, fmt: str | None = None, rate: int = WORK_RATE, what: str = "audio") -> bytes:
    """Decode encoded audio bytes (e.g. an engine's MP3) to mono PCM at *rate*."""
    args = (["-f", fmt] if fmt else []) + ["-i", "pipe:0", "-vn", "-ac", "1", "-ar", str(rate)]
    return run([*args, "-f", "s16le", "-acodec", "pcm_s16le", "-"], input=data, what=what)


def resample_pcm(pcm: bytes, src_rate: int, dst_rate: int = WORK_RATE) -> bytes:
    """Resample mono 16-bit PCM (soxr, high quality)."""
    if src_rate == dst_rate:
        return pcm
    return run(
        ["-f", "s16le", "-ar", str(src_rate), "-ac", "1", "-i", "pipe:0",
         "-af", "aresample=resampler=soxr", "-ar", str(dst_rate), "-f", "s16le", "-"],
        input=pcm, what="resample",
    )


def mp3_encoder_args(bitrate_kbps: int) -> list[str]:
    return ["-ac", "1", "-ar", str(WORK_RATE), "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k",
            "-write_xing", "1", "-id3v2_version", "0", "-f", "mp3"]


def encode_mp3_stream(blocks: Iterable[bytes], out: Path, bitrate_kbps: int, rate: int = WORK_RATE,
                      measure_filter: str | None = None) -> str:
    """Encode mono 16-bit PCM blocks at *rate* into an MP3 file, streaming them into one ffmpeg.

    With *measure_filter* (an analysis filter such as ebur128 that passes audio through), the
    audio is measured on its way into the encoder; ffmpeg's report (stderr) is returned.
    """
    ff = _Streaming(["-nostats", "-y", "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                     *(["-af", measure_filter] if measure_filter else []), *mp3_encoder_args(bitrate_kbps),
                     str(out)], "info" if measure_filter else "error", out, stdin=subprocess.PIPE)
    stderr = ff.feed(blocks)
    if ff.proc.returncode != 0:
        raise ToolError(f"{out}: MP3 encoding failed: {_last_lines(stderr)}")
    return stderr.decode("utf-8", "replace")


def encode_mp3_pieces(pieces: Sequence[tuple[Path, Path]], bitrate_kbps: int, rate: int = WORK_RATE) -> None:
    """Encode each (mono 16-bit PCM file, MP3) pair by its own encoder, all in one ffmpeg (an encoder
    thread each, so both cores work); each MP3's bytes are those of its encode alone."""
    inputs: list[str] = []
    outputs: list[str] = []
    for i, (pcm, mp3) in enumerate(pieces):
        inputs += ["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", str(pcm)]
        outputs += ["-map", f"{i}:a", *mp3_encoder_args(bitrate_kbps), str(mp3)]
    _run("error", ["-y", *inputs, *outputs], None, f"{pieces[0][1].parent}: MP3 encoding")


def measure_each(paths: Sequence[Path], audio_filter: str) -> str:
    """Every file in *paths* through its own *audio_filter* (with ``{i}`` for its place, to name the
    instance), in one ffmpeg; its report."""
    inputs: list[str] = []
    graphs, outputs = [], []
    for i, path in enumerate(paths):
        inputs += ["-i", str(path)]
        graphs.append(f"[{i}:a]{audio_filter.format(i=i)}[out{i}]")
        outputs += ["-map", f"[out{i}]", "-f", "null", "-"]
    return _run("info", ["-nostats", *inputs, "-filter_complex", ";".join(graphs), *outputs], None,
                f"{paths[0].parent}: measuring").stderr.decode("utf-8", "replace")


def probe_audio(path: Path) -> None:
    """Raise ToolError unless ffmpeg decodes at least some audio from *path*."""
    pcm = decode_file(path, max_seconds=1.0)
    if not pcm:
        raise ToolError(f"{path}: ffmpeg found no audio in it")
