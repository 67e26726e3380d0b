"""qa.html: one self-contained page to review an episode segment by segment.

Works from file:// with no server and no CDN: styles and script are inline,
the waveform and the loudness-over-time curve are drawn here as inline SVG,
and the players point at the episode's own MP3 files beside the page.
Everything taken from manifests is escaped.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiopipe.publish.feed import read_served, serves
from audiopipe.publish.record import PUBLISHED, EpisodeRecord
from audiopipe.qa.asr import Heard
from audiopipe.qa.findings import Finding
from audiopipe.qa.naturalness import summary as naturalness_summary
from audiopipe.tools.fsutil import write_text

WIDTH, WAVE_H, LOUD_H = 1000, 90, 70
LOUD_FLOOR, LOUD_TOP = -40.0, -6.0


def _wave_path(top: list[float], low: list[float]) -> str:
    mid = WAVE_H / 2
    step = WIDTH / max(1, len(top))
    pts = [f"{i * step:.1f},{mid - v * mid:.1f}" for i, v in enumerate(top)]
    pts += [f"{i * step:.1f},{mid - v * mid:.1f}" for i, v in reversed(list(enumerate(low)))]
    return "M" + " L".join(pts) + " Z"


def _loud_points(curve: list[tuple[float, float]], total_s: float) -> str:
    def y(lufs: float) -> float:
        lufs = min(max(lufs, LOUD_FLOOR), LOUD_TOP)
        return LOUD_H - (lufs - LOUD_FLOOR) / (LOUD_TOP - LOUD_FLOOR) * LOUD_H
    return " ".join(f"{t / total_s * WIDTH:.1f},{y(lufs):.1f}" for t, lufs in curve)


def _editions(record: EpisodeRecord) -> str:
    """Links to the language editions, each with its length and loudness."""
    links = [f'<a class="edition" href="{html.escape(e.file)}" hreflang="{e.lang}">{html.escape(e.title)}</a> '
             f'({_mmss(e.duration_ms)}, {e.loudness_lufs:.1f} LUFS)' for e in record.editions]
    return f'\n<div class="meta editions">Editions: {" · ".join(links)}</div>' if links else ""


def _mmss(ms: float) -> str:
    s = ms / 1000
    return f"{int(s // 60)}:{s % 60:04.1f}"


CSS = """
:root { --ink:#1d2733; --muted:#5d6b7a; --line:#dfe5ec; --bg:#f6f8fb; --accent:#1f6feb; --bad:#c62828; --ok:#2e7d32; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
       "PingFang SC", "Microsoft YaHei", sans-serif; color:var(--ink); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); padding:20px 28px; position:sticky; top:0; z-index:2; }
h1 { margin:0 0 4px; font-size:20px; }
.meta { color:var(--muted); font-size:13px; }
.summary { margin-top:8px; font-size:13px; }
.summary .fail { color:var(--bad); font-weight:600; } .summary .pass { color:var(--ok); }
main { padding:20px 28px 60px; }
.player audio { width:100%; margin-top:10px; }
.viz { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px; margin:16px 0; }
.viz svg { width:100%; height:auto; display:block; cursor:pointer; }
.viz .label { font-size:11px; fill:var(--muted); }
table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); border-radius:8px; overflow:hidden; }
th, td { padding:8px 10px; border-bottom:1px solid var(--line); vertical-align:top; text-align:left; font-size:13px; }
th { background:#eef2f7; font-weight:600; color:var(--muted); }
td.text { max-width:420px; font-size:14px; }
td.text .zh { font-size:15px; }
tr.flagged { background:#fff4f4; }
.lang { display:inline-block; padding:1px 7px; border-radius:10px; font-size:12px; font-weight:600; }
.lang.en { background:#e3efff; color:#1f4f9b; } .lang.zh { background:#fde9d9; color:#9a4a0b; }
button.seek { border:1px solid var(--line); background:#fff; border-radius:6px; padding:2px 8px; cursor:pointer;
              font: inherit; color:var(--accent); }
td audio { width:220px; height:32px; }
h2 { font-size:16px; margin:28px 0 8px; } table.figures td:last-child { white-space:nowrap; }
tr.fig-contradiction td { background:#fdecea; } tr.fig-doubt td { background:#fff6db; }
tr.fig-one-language td { color:var(--muted); } .figure-context { display:block; color:var(--muted); font-size:12px; }
.accepted { font-size:11px; color:#9a6700; display:block; }
.flag { color:var(--bad); font-size:12px; display:block; } .flag.warn { color:#9a6700; }
.cached { color:var(--muted); font-size:12px; }
.findings li.fail { color:var(--bad); } .findings li.skip { color:var(--muted); }
"""

SCRIPT = """
const main = document.getElementById('episode');
function seek(seconds) { main.currentTime = seconds; main.play().catch(() => {}); }
document.querySelectorAll('button.seek').forEach(b =>
  b.addEventListener('click', () => seek(parseFloat(b.dataset.start))));
document.querySelectorAll('.viz svg').forEach(svg => svg.addEventListener('click', e => {
  const r = svg.getBoundingClientRect();
  seek((e.clientX - r.left) / r.width * parseFloat(svg.dataset.duration));
}));
const cursor = document.querySelectorAll('.cursor');
main.addEventListener('timeupdate', () => {
  const x = main.currentTime / main.duration * %(width)d;
  cursor.forEach(c => { c.setAttribute('x1', x); c.setAttribute('x2', x); });
});
"""


def _markers(record: EpisodeRecord, total_ms: int) -> tuple[list[str], list[str]]:
    """Chapter markers and the language spans under the waveform."""
    esc = html.escape
    markers = []
    for ch in record.chapters:
        px = ch.start_ms / total_ms * WIDTH
        markers.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="0" y2="{WAVE_H}" stroke="#e0a000" stroke-width="1.5"/>'
                       f'<text class="label" x="{px + 3:.1f}" y="11">{esc(ch.title)}</text>')
    spans = []
    for seg in record.segments:
        x0, x1 = seg.start_ms / total_ms * WIDTH, seg.end_ms / total_ms * WIDTH
        color = "#e3efff" if seg.lang == "en" else "#fde9d9"
        spans.append(f'<rect x="{x0:.1f}" y="0" width="{max(0.5, x1 - x0):.1f}" height="{WAVE_H}" fill="{color}"/>')
    return markers, spans


def _rows(record: EpisodeRecord, findings: list[Finding], asr: dict[int, Heard] | None) -> list[str]:
    """One table row per segment: its text, flags, player, loudness and what the recognizer heard."""
    esc = html.escape
    by_segment: dict[int, list[Finding]] = {}
    for f in findings:
        if f.segment is not None and f.status == "fail":
            by_segment.setdefault(f.segment, []).append(f)
    rows = []
    for seg in record.segments:
        flags = by_segment.get(seg.index, [])
        r = (asr or {}).get(seg.index)
        asr_html = ""
        if r is not None and r.transcript is not None:
            rate = f"WER {r.wer:.0%}" if seg.lang == "en" else f"CER {r.cer:.0%}, pinyin {r.syllable_er:.0%}"
            asr_html = f'<div class="cached">heard: {esc(r.transcript)} ({rate})</div>'
        if seg.fallback:
            asr_html += (f'<span class="flag warn">⚠ made by the fallback engine ({esc(seg.engine)}); '
                         "listen to it — the episode stays out of the feed unless built with --publish-fallback"
                         "</span>")
        loud = seg.loudness_lufs
        rows.append(
            f'<tr class="seg{" flagged" if flags else ""}{" fallback" if seg.fallback else ""}" '
            f'data-index="{seg.index}" '
            f'data-duration="{seg.duration_ms / 1000:.3f}">'
            f'<td>{seg.index}</td><td><span class="lang {esc(seg.lang)}">{esc(seg.lang)}</span></td>'
            f'<td>{esc(seg.speaker or seg.voice_profile)}<br><span class="cached">{esc(seg.voice)} · '
            f'{esc(seg.engine)} · {esc(seg.voice_profile)}</span></td>'
            f'<td class="text"><span class="{esc(seg.lang)}" lang="{esc(seg.lang)}">{esc(seg.text)}</span>'
            f'{asr_html}{"".join(f"<span class=flag>⚑ {esc(f.message)}</span>" for f in flags)}</td>'
            f'<td><button class="seek" data-start="{seg.start_ms / 1000:.3f}">{_mmss(seg.start_ms)}</button></td>'
            f'<td><audio controls preload="metadata" src="{esc(seg.file or "")}"></audio></td>'
            f'<td class="mos" title="predicted listener score, 1 (bad) to 5 (excellent)">{_mos(seg.naturalness)}</td>'
            f'<td>{seg.duration_ms / 1000:.1f} s</td>'
            f'<td>{"–" if loud is None else f"{loud:.1f} LUFS"}</td>'
            f'<td class="cached">{"cache" if seg.cached else "new"}</td></tr>')
    return rows


def _natural(record: EpisodeRecord) -> str:
    about = naturalness_summary(record.segments)
    return "" if about is None else (f' · <span class="mos">natural {about["mean"]:.2f} (lowest {about["lowest"]:.2f},'
                                     f' segment {about["lowest_segment"]})</span>')


def _mos(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _figures(figures: list[dict[str, Any]]) -> str:
    """Per story, each figure in English and in Chinese: agreed, contradicting, in doubt, or in one language;
    a contradiction or doubt shows a few words around each figure."""
    esc = html.escape
    marks = {"match": ("✓", "agree"), "contradiction": ("✗", "contradiction"), "doubt": ("?", "in doubt"),
             "one-language": ("·", "one language")}

    def side(pair: dict[str, Any], lang: str) -> str:
        figure = esc(pair[lang] or "–")
        where = pair.get(f"{lang}_context") if pair["status"] in ("contradiction", "doubt") else None
        return figure + (f'<span class="figure-context">{esc(where)}</span>' if where else "")

    rows = []
    for story in figures:
        accepted = ' <span class="accepted">figures: accept</span>' if story["accepted"] else ""
        for i, pair in enumerate(story["pairs"]):
            mark, word = marks[pair["status"]]
            note = f" ({esc(pair['why'])})" if pair["why"] else ""
            note += " — accepted in the manifest" if pair.get("accepted") and not story["accepted"] else ""
            first = f'{story["story"]}{accepted}' if i == 0 else ""
            rows.append(f'<tr class="fig-{pair["status"]}"><td>{first}</td>'
                        f'<td>{esc(pair["kind"])}</td><td>{side(pair, "en")}</td><td>{side(pair, "zh")}</td>'
                        f'<td>{mark} {word}{note}</td></tr>')
    if not rows:
        return ""
    return ('<h2>Figures</h2><table class="figures"><thead><tr><th>story</th><th>kind</th><th>English</th>'
            f'<th>Chinese</th><th>check</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


@dataclass(frozen=True)
class Observed:
    """What the QA pass found and measured of an episode, as its page shows it: the findings, what the
    recognizer heard, the waveform (per-bin peaks), the short-term loudness and the figures' table."""

    findings: list[Finding]
    asr: dict[int, Heard] | None = None
    waveform: tuple[list[float], list[float]] | None = None
    short_term: list[tuple[float, float]] | None = None
    figures: list[dict[str, Any]] | None = None


def render(folder: Path, record: EpisodeRecord, seen: Observed) -> str:
    """The page."""
    findings, asr, waveform, short_term, figures = seen.findings, seen.asr, seen.waveform, seen.short_term, seen.figures
    ep = record.episode
    esc = html.escape
    total_ms = max(1, ep.duration_ms)
    wave = _wave_path(*(waveform or ([0.0] * WIDTH, [0.0] * WIDTH)))
    curve = _loud_points(short_term or [], total_ms / 1000)
    target_y = LOUD_H - (ep.target_lufs - LOUD_FLOOR) / (LOUD_TOP - LOUD_FLOOR) * LOUD_H
    markers, spans = _markers(record, total_ms)
    rows = _rows(record, findings, asr)
    failed = [f for f in findings if f.status == "fail"]
    passed = sum(f.status == "pass" for f in findings)
    skipped = [f for f in findings if f.status == "skip"]
    summary = (f'<span class="{"fail" if failed else "pass"}">{len(failed)} failed</span> · {passed} passed · '
               f'{len(skipped)} skipped')
    items = "".join(f'<li class="{f.status}">[{esc(f.check)}] {esc(f.message)}</li>' for f in findings
                    if f.status != "pass")
    title = esc(ep.title)
    data = esc(json.dumps({"slug": ep.slug, "segments": len(record.segments)}))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>QA · {title}</title><style>{CSS}</style></head>
<body data-report="{data}">
<header><h1>{title}</h1>
<div class="meta">{esc(ep.date)} · {_mmss(ep.duration_ms)} · {ep.loudness_lufs:.1f} LUFS ·
true peak {ep.true_peak_dbtp:.1f} dBTP · {len(record.segments)} segments{_natural(record)}</div>
<div class="summary">QA: {summary}</div>{_editions(record)}{_published(folder, record, bool(failed))}
<div class="player"><audio id="episode" controls preload="metadata" src="{esc(ep.file)}"></audio></div></header>
<main>
<div class="viz"><svg viewBox="0 0 {WIDTH} {WAVE_H}" data-duration="{total_ms / 1000:.3f}" role="img" aria-label="waveform">
{"".join(spans)}<path d="{wave}" fill="#3b4b5c"/>{"".join(markers)}
<line class="cursor" x1="0" x2="0" y1="0" y2="{WAVE_H}" stroke="#d00" stroke-width="1.5"/></svg>
<svg viewBox="0 0 {WIDTH} {LOUD_H}" data-duration="{total_ms / 1000:.3f}" role="img" aria-label="loudness over time">
<line x1="0" x2="{WIDTH}" y1="{target_y:.1f}" y2="{target_y:.1f}" stroke="#2e7d32" stroke-dasharray="4 4"/>
<text class="label" x="4" y="{target_y - 3:.1f}">target {ep.target_lufs:g} LUFS</text>
<polyline points="{curve}" fill="none" stroke="#1f6feb" stroke-width="1.5"/>
<line class="cursor" x1="0" x2="0" y1="0" y2="{LOUD_H}" stroke="#d00" stroke-width="1.5"/></svg>
<div class="meta">Click the pictures to seek. Waveform (English blue, Chinese orange, chapters in yellow) and
short-term loudness (3 s) against the target.</div></div>
{f'<ul class="findings">{items}</ul>' if items else ''}
<table><thead><tr><th>#</th><th>lang</th><th>voice</th><th>text</th><th>start</th><th>listen</th><th>natural</th><th>length</th>
<th>loudness</th><th>take</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table>
{_figures(figures or [])}</main>
<script>{SCRIPT % {"width": WIDTH}}</script>
</body></html>
"""


def _published(folder: Path, record: EpisodeRecord, failed: bool) -> str:
    """What the feed serves, beside this build: nothing yet, this build, or an earlier one (with a player)."""
    found = read_served(folder)
    if found is None:
        return ('<div class="meta">Not in the feed yet: this build is published when it passes'
                f'{" (it does not)" if failed else ""}.</div>')
    old, served = found
    if serves(served, folder, record):
        return '<div class="meta">The feed serves this build.</div>'
    mp3 = served.path(old.episode.file)
    src = f"{PUBLISHED}/{mp3.name}" if mp3 is not None else ""
    return (f'<div class="meta">The feed serves an earlier build ({_mmss(old.episode.duration_ms)}); this one '
            f'{"stays out of it: it failed QA" if failed else "replaces it when the feed is refreshed"}. '
            f'Published: <audio controls preload="none" src="{html.escape(src)}"></audio></div>')


def write_page(folder: Path, record: EpisodeRecord, seen: Observed) -> Path:
    path = folder / "qa.html"
    write_text(path, render(folder, record, seen))
    return path
