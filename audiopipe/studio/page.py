"""The review page: one HTML document, styles and script inline (no CDN, no build step).

The script asks the server for the episode's state and draws it with ``textContent`` only, so nothing
from a manifest is ever read as HTML.  Every request carries the page's token; actions are POSTs.
"""

from __future__ import annotations

import html

from audiopipe.qa.page import CSS as QA_CSS

CSS = QA_CSS + """
.bar { display:flex; gap:10px; align-items:center; flex-wrap:wrap; margin-top:10px; }
button { font:inherit; font-size:13px; padding:5px 12px; border:1px solid var(--line); border-radius:6px;
         background:#fff; cursor:pointer; }
button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
button:disabled { opacity:.5; cursor:default; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 16px; margin:12px 0; }
.card h3 { margin:0 0 6px; font-size:14px; display:flex; gap:10px; align-items:center; }
.badge { font-size:12px; padding:1px 8px; border-radius:10px; background:var(--bg); color:var(--muted); }
.badge.approved { background:#e6f4ea; color:var(--ok); } .badge.flagged, .badge.lapsed { background:#fdecea; color:var(--bad); }
.why { font-size:13px; color:var(--bad); margin:4px 0; }
.edited { font-size:12px; color:#8a5a00; background:#fff4d6; padding:1px 8px; border-radius:10px; }
.manifest { font-size:13px; color:var(--muted); white-space:pre-wrap; }
.say { white-space:pre-wrap; margin:6px 0; }
.card audio { width:100%; }
form.retake { display:none; gap:8px; flex-wrap:wrap; align-items:center; margin-top:10px; font-size:13px; }
form.retake.open { display:flex; } form.retake textarea { width:100%; min-height:60px; font:inherit; }
.ab { display:grid; grid-template-columns:1fr 1fr; gap:12px; margin-top:10px; padding:10px; background:var(--bg);
      border-radius:8px; } .ab h4 { margin:0 0 4px; font-size:13px; }
progress { width:240px; } .banner { background:#fff4d6; padding:8px 28px; display:none; }
.banner.show { display:block; } .msg { font-size:13px; color:var(--muted); }
.findings li.fail { color:var(--bad); } .findings li.warn { color:#8a5a00; }
"""

SCRIPT = r"""
const token = new URLSearchParams(location.search).get('token');
const slug = decodeURIComponent(location.pathname.split('/').pop());
const api = (p) => p + (p.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
const $ = (sel, root) => (root || document).querySelector(sel);
let known = null, busy = 0, current = null;
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
    else if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const kid of kids) if (kid !== null && kid !== undefined) e.append(kid instanceof Node ? kid : String(kid));
  return e;
}
async function post(path, body) {
  busy++;
  try {
    const r = await fetch(api(path), {method: 'POST', headers: {'Content-Type': 'application/json'},
                                      body: JSON.stringify(body || {})});
    const text = await r.text();
    let data = null; try { data = JSON.parse(text); } catch (e) { data = {error: text}; }
    if (!r.ok && r.status !== 409) throw new Error(data.error || text);
    return data;
  } finally { busy--; }
}
function say(text) { $('#msg').textContent = text; }
function fileUrl(path, take) { return api('/files/' + encodeURIComponent(slug) + '/' + path + (take ? '?v=' + take.slice(0, 12) : '')); }
async function load() {
  const r = await fetch(api('/api/e/' + encodeURIComponent(slug)));
  if (!r.ok) { say(await r.text()); return; }
  current = await r.json(); known = current.stamp; draw(current);
  $('#banner').classList.remove('show');
}
function draw(s) {
  document.title = 'Review: ' + s.title;
  $('#title').textContent = s.title;
  $('#meta').textContent = s.date + ' · ' + (s.duration_ms / 1000).toFixed(1) + ' s · ' + s.segments.length + ' segments';
  const ep = $('#episode'); const src = fileUrl(s.file, s.stamp.replace(/\W/g, ''));
  if (ep.dataset.src !== src) { ep.src = src; ep.dataset.src = src; }
  const open = s.not_approved.length;
  $('#status').textContent = (s.qa.passed ? 'QA passed' : 'QA not passed') + ' · ' +
    (open ? open + ' segment(s) not approved' : 'every segment approved') + ' · ' +
    (s.in_feed ? 'in the feed' : 'not in the feed' + (s.hold ? ' (' + s.hold + ')' : ''));
  const pub = $('#published'); pub.replaceChildren();
  if (!s.published) pub.append('The feed does not carry this episode yet.');
  else if (s.published.this_build) pub.append('The feed serves this build (published ' + s.published.at + ').');
  else pub.append('The feed serves an earlier build, published ' + s.published.at + ' (' +
    (s.published.duration_ms / 1000).toFixed(1) + ' s), until this one is published: ',
    el('audio', {controls: '', preload: 'none', src: fileUrl(s.published.file, s.stamp.replace(/\W/g, ''))}));
  const f = $('#findings'); f.replaceChildren();
  for (const x of s.qa.findings.filter(x => x.status === 'fail' || x.status === 'warn'))
    f.append(el('li', {class: x.status}, '[' + x.check + '] ' + (x.segment ? 'segment ' + x.segment + ': ' : '') + x.message));
  if (!f.children.length) f.append(el('li', {}, 'No failed or warned checks.'));
  const fig = $('#figures tbody'); fig.replaceChildren();
  for (const story of s.qa.figures) for (const p of story.pairs)
    fig.append(el('tr', {class: p.status}, el('td', {}, story.story), el('td', {}, p.status + (story.accepted ? ' (accepted)' : '')),
      el('td', {}, p.en || ''), el('td', {}, p.zh || ''), el('td', {}, p.why || '')));
  const list = $('#segments'); list.replaceChildren(...s.segments.map(card));
}
function card(g) {
  const c = el('div', {class: 'card seg', id: 'seg-' + g.index, 'data-status': g.status});
  c.append(el('h3', {}, '#' + g.index + ' ' + g.lang + (g.story ? ' · story ' + g.story : '') + (g.chapter ? ' · ' + g.chapter : ''),
    el('span', {class: 'badge ' + g.status}, g.status), g.text_edited ? el('span', {class: 'edited'}, 'text edited: differs from the manifest') : null));
  if (g.why) c.append(el('div', {class: 'why'}, g.why));
  c.append(el('div', {class: 'say', lang: g.lang === 'zh' ? 'zh-CN' : 'en'}, g.text));
  if (g.text_edited) c.append(el('div', {class: 'manifest'}, 'manifest: ' + g.manifest_text));
  c.append(el('div', {class: 'msg'}, g.profile + ' · ' + g.engine + ' ' + g.voice + ' · rate ' + g.rate + '% as spoken' + (g.by ? ' · ' + g.status + ' by ' + g.by + ' ' + g.at : '')));
  if (g.file) c.append(el('audio', {controls: '', preload: 'metadata', src: fileUrl(g.file, g.take)}));
  if (g.naturalness !== null) c.append(el('div', {class: 'natural', title: 'predicted listener score, 1 (bad) to 5 (excellent)'},
    'natural ' + g.naturalness.toFixed(2) + ' of 5'));
  const act = (action, body) => async () => {
    try { const r = await post('/api/e/' + encodeURIComponent(slug) + '/' + action, Object.assign({segment: g.index}, body || {})); await load(); return r; }
    catch (e) { say(e.message); }
  };
  const form = retakeForm(g);
  c.append(el('div', {class: 'bar'},
    el('button', {class: 'approve primary', on: {click: act('approve')}}, 'Approve'),
    el('button', {class: 'flag', on: {click: () => { const n = prompt('What is wrong with segment ' + g.index + '?'); if (n) act('flag', {note: n})(); }}}, 'Flag'),
    el('button', {class: 'open-retake', on: {click: () => form.classList.toggle('open')}}, 'Re-take…'),
    el('span', {class: 'job'})));
  c.append(form);
  if (g.pending) c.append(abPanel(g, act));
  return c;
}
function retakeForm(g) {
  const profiles = el('select', {name: 'profile'}, el('option', {value: ''}, g.profile + ' (as now)'),
    ...(current.profiles[g.lang] || []).filter(p => p !== g.profile).map(p => el('option', {value: p}, p)));
  const engines = el('select', {name: 'engine'}, el('option', {value: ''}, g.engine + ' (as now)'),
    ...current.engines.filter(e => e !== g.engine).map(e => el('option', {value: e}, e)));
  const rate = el('input', {name: 'rate', type: 'number', min: '-50', max: '100', step: '1', placeholder: 'the profile\'s',
                            value: g.override.rate === undefined ? '' : String(g.override.rate)});
  const shown = rate.value;
  const text = el('textarea', {name: 'text'}); text.value = g.text;
  const form = el('form', {class: 'retake'}, el('label', {}, 'voice ', profiles), el('label', {}, 'rate % ', rate),
    el('label', {}, 'engine ', engines), text, el('button', {class: 'primary', type: 'submit'}, 'Make the new take'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const clicked = performance.now();
    const body = {segment: g.index, profile: profiles.value, engine: engines.value,
                  rate: rate.value === shown || rate.value === '' ? null : Number(rate.value), text: text.value === g.text ? null : text.value};
    try { const job = await post('/api/e/' + encodeURIComponent(slug) + '/retake', body); watch(job, g.index, clicked); }
    catch (e) { say(e.message); }
  });
  return form;
}
function abPanel(g, act) {
  const p = g.pending;
  return el('div', {class: 'ab'},
    el('div', {}, el('h4', {}, 'A: previous take'), el('audio', {controls: '', preload: 'metadata', class: 'a', src: fileUrl(p.previous_file)}),
      el('button', {class: 'keep-previous', on: {click: act('ab', {keep: 'previous'})}}, 'Keep A (previous)')),
    el('div', {}, el('h4', {}, 'B: new take'), el('audio', {controls: '', preload: 'metadata', class: 'b', src: fileUrl(g.file, g.take)}),
      el('button', {class: 'keep-new primary', on: {click: act('ab', {keep: 'new'})}}, 'Keep B (new)')));
}
async function watch(job, index, started) {
  busy++;
  try {
    for (;;) {
      const spot = $('#seg-' + index + ' .job');
      if (spot) spot.replaceChildren(el('progress', {max: String(job.total || 1), value: String(job.done)}), ' ' + job.stage);
      if (job.state !== 'running') break;
      job = await (await fetch(api('/api/jobs/' + job.id + '?wait=1'))).json();   // answers when it moves on
    }
    if (job.state === 'failed') say('re-take failed: ' + job.error);
    else { await load(); say('segment ' + index + ' re-taken in ' + ((performance.now() - started) / 1000).toFixed(1) + ' s'); }
    window.lastRetakeSeconds = (performance.now() - started) / 1000;
    while (job.feed === 'waiting') job = await (await fetch(api('/api/jobs/' + job.id + '?wait=1'))).json();
    if (job.feed === 'failed') say(job.error);      // the feed refresh follows the take
  } finally { busy--; }
}
async function release() {
  try {
    const r = await post('/api/e/' + encodeURIComponent(slug) + '/release');
    const sent = (r.published || []).find(line => line.trim().startsWith('total'));
    say(r.released ? 'Released: the episode is in the feed.' + (sent ? ' Published to ' +
        r.published[0].replace(/^published to |:$/g, '') + ': ' + sent.trim().replace(/\s+/g, ' ') + '.' : '')
        : 'Not released: ' + r.blockers.join('; '));
    await load();
  } catch (e) { say(e.message); }
}
async function poll() {
  if (!busy && known) {
    try {
      const r = await fetch(api('/api/e/' + encodeURIComponent(slug) + '/stamp'));
      const s = (await r.json()).stamp;
      if (s !== known && !busy) $('#banner').classList.add('show');
    } catch (e) {}
  }
  setTimeout(poll, 1500);
}
$('#release').addEventListener('click', release);
$('#reload').addEventListener('click', load);
load().then(poll);
"""


def episode(slug: str) -> str:
    """The page of one episode (its data comes from the API)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Review: {html.escape(slug)}</title><style>{CSS}</style></head>
<body>
<header><h1 id="title">{html.escape(slug)}</h1><div class="meta" id="meta"></div>
<div class="summary" id="status"></div><div class="meta" id="published"></div>
<div class="bar"><button id="release" class="primary">Release</button><span class="msg" id="msg"></span></div>
<div class="player"><audio id="episode" controls preload="metadata"></audio></div></header>
<div class="banner" id="banner">This episode changed outside this page (a build from the command line?).
<button id="reload">Reload</button></div>
<main>
<h2>QA</h2><ul class="findings" id="findings"></ul>
<table class="figures" id="figures"><thead><tr><th>story</th><th>verdict</th><th>English</th><th>中文</th>
<th>note</th></tr></thead><tbody></tbody></table>
<h2>Segments</h2><div id="segments"></div>
</main>
<script>{SCRIPT}</script>
</body></html>
"""


def index(slugs: list[str], token: str) -> str:
    """The list of episodes, when the server reviews a whole output folder."""
    items = "".join(f'<li><a href="/e/{html.escape(s)}?token={html.escape(token)}">{html.escape(s)}</a></li>'
                    for s in slugs) or "<li>No built episodes here.</li>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Review</title><style>{CSS}</style></head>
<body><header><h1>Episodes to review</h1></header><main><ul>{items}</ul></main></body></html>
"""
