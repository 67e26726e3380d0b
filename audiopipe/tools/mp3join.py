"""One MP3 joined from pieces encoded on their own, gapless.

Each piece is a whole MP3 as ffmpeg's libmp3lame writes it: an ``Info`` frame (the Xing header with
LAME's extension: frame count, seek table, encoder delay and padding, CRCs) and then its audio frames.
The joined file keeps the first piece's ``Info`` frame, brought up to date for the whole, and every
piece's audio frames one after the other.  A piece's decoded frames hold :data:`START` samples before
its first input sample (LAME's delay and the decoder's), so a piece that starts ``n`` whole frames
into the file plays its first sample at ``n * FRAME_SAMPLES``; what lies between the end of one
piece's input and the start of the next is that piece's padding and the next one's delay, and must be
silence in the programme (:mod:`audiopipe.produce.pieces` only cuts where it is).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from audiopipe.errors import ToolError

FRAME_SAMPLES = 1152              # MPEG-1 Layer III
ENCODER_DELAY = 576               # LAME's, as its tag records it
START = ENCODER_DELAY + 529        # + the decoder's delay: decoded samples before a piece's first input sample
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44100, 48000, 32000)
_TOC = 100


def frames_for(samples: int) -> int:
    """How many audio frames libmp3lame makes of *samples* samples (delay and flush included), where
    ``(samples + START) % FRAME_SAMPLES`` is not near a whole frame (measured: from about 1100 on, it
    makes one more); :mod:`audiopipe.produce.pieces` cuts its pieces at half a frame."""
    return -(-(samples + START) // FRAME_SAMPLES)


def frame_size(data: bytes | bytearray, at: int) -> int:
    """The length in bytes of the MPEG-1 Layer III frame whose header is at *at*."""
    head = int.from_bytes(data[at:at + 4], "big")
    kbps_index, rate_index = (head >> 12) & 0xF, (head >> 10) & 0x3
    if head >> 21 != 0x7FF or (head >> 17) & 0xF != 0b1101 \
            or not 0 < kbps_index < len(_BITRATES) or rate_index >= len(_RATES):   # sync, MPEG-1, Layer III,
        raise ToolError(f"MP3 join: no MPEG-1 Layer III frame at byte {at}")      # a bitrate and a rate
    return 144 * _BITRATES[kbps_index] * 1000 // _RATES[rate_index] + ((head >> 9) & 1)


def _info_offset(data: bytes | bytearray) -> int:
    """Where the Xing/Info tag starts in the first frame (after the side information)."""
    mono = (data[3] >> 6) == 3
    return 4 + (17 if mono else 32)


@dataclass(frozen=True)
class Piece:
    """One encoded piece: its Info frame, the sizes of its audio frames (which follow the Info frame in
    its file) and their CRC-16 (from the tag).  The audio itself stays in the file: a joined hour is
    written piece by piece, never held whole."""

    info: bytes
    sizes: tuple[int, ...]
    crc: int
    digest: str                   # the SHA-256 of its file

    @property
    def frames(self) -> int:
        return len(self.sizes)

    @property
    def audio_bytes(self) -> int:
        return sum(self.sizes)


def read_piece(data: bytes) -> Piece:
    """A piece as ffmpeg wrote it (``-write_xing 1``, no ID3 tag), checked whole: every frame its tag
    counts, none cut short."""
    first = frame_size(data, 0)
    at = _info_offset(data)
    if data[at:at + 4] not in (b"Info", b"Xing") or len(data) < first:
        raise ToolError("MP3 join: a piece has no Info frame (it must be written with -write_xing 1)")
    frames = struct.unpack_from(">I", data, at + 8)[0]
    crc = struct.unpack_from(">H", data, at + 120 + 32)[0]
    sizes = []
    pos = first
    while pos < len(data):
        sizes.append(frame_size(data, pos))
        pos += sizes[-1]
    if len(sizes) != frames or pos != len(data):
        raise ToolError(f"MP3 join: a piece holds {len(sizes)} frames{'' if pos == len(data) else ' and a cut one'}, "
                        f"its tag says {frames}")
    return Piece(bytes(data[:first]), tuple(sizes), crc, hashlib.sha256(data).hexdigest())


def audio_of(data: bytes) -> bytes:
    """A piece's audio frames (all of it after its Info frame)."""
    return data[frame_size(data, 0):]


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16 (ARC: polynomial 0x8005, reflected), the one in LAME's tag."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _apply(op: Sequence[int], vector: int) -> int:
    out = 0
    bit = 0
    while vector:
        if vector & 1:
            out ^= op[bit]
        vector >>= 1
        bit += 1
    return out


def _after_zeros(crc: int, count: int) -> int:
    """The CRC state *crc* carried through *count* zero bytes (squared operators: no pass over the bytes)."""
    step = [crc16(b"\0", 1 << j) for j in range(16)]            # one zero byte, column by column
    while count:
        if count & 1:
            crc = _apply(step, crc)
        step = [_apply(step, column) for column in step]
        count >>= 1
    return crc


def crc16_join(crcs: Sequence[tuple[int, int]]) -> int:
    """The CRC-16 of byte strings joined, from each one's (CRC, length)."""
    total = 0
    for crc, length in crcs:
        total = _after_zeros(total, length) ^ crc
    return total


def header(pieces: Sequence[Piece], played: int) -> bytes:
    """The Info frame of *pieces* joined in order to play *played* samples: the first piece's, with the
    whole's frame count, size, seek table, padding and CRCs.  The joined file is this frame, then each
    piece's audio frames (:func:`audio_of`) in order."""
    if not pieces:
        raise ToolError("MP3 join: no pieces")
    info = bytearray(pieces[0].info)
    frames = sum(piece.frames for piece in pieces)
    padding = frames * FRAME_SAMPLES - ENCODER_DELAY - played
    if not 0 <= padding < 4096:
        raise ToolError(f"MP3 join: {frames} frames cannot play {played} samples (padding {padding})")
    total = len(info) + sum(piece.audio_bytes for piece in pieces)
    at = _info_offset(info)
    lame = at + 120
    struct.pack_into(">II", info, at + 8, frames, total)
    info[at + 16:at + 16 + _TOC] = _toc(pieces, frames, len(info), total)
    info[lame + 21:lame + 24] = (ENCODER_DELAY << 12 | padding).to_bytes(3, "big")
    music_crc = crc16_join([(piece.crc, piece.audio_bytes) for piece in pieces])
    struct.pack_into(">IHH", info, lame + 28, total, music_crc, 0)
    struct.pack_into(">H", info, lame + 34, crc16(bytes(info[:190])))
    return bytes(info)


def _toc(pieces: Sequence[Piece], frames: int, head: int, total: int) -> bytes:
    """The Xing seek table: for each percent of the frames, where that frame starts, in 256ths of the file."""
    marks = []
    wanted = iter(i * frames // _TOC for i in range(_TOC))
    target = next(wanted)
    pos = index = 0
    for size in (size for piece in pieces for size in piece.sizes):
        while index == target:
            marks.append(min(255, 256 * (head + pos) // total))
            target = next(wanted, -1)
        pos += size
        index += 1
    marks += [255] * (_TOC - len(marks))
    return bytes(marks)
