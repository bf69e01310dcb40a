#include "http/status_page.hpp"

namespace pylabhub::host {

const std::string& status_page_html() {
    // The pipeline as a graph, channels with rate and ring fill, components
    // with their state and lag, and a live plot of any numeric field: all
    // from /api/status (every second) and /api/channels/NAME/latest.
    static const std::string page = R"PAGE(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>pyLabHub</title>
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1c2430}
header{background:#1c2430;color:#fff;padding:10px 18px;display:flex;gap:18px;align-items:baseline}
header h1{font-size:18px;margin:0}
.badge{padding:2px 8px;border-radius:10px;font-weight:600}
.ok{background:#2e9e5b;color:#fff}.bad{background:#d64545;color:#fff}
main{padding:14px 18px;display:grid;gap:14px;grid-template-columns:1fr 1fr}
section{background:#fff;border-radius:8px;padding:10px 14px;box-shadow:0 1px 3px #0002}
section.wide{grid-column:1/3}
h2{font-size:15px;margin:4px 0 8px}
table{border-collapse:collapse;width:100%}td,th{padding:3px 6px;text-align:left;border-bottom:1px solid #eee}
th{font-weight:600;color:#556}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{background:#e6e9ee;border-radius:3px;height:10px;width:120px;display:inline-block;vertical-align:middle}
.bar>i{display:block;height:10px;border-radius:3px;background:#3b7dd8}
tr.failed td{color:#d64545}
svg text{font:12px system-ui,sans-serif}
#plot{width:100%;height:260px;border:1px solid #e3e6ea;border-radius:4px}
select{font:inherit;margin-right:8px}
</style></head>
<body>
<header><h1 id="name">pyLabHub</h1><span id="health" class="badge">…</span><span id="uptime"></span></header>
<main>
<section class="wide"><h2>Pipeline</h2><svg id="graph" width="100%" height="120"></svg></section>
<section><h2>Channels</h2><table id="channels"><thead><tr><th>channel</th><th>writer</th><th>rate/s</th><th>ring fill</th><th>written</th><th>full waits</th></tr></thead><tbody></tbody></table></section>
<section><h2>Components</h2><table id="components"><thead><tr><th>id</th><th>kind</th><th>plugin</th><th>state</th><th>lag</th></tr></thead><tbody></tbody></table></section>
<section class="wide"><h2>Live plot</h2>
<div><select id="channel"></select><select id="field"></select><span id="plotinfo"></span></div>
<canvas id="plot" width="1200" height="260"></canvas></section>
</main>
<script>
"use strict";
const $ = id => document.getElementById(id);
const esc = s => String(s).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));
const fmt = x => x >= 1e6 ? (x/1e6).toFixed(2)+"M" : x >= 1e3 ? (x/1e3).toFixed(1)+"k" : (+x).toFixed(x < 10 ? 1 : 0);
let last = null, prev = null, prevTime = 0;
const series = [], MAX = 1000;
let lastSeq = -1;

function drawGraph(s) {
  const svg = $("graph"), W = svg.clientWidth || 900;
  const writers = s.components.filter(c => c.kind === "producer" || (c.kind === "transport" && c.direction === "in"));
  const readers = s.components.filter(c => !writers.includes(c));
  const rows = Math.max(writers.length, s.channels.length, readers.length, 1);
  const H = rows * 34 + 10; svg.setAttribute("height", H);
  const pos = {}, col = [20, W/2 - 80, W - 180];
  const place = (list, x, key) => list.forEach((n, i) => pos[key(n)] = {x, y: 8 + i*34 + (rows - list.length)*17});
  place(writers, col[0], n => "c:" + n.id); place(s.channels, col[1], n => "ch:" + n.name); place(readers, col[2], n => "c:" + n.id);
  let out = '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="3" orient="auto"><path d="M0,0 L0,6 L7,3 z" fill="#889"/></marker></defs>';
  const edge = (a, b) => { if (!a || !b) return; out += `<path d="M${a.x+160},${a.y+12} C${(a.x+b.x+160)/2},${a.y+12} ${(a.x+b.x+160)/2},${b.y+12} ${b.x},${b.y+12}" stroke="#889" fill="none" marker-end="url(#a)"/>`; };
  s.channels.forEach(ch => { if (ch.writer) edge(pos["c:" + ch.writer], pos["ch:" + ch.name]); });
  s.components.forEach(c => (c.inputs || []).forEach(i => edge(pos["ch:" + i.channel], pos["c:" + c.id])));
  const box = (p, label, cls, fill) => { if (!p) return; out += `<g class="${cls}"><rect x="${p.x}" y="${p.y}" width="160" height="24" rx="5" fill="${fill}" stroke="#99a"/><text x="${p.x+8}" y="${p.y+16}">${esc(label)}</text></g>`; };
  writers.concat(readers).forEach(c => box(pos["c:" + c.id], c.id + " (" + c.plugin + ")", "node component", c.state === "failed" || c.state === "restarting" ? "#f6d3d3" : "#e8eefb"));
  s.channels.forEach(ch => box(pos["ch:" + ch.name], ch.name, "node channel", "#e7f5ec"));
  svg.innerHTML = out;
}

function render(s) {
  $("name").textContent = "pyLabHub · " + s.pipeline;
  $("health").textContent = s.healthy ? "healthy" : "failed: " + s.failed.join(", ");
  $("health").className = "badge " + (s.healthy ? "ok" : "bad");
  $("uptime").textContent = "up " + s.uptime_s.toFixed(0) + " s · broker " + s.broker;
  const now = performance.now(), dt = prev ? (now - prevTime) / 1000 : 0;
  const rateOf = (ch) => { const p = prev && prev.channels.find(c => c.name === ch.name); return p && dt > 0 ? (ch.written - p.written) / dt : ch.rate; };
  $("channels").tBodies[0].innerHTML = s.channels.map(ch => `<tr class="channel-row" data-channel="${esc(ch.name)}"><td>${esc(ch.name)}</td><td>${esc(ch.writer)}</td><td class="n">${fmt(rateOf(ch))}</td><td><span class="bar"><i style="width:${Math.round(ch.fill*100)}%"></i></span> ${Math.round(ch.fill*100)}%</td><td class="n">${ch.written}</td><td class="n">${ch.writer_waits}</td></tr>`).join("");
  $("components").tBodies[0].innerHTML = s.components.map(c => {
    const lag = (c.inputs || []).map(i => { const ch = s.channels.find(x => x.name === i.channel); const f = ch && ch.slots ? Math.min(1, i.lag / ch.slots) : 0; return `<span class="bar" title="${esc(i.channel)}: ${i.lag} slots"><i style="width:${Math.round(f*100)}%"></i></span> ${i.lag}`; }).join("<br>");
    const bad = c.state === "failed" || c.state === "restarting";
    return `<tr class="component-row${bad ? " failed" : ""}" data-component="${esc(c.id)}"><td>${esc(c.id)}</td><td>${esc(c.kind)}${c.direction ? " " + c.direction : ""}</td><td>${esc(c.plugin)}</td><td title="${esc(c.last_error)}">${esc(c.state)}${c.restarts ? " (" + c.restarts + " restarts)" : ""}</td><td>${lag}</td></tr>`;
  }).join("");
  drawGraph(s);
  const sel = $("channel"), have = [...sel.options].map(o => o.value).join(), want = s.channels.map(c => c.name).join();
  if (have !== want) { const keep = sel.value; sel.innerHTML = s.channels.map(c => `<option>${esc(c.name)}</option>`).join(""); if (keep) sel.value = keep; $("field").innerHTML = ""; }
  prev = s; prevTime = now;
}

async function status() {
  try { const r = await fetch("/api/status"); if (r.ok) render(await r.json()); } catch (e) { $("health").textContent = "no answer"; $("health").className = "badge bad"; }
}

async function sample() {
  const ch = $("channel").value; if (!ch) return;
  let r; try { r = await fetch("/api/channels/" + encodeURIComponent(ch) + "/latest?last=256"); } catch (e) { return; }
  if (!r.ok) { $("plotinfo").textContent = " (" + r.status + ")"; return; }
  const d = await r.json();
  const fields = Object.keys(d.fields || {}).filter(k => typeof d.fields[k] === "number");
  const fsel = $("field");
  if (fsel.options.length !== fields.length) { const keep = fsel.value; fsel.innerHTML = fields.map(f => `<option>${esc(f)}</option>`).join(""); if (fields.includes(keep)) fsel.value = keep; else { const signal = fields.findIndex(f => !/^(seq|sequence|t|t_ns|time|timestamp)$/.test(f)); fsel.selectedIndex = Math.max(0, signal); } series.length = 0; }
  if (d.sequence === lastSeq) return;
  for (const slot of (d.recent || [d])) {
    if (slot.sequence <= lastSeq) continue;
    const v = slot.fields ? slot.fields[fsel.value] : undefined; if (typeof v !== "number") continue;
    series.push(v); if (series.length > MAX) series.shift();
  }
  lastSeq = d.sequence;
  const v = d.fields ? d.fields[fsel.value] : undefined;
  $("plotinfo").textContent = ` seq ${d.sequence}` + (typeof v === "number" ? ` · ${fsel.value} = ${v.toPrecision(5)}` : "");
  drawPlot();
}

function drawPlot() {
  const c = $("plot"), g = c.getContext("2d"), W = c.width, H = c.height;
  g.clearRect(0, 0, W, H); if (series.length < 2) return;
  let lo = Math.min(...series), hi = Math.max(...series); if (hi === lo) { hi += 1; lo -= 1; }
  g.strokeStyle = "#e3e6ea"; g.beginPath(); for (let i = 1; i < 4; i++) { g.moveTo(0, i*H/4); g.lineTo(W, i*H/4); } g.stroke();
  g.fillStyle = "#556"; g.font = "12px system-ui"; g.fillText(hi.toPrecision(4), 4, 12); g.fillText(lo.toPrecision(4), 4, H - 4);
  g.strokeStyle = "#3b7dd8"; g.lineWidth = 2; g.beginPath();
  series.forEach((v, i) => { const x = i * W / (MAX - 1), y = H - 6 - (v - lo) / (hi - lo) * (H - 12); i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.stroke();
}

$("channel").onchange = () => { series.length = 0; lastSeq = -1; $("field").innerHTML = ""; };
$("field").onchange = () => { series.length = 0; };
status(); setInterval(status, 1000); setInterval(sample, 100);
</script></body></html>
)PAGE";
    return page;
}

}  // namespace pylabhub::host
