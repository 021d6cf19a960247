"use strict";
// Draws a run from the JSON in #data (written by labrpc::view): lanes over virtual time, RPCs
// as arrows, machines, partitions, state tracks, log lines, notes, client operations, and the
// failure. Everything is drawn on one canvas, and only what the time window shows, so that runs
// of a few hundred thousand events stay responsive; `window.runView` lets tests ask what is where.
const started = [performance.now()];
const D = JSON.parse(document.getElementById("data").textContent);
started.push(performance.now());
const S = D.strings;
const END = Math.max(D.end[0], 1);
const FATE = ["still in flight when the run ended", "delivered", "request lost by the unreliable network",
  "reply lost by the unreliable network", "unreachable: the end was disabled or the server gone",
  "no reply: the server died or its end was disabled while the handler ran"];
const LOST = new Set([2, 3, 4, 5]);
const W_RPC = 14, W4 = 4, W_OP = 6;
const nRpc = D.rpcs.length / W_RPC;
const R = D.rpcs;
const FAILED = D.failure.length > 0;

// ---- helpers ----
function el(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function hue(s) { let h = 0; for (const c of s) h = (h * 31 + c.charCodeAt(0)) % 360; return h; }
function secs(us) {
  const s = us / 1e6;
  return Math.abs(s) >= 10 ? s.toFixed(3) + " s" : s.toFixed(4) + " s";
}
function natural(a, b) {
  const split = s => s.split(/(\d+)/).map((p, i) => (i % 2 ? Number(p) : p));
  const x = split(a), y = split(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] < y[i]) return -1;
    if (x[i] > y[i]) return 1;
  }
  return x.length - y.length;
}
/** The first index in the sorted `get(0..n)` whose value is >= t. */
function lower(n, get, t) {
  let lo = 0, hi = n;
  while (lo < hi) { const m = (lo + hi) >> 1; if (get(m) < t) lo = m + 1; else hi = m; }
  return lo;
}
// A state value's colour comes from its first word without digits ("leader" in "T5 leader commit 3").
const ROLE = { leader: "#5b8def", candidate: "#f2b134", follower: "#dfe3ea" };
function stateKey(text) { return (text.split(/\s+/).find(w => w && !/\d/.test(w)) || "").toLowerCase(); }
/** `f` of a string's number, computed once per string. */
function cached(f) {
  const memo = new Map();
  return id => { let v = memo.get(id); if (v === undefined) { v = f(S[id]); memo.set(id, v); } return v; };
}
const stateColour = cached(text => { const k = stateKey(text); return ROLE[k] || `hsl(${hue(k)}, 55%, 80%)`; });
const methodColour = cached(m => `hsl(${hue(m)}, 60%, 38%)`);
const topicColour = cached(t => `hsl(${hue(t)}, 70%, 42%)`);
const SIDE = ["", "hsla(0,80%,60%,.16)", "hsla(120,70%,45%,.16)", "hsla(270,70%,60%,.16)", "hsla(35,90%,55%,.18)"];

// ---- the data, by lane ----
const lanes = D.lanes.map(([name, kind], id) => ({
  id, name, kind, tracks: new Map(), machines: [], down: [], logs: [], ops: [], notes: [], client: null,
}));
for (let i = 0; i < D.states.length; i += W4) {
  const [at, lane, track, text] = D.states.slice(i, i + W4);
  const l = lanes[lane];
  if (!l.tracks.has(track)) l.tracks.set(track, []);
  l.tracks.get(track).push([at, text]);
}
for (let i = 0; i < D.machines.length; i += W4) {
  const [at, lane, kind, n] = D.machines.slice(i, i + W4);
  lanes[lane].machines.push({ at, kind, n, index: i / W4 });
}
for (const l of lanes) {
  let downSince = null;
  for (const m of l.machines) {
    if (m.kind === 1 && downSince === null) downSince = m.at;
    if (m.kind === 0 && downSince !== null) { l.down.push([downSince, m.at]); downSince = null; }
  }
  if (downSince !== null) l.down.push([downSince, END]);
}
for (let i = 0; i < D.logs.length; i += W4) lanes[D.logs[i + 1]].logs.push(i / W4);
for (let i = 0; i < D.notes.length; i += W4) lanes[D.notes[i + 1]].notes.push(i / W4);
for (let i = 0; i < D.ops.length; i += W_OP) {
  const l = lanes[D.ops[i]];
  l.ops.push(i / W_OP);
  l.client = D.ops[i + 1];
}
const rpc = i => ({
  from: R[i * W_RPC], to: R[i * W_RPC + 1], method: R[i * W_RPC + 2], sent: R[i * W_RPC + 3],
  arrived: R[i * W_RPC + 4], replied: R[i * W_RPC + 5], ended: R[i * W_RPC + 6], fate: R[i * W_RPC + 7],
  argsLen: R[i * W_RPC + 8], replyLen: R[i * W_RPC + 9], args: R[i * W_RPC + 10], reply: R[i * W_RPC + 11],
  end: R[i * W_RPC + 12], op: R[i * W_RPC + 13],
});
const rpcEnd = i => { const e = R[i * W_RPC + 6]; return e < 0 ? END : e; };
let longest = 0;
const methods = new Map(), topics = new Map();
for (let i = 0; i < nRpc; i++) {
  longest = Math.max(longest, rpcEnd(i) - R[i * W_RPC + 3]);
  const m = R[i * W_RPC + 2];
  methods.set(m, (methods.get(m) || 0) + 1);
}
for (let i = 0; i < D.logs.length; i += W4) topics.set(D.logs[i + 2], (topics.get(D.logs[i + 2]) || 0) + 1);
const nSides = (D.sides.length && lanes.length) ? D.sides.length / (1 + lanes.length) : 0;
const sideAt = (k, lane) => D.sides[k * (1 + lanes.length) + 1 + lane];
const sideTime = k => D.sides[k * (1 + lanes.length)];
// How each side is tinted in each epoch: in each replica group (servers named alike but for
// their final S<n>, as labrpc::view groups them) the largest side not at all, a server alone
// grey, the other sides in colours. A lane's tint then says at a glance whether it could reach
// the majority of its group.
const groupOf = name => name.replace(/S\d+$/, "");
const tints = [];
for (let k = 0; k < nSides; k++) {
  const size = new Map(), groupOfSide = new Map();
  for (const l of lanes) {
    const s = sideAt(k, l.id);
    if (s < 0) continue;
    size.set(s, (size.get(s) || 0) + 1);
    groupOfSide.set(s, groupOf(l.name));
  }
  const largest = new Map();
  for (const [s, n] of size) {
    const g = groupOfSide.get(s), best = largest.get(g);
    if (best === undefined || n > size.get(best)) largest.set(g, s);
  }
  const tint = new Map();
  let colour = 0;
  for (const [s, n] of [...size].sort((a, b) => a[0] - b[0])) {
    const main = largest.get(groupOfSide.get(s)) === s;
    tint.set(s, main ? null : n === 1 ? "rgba(0,0,0,.09)" : SIDE[1 + (colour++ % (SIDE.length - 1))]);
  }
  tints.push(tint);
}

/** The value of each track of `lane` at time `t`: [[track, text, since, until]]. */
function stateAt(lane, t) {
  const out = [];
  for (const [track, values] of lanes[lane].tracks) {
    const k = lower(values.length, j => values[j][0], t + 1) - 1;
    if (k >= 0) out.push([track, values[k][1], values[k][0], k + 1 < values.length ? values[k + 1][0] : END]);
  }
  return out;
}

started.push(performance.now());
// ---- the page ----
const app = document.getElementById("app");
const header = el("header", {}, app);
const h1 = el("h1", {}, header, `${D.test} `);
el("span", { class: "seed" }, h1, `seed ${D.seed} `);
el("span", { class: FAILED ? "failed" : "passed" }, h1, FAILED ? "FAILED" : "passed");
if (FAILED) {
  const [at, lane] = D.failure;
  el("div", { class: "failure" }, header, `at ${secs(at)} on ${lanes[lane].name}: ${D.message}`);
}
const meta = el("p", { class: "meta" }, header);
meta.append("Replay: ");
el("code", {}, meta, D.replay);
meta.append(` · recorded: ${D.recorded} · ${nRpc} RPCs, ${D.logs.length / W4} log lines, ` +
  `${D.states.length / W4} state changes over ${secs(END)} of virtual time`);
for (const [label, href] of D.attachments) {
  meta.append(" · ");
  el("a", { href, class: "attachment" }, meta, label);
}
if (D.window.length) {
  const [from, bucket, logsCut, opsCut] = D.window;
  el("p", { class: "note" }, header, `This run did not fit in one file of at most 20 MB: every detail is kept ` +
    `from ${secs(from)} to the end. Before that, RPCs are drawn as counts per ${bucket / 1000} ms (sent, and lost ` +
    `in red), ${logsCut} log lines and ${opsCut} client operations are left out, and each state track starts ` +
    `with its last earlier value; crashes, restarts, partitions and the harness's notes are all kept.`);
}
const bar = el("div", { class: "toolbar" }, header);
const jump = el("button", { class: "jump", id: "jump-to-failure" }, bar, "Jump to failure");
if (!FAILED) { jump.disabled = true; jump.title = "this run passed"; }
const fit = el("button", {}, bar, "Whole run");
const zin = el("button", { title: "zoom in (+)" }, bar, "+");
const zout = el("button", { title: "zoom out (-)" }, bar, "−");
bar.append(" from ");
const fromBox = el("input", { type: "text", id: "from", title: "seconds of virtual time" }, bar);
bar.append(" to ");
const toBox = el("input", { type: "text", id: "to" }, bar);
bar.append(" s ");
const readout = el("span", { id: "readout" }, bar);

const filters = el("details", { class: "filters" }, header);
el("summary", {}, filters, "Filters: lanes, methods, log topics, what to draw");
const shown = {
  lanes: new Set(), methods: new Set(methods.keys()), topics: new Set(topics.keys()),
  delivered: true, lost: true, logs: true, notes: true,
};
function group(title, items, set, colour) {
  const g = el("div", { class: "filter-group chips" }, filters);
  el("b", {}, g, title);
  for (const [key, label, count] of items) {
    const lab = el("label", {}, g);
    const box = el("input", { type: "checkbox" }, lab);
    box.checked = set.has(key);
    box.onchange = () => { if (box.checked) set.add(key); else set.delete(key); layout(); };
    if (colour) el("i", { style: "background:" + colour(key) }, lab);
    lab.append(count === undefined ? label : `${label} (${count})`);
  }
}
// Servers by group, groups in the order they first appeared, then clients.
const groupRank = new Map();
for (const l of lanes) if (l.kind === "server" && !groupRank.has(groupOf(l.name))) groupRank.set(groupOf(l.name), groupRank.size);
const ordered = lanes.filter(l => l.kind !== "tester").sort((a, b) => {
  if (a.kind !== b.kind) return a.kind === "server" ? -1 : 1;
  if (a.kind === "server" && groupOf(a.name) !== groupOf(b.name)) return groupRank.get(groupOf(a.name)) - groupRank.get(groupOf(b.name));
  return natural(a.name, b.name);
});
const MAX_CLIENT_LANES = 16;
let clientLanes = 0;
shown.lanes.add(0);
for (const l of ordered) {
  if (l.kind === "client" && ++clientLanes > MAX_CLIENT_LANES) continue;
  shown.lanes.add(l.id);
}
group("Lanes", [[0, "tester"], ...ordered.map(l => [l.id, l.name])], shown.lanes);
if (clientLanes > MAX_CLIENT_LANES) {
  el("div", { class: "note" }, filters, `${clientLanes - MAX_CLIENT_LANES} of ${clientLanes} client lanes are hidden; ` +
    "tick them above to show them.");
}
group("Methods", [...methods].sort((a, b) => b[1] - a[1]).map(([m, n]) => [m, S[m], n]), shown.methods, methodColour);
group("Topics", [...topics].sort((a, b) => natural(S[a[0]], S[b[0]])).map(([t, n]) => [t, S[t], n]), shown.topics, topicColour);
const toggles = el("div", { class: "filter-group" }, filters);
el("b", {}, toggles, "Draw");
for (const [key, label] of [["delivered", "delivered RPCs"], ["lost", "lost and unanswered RPCs"], ["logs", "log lines"], ["notes", "harness notes"]]) {
  const lab = el("label", {}, toggles);
  const box = el("input", { type: "checkbox" }, lab);
  box.checked = true;
  box.onchange = () => { shown[key] = box.checked; draw(); };
  lab.append(label);
}

const main = el("main", {}, app);
const chart = el("div", { class: "chart" }, main);
const labels = el("div", { class: "labels" }, chart);
const canvas = el("canvas", { id: "canvas" }, chart);
const aside = el("aside", { class: "details", id: "details" }, main);
el("p", {}, aside, "Click an arrow, a mark or a state to see it here, with the state of its servers and " +
  "the log lines around it.");
const logBox = el("section", { class: "loglist", id: "loglist" }, app);
const legend = el("div", { class: "legend" }, app);
for (const [style, text] of [
  ["background:#555", "RPC request (colour: method), reply lighter"],
  ["background:#c62828", "✕ lost, unreachable or unanswered"],
  ["background:repeating-linear-gradient(45deg,#999 0 3px,#fff 3px 6px)", "machine down (crashed)"],
  [`background:${SIDE[1]}`, "partition: on a minority side"], ["background:rgba(0,0,0,.09)", "cut off alone"],
  ["background:#5b8def", "state: leader"], ["background:#f2b134", "candidate"], ["background:#dfe3ea", "follower"],
  ["background:#c62828;width:3px", "the failure"]]) {
  const s = el("span", {}, legend); el("i", { style }, s); s.append(text);
}
el("p", {}, legend, "Wheel: zoom at the pointer · drag: pan · shift-drag: zoom to a range · +/−/←/→ keys. " +
  "State colours come from the first word of a value without digits. Times are virtual.");

// ---- layout and coordinates ----
const AXIS = 22, NET = 20, TRACK = 13;
let rows = [];  // {lane, top, h, yc}
let width = 800, height = 400;
let t0 = 0, t1 = END, cursor = null, selected = null;

function layout() {
  rows = [];
  let y = AXIS + NET;
  for (const l of [lanes[0], ...ordered]) {
    if (!shown.lanes.has(l.id)) continue;
    const tracks = l.tracks.size;
    const h = l.kind === "client" ? 32 : l.kind === "tester" ? 26 : 44 + TRACK * tracks;
    rows.push({ lane: l.id, top: y, h, yc: y + 4 + TRACK * tracks + (h - 4 - TRACK * tracks) / 2 });
    y += h;
  }
  height = y + 8;
  labels.replaceChildren();
  for (const row of rows) {
    const l = lanes[row.lane];
    const div = el("div", { class: "label " + l.kind, style: `top:${row.top}px;height:${row.h - 1}px`, "data-lane": l.name }, labels);
    el("span", { class: "name" }, div, l.name);
    if (l.client !== null && l.kind === "client") el("span", { class: "kind" }, div, "history client " + l.client);
    else if (l.kind !== "server") el("span", { class: "kind" }, div, l.kind);
    row.value = el("span", { class: "value" }, div);
  }
  resize();
}
const rowOf = new Map();
function resize() {
  width = Math.max(200, chart.clientWidth - 150);
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio; canvas.height = height * ratio;
  canvas.style.width = width + "px"; canvas.style.height = height + "px";
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  rowOf.clear();
  for (const row of rows) rowOf.set(row.lane, row);
  draw();
}
const ctx = canvas.getContext("2d");
const X = t => ((t - t0) / (t1 - t0)) * width;
const T = x => t0 + (x / width) * (t1 - t0);

function setWindow(a, b) {
  const span = Math.max(b - a, 50);
  // A little room on either side, so that what happens at the very start or end is not on the edge.
  a = Math.max(Math.min(a, END - span * 0.85), -span * 0.02);
  t0 = a; t1 = a + span;
  fromBox.value = (t0 / 1e6).toFixed(3); toBox.value = (t1 / 1e6).toFixed(3);
  draw();
}
function zoom(factor, at) {
  const c = at === undefined ? (t0 + t1) / 2 : at;
  setWindow(c - (c - t0) * factor, c + (t1 - c) * factor);
}

// ---- drawing ----
let lastDraw = 0, drawn = 0, pending = false;
function draw() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; paint(); });
}
function paint() {
  const started = performance.now();
  ctx.clearRect(0, 0, width, height);
  ctx.font = "11px system-ui, sans-serif";
  paintAxis();
  paintNetwork();
  for (const row of rows) paintLane(row);
  paintRpcs();
  paintFailure();
  if (cursor !== null) {
    ctx.strokeStyle = "#0008"; ctx.lineWidth = 1;
    line(X(cursor), AXIS, X(cursor), height);
  }
  lastDraw = performance.now() - started;
  readout.textContent = `${secs(t0)} – ${secs(t1)}` + (cursor === null ? "" : ` · cursor ${secs(cursor)}`);
  showStates();
  fillLogList();
}
function line(x0, y0, x1, y1) { ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke(); }
function cross(x, y, r, colour) {
  ctx.strokeStyle = colour; ctx.lineWidth = 2;
  line(x - r, y - r, x + r, y + r); line(x - r, y + r, x + r, y - r);
  ctx.lineWidth = 1;
}
function niceStep(span, px) {
  const raw = span / Math.max(1, px / 90);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 5, 10].map(m => m * p).find(s => s >= raw);
}
function paintAxis() {
  const step = niceStep(t1 - t0, width);
  ctx.fillStyle = "#f6f6f6"; ctx.fillRect(0, 0, width, AXIS);
  ctx.fillStyle = "#444"; ctx.strokeStyle = "#e4e4e4";
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    const x = X(t);
    line(x, AXIS, x, height);
    ctx.fillText(step >= 1e6 ? `${t / 1e6} s` : step >= 1e3 ? `${t / 1e3} ms` : `${t} µs`, x + 3, 15);
  }
}
function paintNetwork() {
  const top = AXIS, h = NET;
  // Network modes: a hatched band while unreliable or reordering.
  const modes = D.modes;
  for (const [name, colour] of [["unreliable", "#f5c2c2"], ["long reordering", "#d9c7f0"]]) {
    let since = null;
    const flush = until => {
      if (since === null) return;
      ctx.fillStyle = colour; ctx.fillRect(X(since), top + 2, X(until) - X(since), 5);
      since = null;
    };
    for (let i = 0; i < modes.length; i += W4) {
      if (S[modes[i + 2]] !== name) continue;
      if (S[modes[i + 3]] === "on") { if (since === null) since = modes[i]; } else flush(modes[i]);
    }
    flush(END);
  }
  // Partition sides, as text where there is room: each group split into more than one side.
  ctx.fillStyle = "#333";
  for (let k = 0; k < nSides; k++) {
    const a = sideTime(k), b = k + 1 < nSides ? sideTime(k + 1) : END;
    if (b < t0 || a > t1) continue;
    const groups = new Map();
    for (const l of lanes) {
      const s = sideAt(k, l.id);
      if (s < 0) continue;
      const g = groupOf(l.name);
      if (!groups.has(g)) groups.set(g, new Map());
      const sides = groups.get(g);
      if (!sides.has(s)) sides.set(s, []);
      sides.get(s).push(l.name);
    }
    const split = [...groups.values()].filter(sides => sides.size > 1);
    if (!split.length) continue;
    const text = split.map(sides => [...sides.values()].map(v => v.join(" ")).join(" | ")).join("   ");
    const x0 = Math.max(X(a), 0), x1 = Math.min(X(b), width);
    if (ctx.measureText(text).width < x1 - x0 - 6) ctx.fillText(text, x0 + 3, top + h - 4);
    ctx.fillStyle = "#999"; ctx.fillRect(X(a), top, 1, h); ctx.fillStyle = "#333";
  }
  // RPCs left out of the window, as counts.
  if (D.window.length && D.summary.length) {
    const bucket = D.window[1];
    let max = 1;
    for (let i = 0; i < D.summary.length; i += 2) max = Math.max(max, D.summary[i]);
    for (let i = 0; i < D.summary.length; i += 2) {
      const a = (i / 2) * bucket;
      if (a + bucket < t0 || a > t1) continue;
      const x = X(a), w = Math.max(1, X(a + bucket) - x);
      const hs = (D.summary[i] / max) * (h - 4), hl = (D.summary[i + 1] / max) * (h - 4);
      ctx.fillStyle = "#9aa7bd"; ctx.fillRect(x, top + h - hs, w, hs);
      ctx.fillStyle = "#c62828"; ctx.fillRect(x, top + h - hl, w, hl);
    }
    ctx.fillStyle = "#0001"; ctx.fillRect(X(0), top, X(D.window[0]) - X(0), height - top);
  }
}
function visibleRange(n, get, pad) {
  return [Math.max(0, lower(n, get, t0 - pad) - 1), lower(n, get, t1 + 1)];
}
function paintLane(row) {
  const l = lanes[row.lane];
  const k0 = X(0), kEnd = X(END);
  // Partition side: tint the lane while it is on another side than its group's largest, from the
  // machine's first start on (before it, a server has no links at all).
  const born = l.machines.length ? l.machines[0].at : END;
  for (let k = 0; k < nSides && l.kind === "server"; k++) {
    const tint = tints[k].get(sideAt(k, l.id));
    if (!tint) continue;
    const a = Math.max(sideTime(k), born), b = k + 1 < nSides ? sideTime(k + 1) : END;
    if (b <= a || b < t0 || a > t1) continue;
    ctx.fillStyle = tint;
    ctx.fillRect(X(a), row.top, X(b) - X(a), row.h);
  }
  for (const [a, b] of l.down) {
    if (b < t0 || a > t1) continue;
    ctx.save();
    ctx.beginPath(); ctx.rect(X(a), row.top + 1, X(b) - X(a), row.h - 2); ctx.clip();
    ctx.strokeStyle = "#0002";
    for (let x = X(a) - row.h; x < X(b); x += 6) line(x, row.top + row.h, x + row.h, row.top);
    ctx.restore();
  }
  ctx.strokeStyle = "#eee";
  line(0, row.top + row.h, width, row.top + row.h);
  // State tracks.
  let ty = row.top + 3;
  for (const [track, values] of l.tracks) {
    const [i0, i1] = visibleRange(values.length, j => values[j][0], 0);
    // Values shorter than a pixel share it: the first to reach a pixel column paints it.
    let painted = -Infinity;
    for (let j = i0; j < i1; j++) {
      const a = values[j][0], b = j + 1 < values.length ? values[j + 1][0] : END;
      const x0 = Math.max(X(a), -1, painted), x1 = Math.min(X(b), width + 1);
      if (x1 < 0 || x0 > width || Math.floor(x1) <= painted) continue;
      painted = Math.floor(x1);
      ctx.fillStyle = stateColour(values[j][1]);
      ctx.fillRect(x0, ty, Math.max(x1 - x0 - 0.5, 0.5), TRACK - 2);
      if (x1 - x0 > 40) {
        const text = S[values[j][1]];
        ctx.fillStyle = "#222";
        ctx.save(); ctx.beginPath(); ctx.rect(x0, ty, x1 - x0, TRACK); ctx.clip();
        ctx.fillText(l.tracks.size > 1 ? `${S[track]}: ${text}` : text, x0 + 2, ty + TRACK - 3);
        ctx.restore();
      }
    }
    ty += TRACK;
  }
  ctx.strokeStyle = l.kind === "server" ? "#8894a8" : "#bbb";
  line(Math.max(k0, 0), row.yc, Math.min(kEnd, width), row.yc);
  // Client operations.
  for (const i of l.ops) {
    const o = i * W_OP, call = D.ops[o + 2], ret = D.ops[o + 3] < 0 ? END : D.ops[o + 3];
    if (ret < t0 || call > t1) continue;
    const x0 = X(call), x1 = Math.max(X(ret), x0 + 2);
    ctx.fillStyle = D.ops[o + 3] < 0 ? "#f3d9a4" : "#cfe0f5";
    ctx.fillRect(x0, row.yc - 9, x1 - x0, 18);
    if (x1 - x0 < 3) continue;
    ctx.strokeStyle = selected && selected.kind === "op" && selected.index === i ? "#000" : "#5a7fb5";
    ctx.strokeRect(x0, row.yc - 9, x1 - x0, 18);
    if (x1 - x0 > 30) {
      ctx.fillStyle = "#123";
      ctx.save(); ctx.beginPath(); ctx.rect(x0, row.yc - 9, x1 - x0, 18); ctx.clip();
      ctx.fillText(`${S[D.ops[o + 4]]}${D.ops[o + 5] >= 0 ? " → " + S[D.ops[o + 5]] : ""}`, x0 + 3, row.yc + 4);
      ctx.restore();
    }
  }
  // Log lines: ticks below the lane line.
  if (shown.logs) {
    const logs = l.logs, ticks = new Map();
    const [i0, i1] = visibleRange(logs.length, j => D.logs[logs[j] * W4], 0);
    for (let j = i0; j < i1; j++) {
      const o = logs[j] * W4, topic = D.logs[o + 2];
      if (!shown.topics.has(topic)) continue;
      const x = Math.round(X(D.logs[o]));
      const xs = ticks.get(topic);
      if (!xs) ticks.set(topic, [x]); else if (xs[xs.length - 1] !== x) xs.push(x);
    }
    for (const [topic, xs] of ticks) {
      ctx.fillStyle = topicColour(topic);
      for (const x of xs) ctx.fillRect(x - 0.5, row.yc + 3, 1, 5);
    }
  }
  if (shown.notes) {
    // A note's text is written when it does not run into the next note's mark.
    const xs = l.notes.map(i => X(D.notes[i * W4]));
    ctx.fillStyle = "#7a4f00";
    l.notes.forEach((i, k) => {
      const x = xs[k];
      if (x < -400 || x > width + 5) return;
      ctx.fillRect(x - 0.5, row.top + 2, 1.5, row.h - 4);
      const text = S[D.notes[i * W4 + 3]], room = (k + 1 < xs.length ? xs[k + 1] : width) - x - 6;
      if (room > 30) {
        ctx.save(); ctx.beginPath(); ctx.rect(x, row.top, room + 3, row.h); ctx.clip();
        ctx.fillText(text, x + 3, row.top + 11);
        ctx.restore();
      }
    });
  }
  for (const m of l.machines) {
    const x = X(m.at);
    if (x < -10 || x > width + 10) continue;
    if (m.kind === 1) cross(x, row.yc, 5, "#b00020");
    else {
      ctx.fillStyle = m.n === 0 ? "#1a7f37" : "#0a5";
      ctx.beginPath(); ctx.moveTo(x, row.yc - 6); ctx.lineTo(x + 8, row.yc); ctx.lineTo(x, row.yc + 6); ctx.fill();
    }
  }
}
/** Where an RPC is drawn: its segments and the mark of a lost one, in canvas coordinates. */
function geometry(i) {
  const r = rpc(i), a = rowOf.get(r.from), b = rowOf.get(r.to);
  if (!a || !b) return null;
  const end = r.ended < 0 ? END : r.ended;
  const ya = a.yc, yb = b.yc, mid = ya + (yb - ya) * 0.5;
  const g = { segs: [], mark: null, r };
  switch (r.fate) {
    case 2: g.segs.push([r.sent, ya, end, mid, 0]); g.mark = [end, mid]; break;
    case 4: g.segs.push([r.sent, ya, end, ya + (yb - ya) * 0.3, 2]); g.mark = [end, ya + (yb - ya) * 0.3]; break;
    case 5: g.segs.push([r.sent, ya, r.arrived < 0 ? end : r.arrived, yb, 0]); g.mark = [end, yb]; break;
    case 3: {
      const back = r.replied < 0 ? (r.arrived < 0 ? end : r.arrived) : r.replied;
      g.segs.push([r.sent, ya, r.arrived < 0 ? back : r.arrived, yb, 0]);
      g.segs.push([back, yb, end, mid, 1]); g.mark = [end, mid]; break;
    }
    case 1: {
      const back = r.replied < 0 ? (r.arrived < 0 ? end : r.arrived) : r.replied;
      g.segs.push([r.sent, ya, r.arrived < 0 ? back : r.arrived, yb, 0]);
      g.segs.push([back, yb, end, ya, 1]); break;
    }
    default:
      if (r.arrived >= 0) {
        g.segs.push([r.sent, ya, r.arrived, yb, 0]);
        g.segs.push([r.replied < 0 ? r.arrived : r.replied, yb, END, mid, 2]);
      } else g.segs.push([r.sent, ya, END, mid, 2]);
  }
  return g;
}
function rpcShown(i) {
  const fate = R[i * W_RPC + 7];
  if (!shown.methods.has(R[i * W_RPC + 2])) return false;
  return LOST.has(fate) ? shown.lost : shown.delivered;
}
function visibleRpcs() {
  return visibleRange(nRpc, i => R[i * W_RPC + 3], longest);
}
function paintRpcs() {
  const [i0, i1] = visibleRpcs();
  let count = 0;
  for (let i = i0; i < i1; i++) if (rpcEnd(i) >= t0) count++;
  const dense = count > 4000;
  drawn = 0;
  // One path per method and kind of segment (request, reply, unanswered), stroked once each:
  // a stroke per arrow would make a large run's redraw take seconds. When dense, a segment
  // that another already covers to the pixel is left out: rasterizing a hundred thousand
  // overlapping lines is what makes a zoomed-out frame slow.
  const paths = new Map(), marks = new Path2D(), seen = new Set();
  const px = x => Math.min(Math.max(Math.round(x), -1), 4094) + 1, half = y => Math.min(Math.round(y / 2), 2047);
  for (let i = i0; i < i1; i++) {
    if (rpcEnd(i) < t0 || !rpcShown(i)) continue;
    const g = geometry(i);
    if (!g) continue;
    drawn++;
    for (const [a, ya, b, yb, kind] of g.segs) {
      const key = g.r.method * 3 + kind;
      let p = paths.get(key);
      if (!p) { p = { method: g.r.method, kind, path: new Path2D() }; paths.set(key, p); }
      const x0 = X(a), x1 = X(b);
      if (dense) {
        // 6 + 11 + 11 + 12 + 12 bits: exact in a double.
        const key = (((key0(g.r.method, kind) * 2048 + half(ya)) * 2048 + half(yb)) * 4096 + px(x0)) * 4096 + px(x1);
        if (seen.has(key)) continue;
        seen.add(key);
      }
      p.path.moveTo(x0, ya); p.path.lineTo(x1, yb);
      if (!dense && kind !== 2 && Math.abs(x1 - x0) + Math.abs(yb - ya) > 12) head(p.path, x0, ya, x1, yb);
    }
    if (g.mark) {
      const x = X(g.mark[0]), y = g.mark[1], r = dense ? 2.5 : 3.5;
      if (dense) {
        const key = -((Math.round(x) + 2) * 8192 + Math.round(y));
        if (seen.has(key)) continue;
        seen.add(key);
      }
      marks.moveTo(x - r, y - r); marks.lineTo(x + r, y + r); marks.moveTo(x - r, y + r); marks.lineTo(x + r, y - r);
    }
  }
  for (const { method, kind, path } of paths.values()) {
    ctx.strokeStyle = methodColour(method);
    ctx.lineWidth = kind === 1 ? 0.8 : 1.2;
    ctx.setLineDash(kind === 2 ? [3, 3] : []);
    ctx.globalAlpha = (dense ? 0.35 : 0.85) * (kind === 1 ? 0.6 : 1);
    ctx.stroke(path);
  }
  ctx.setLineDash([]); ctx.globalAlpha = 1;
  ctx.strokeStyle = "#c62828"; ctx.lineWidth = dense ? 1.5 : 2;
  ctx.stroke(marks);
  ctx.lineWidth = 1;
  if (selected && selected.kind === "rpc") {
    const g = geometry(selected.index);
    if (g) {
      ctx.strokeStyle = "#000"; ctx.lineWidth = 2.5;
      for (const [a, ya, b, yb] of g.segs) line(X(a), ya, X(b), yb);
      ctx.lineWidth = 1;
      if (g.mark) cross(X(g.mark[0]), g.mark[1], 5, "#000");
    }
  }
}
/** A number below 64 for a method and a kind of segment, to key segments by. */
function key0(method, kind) { return (method % 21) * 3 + kind; }
function head(path, x0, y0, x1, y1) {
  const ang = Math.atan2(y1 - y0, x1 - x0), s = 6;
  path.moveTo(x1, y1);
  path.lineTo(x1 - s * Math.cos(ang - 0.4), y1 - s * Math.sin(ang - 0.4));
  path.moveTo(x1, y1);
  path.lineTo(x1 - s * Math.cos(ang + 0.4), y1 - s * Math.sin(ang + 0.4));
}
function failurePoint() {
  if (!FAILED) return null;
  const [at, lane] = D.failure;
  const row = rowOf.get(lane) || rows[0];
  return { x: X(at), y: row ? row.yc : AXIS + NET };
}
function paintFailure() {
  const p = failurePoint();
  if (!p || p.x < -20 || p.x > width + 20) return;
  ctx.fillStyle = "#c62828";
  ctx.fillRect(p.x - 1, AXIS, 2.5, height - AXIS);
  ctx.beginPath();
  ctx.moveTo(p.x, p.y - 9); ctx.lineTo(p.x + 9, p.y); ctx.lineTo(p.x, p.y + 9); ctx.lineTo(p.x - 9, p.y); ctx.fill();
  ctx.font = "bold 12px system-ui, sans-serif";
  const text = "✕ failed here";
  const tw = ctx.measureText(text).width;
  const tx = p.x + 12 + tw > width ? p.x - 12 - tw : p.x + 12;
  ctx.fillStyle = "#fff"; ctx.fillRect(tx - 2, AXIS + 3, tw + 4, 15);
  ctx.fillStyle = "#c62828"; ctx.fillText(text, tx, AXIS + 15);
  ctx.font = "11px system-ui, sans-serif";
}
function showStates() {
  const t = cursor === null ? (selected ? selected.at : null) : cursor;
  for (const row of rows) {
    if (t === null) { row.value.textContent = ""; continue; }
    row.value.textContent = stateAt(row.lane, t).map(([, text]) => S[text]).join(" · ");
  }
}

// ---- the log list: lines of the window, filtered ----
const MAX_LIST = 300;
let listed = "";
function fillLogList() {
  const key = [t0, t1, shown.lanes.size, shown.topics.size, selected && selected.kind === "log" ? selected.index : -1].join();
  if (key === listed) return;
  listed = key;
  logBox.replaceChildren();
  const i0 = lower(D.logs.length / W4, j => D.logs[j * W4], t0), i1 = lower(D.logs.length / W4, j => D.logs[j * W4], t1 + 1);
  let n = 0, more = 0;
  const frag = document.createDocumentFragment();
  for (let j = i0; j < i1; j++) {
    const o = j * W4;
    if (!shown.lanes.has(D.logs[o + 1]) || !shown.topics.has(D.logs[o + 2])) continue;
    if (n >= MAX_LIST) { more++; continue; }
    n++;
    const div = el("div", { class: "line" + (selected && selected.kind === "log" && selected.index === j ? " sel" : "") }, frag);
    el("span", { class: "t" }, div, `${(D.logs[o] / 1e6).toFixed(6)} `);
    el("span", { style: `color:${topicColour(D.logs[o + 2])}` }, div, `${S[D.logs[o + 2]]} `);
    el("span", { class: "lane" }, div, `${lanes[D.logs[o + 1]].name} `);
    div.append(S[D.logs[o + 3]]);
    div.onclick = () => select({ kind: "log", index: j, at: D.logs[o] });
  }
  el("h2", {}, logBox, `Log lines in the window (${n + more})` + (more ? `: the first ${MAX_LIST} shown; zoom in for the rest` : ""));
  logBox.appendChild(frag);
}

// ---- picking and details ----
function distToSegment(px, py, x0, y0, x1, y1) {
  const dx = x1 - x0, dy = y1 - y0, len = dx * dx + dy * dy;
  const u = len ? Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / len)) : 0;
  return Math.hypot(px - (x0 + u * dx), py - (y0 + u * dy));
}
/** What is drawn nearest to canvas point (x, y), within a few pixels. */
function pick(x, y) {
  let best = null, bestD = 7;
  const offer = (d, item) => { if (d < bestD) { bestD = d; best = item; } };
  const fp = failurePoint();
  if (fp) offer(Math.hypot(x - fp.x, y - fp.y) - 4, { kind: "failure", at: D.failure[0] });
  const row = rows.find(r => y >= r.top && y < r.top + r.h);
  if (row) {
    const l = lanes[row.lane];
    for (const m of l.machines) offer(Math.hypot(x - X(m.at), y - row.yc) - 2, { kind: "machine", lane: l.id, m, at: m.at });
    let ty = row.top + 3;
    for (const [track, values] of l.tracks) {
      if (y >= ty && y < ty + TRACK) {
        const t = T(x), k = lower(values.length, j => values[j][0], t + 1) - 1;
        if (k >= 0) offer(3, { kind: "state", lane: l.id, track, k, at: values[k][0] });
      }
      ty += TRACK;
    }
    for (const i of l.ops) {
      const o = i * W_OP, a = X(D.ops[o + 2]), b = X(D.ops[o + 3] < 0 ? END : D.ops[o + 3]);
      if (x >= a - 2 && x <= b + 2 && Math.abs(y - row.yc) < 10) offer(4, { kind: "op", index: i, at: D.ops[o + 2] });
    }
    if (shown.notes) for (const i of l.notes) offer(Math.abs(x - X(D.notes[i * W4])) + 1, { kind: "note", index: i, at: D.notes[i * W4] });
    if (shown.logs && y > row.yc + 1 && y < row.yc + 10) {
      for (const j of l.logs) {
        const o = j * W4;
        if (shown.topics.has(D.logs[o + 2])) offer(Math.abs(x - X(D.logs[o])) + 2, { kind: "log", index: j, at: D.logs[o] });
      }
    }
  }
  const [i0, i1] = visibleRpcs();
  for (let i = i0; i < i1; i++) {
    if (rpcEnd(i) < t0 || !rpcShown(i)) continue;
    const g = geometry(i);
    if (!g) continue;
    for (const [a, ya, b, yb] of g.segs) offer(distToSegment(x, y, X(a), ya, X(b), yb), { kind: "rpc", index: i, at: g.r.sent });
    if (g.mark) offer(Math.hypot(x - X(g.mark[0]), y - g.mark[1]) - 2, { kind: "rpc", index: i, at: g.r.sent });
  }
  return best;
}
function dl(parent, pairs) {
  const d = el("dl", {}, parent);
  for (const [k, v] of pairs) { el("dt", {}, d, k); el("dd", {}, d, v); }
  return d;
}
function payload(parent, title, text, bytes) {
  el("div", {}, parent, `${title} (${bytes} bytes)`);
  el("div", { class: "payload" }, parent, text >= 0 ? S[text] : "(not recorded)");
}
function statesAround(parent, lane, t, label) {
  const values = stateAt(lane, t);
  if (!values.length) return;
  el("div", {}, parent, `${lanes[lane].name}${label ? " " + label : ""}: ` + values.map(([track, text]) => `${S[track]} ${S[text]}`).join(" · "));
}
function linesAround(parent, laneIds, t) {
  const n = D.logs.length / W4, span = 20000;
  const i0 = lower(n, j => D.logs[j * W4], t - span), i1 = lower(n, j => D.logs[j * W4], t + span);
  const ul = el("ul", {}, null);
  let k = 0;
  for (let j = i0; j < i1 && k < 14; j++) {
    const o = j * W4;
    if (!laneIds.includes(D.logs[o + 1])) continue;
    k++;
    const li = el("li", {}, ul, `${(D.logs[o] / 1e6).toFixed(6)} ${S[D.logs[o + 2]]} ${lanes[D.logs[o + 1]].name} ${S[D.logs[o + 3]]}`);
    li.onclick = () => select({ kind: "log", index: j, at: D.logs[o] });
  }
  if (k) { el("h2", {}, parent, "Log lines within 20 ms"); parent.appendChild(ul); }
}
/** The replies clients (and the tester) last got before `at`: often what the failing check has
 * just been told. */
function lastReplies(parent, at) {
  const found = [];
  for (let i = lower(nRpc, j => R[j * W_RPC + 3], at + 1) - 1; i >= 0 && found.length < 2000; i--) {
    const toClient = lanes[R[i * W_RPC]].kind !== "server";
    if (toClient && R[i * W_RPC + 7] === 1 && R[i * W_RPC + 6] <= at) found.push(i);
    if (R[i * W_RPC + 3] < at - longest) break;
  }
  found.sort((a, b) => R[b * W_RPC + 6] - R[a * W_RPC + 6]);
  if (!found.length) return;
  el("h2", {}, parent, "The last replies clients got before it");
  const ul = el("ul", {}, parent);
  for (const i of found.slice(0, 6)) {
    const r = rpc(i);
    const li = el("li", {}, ul, `${secs(r.ended)} ${S[r.method]} ${lanes[r.from].name} → ${lanes[r.to].name}: ` +
      `${r.args >= 0 ? S[r.args] : ""} → ${r.reply >= 0 ? S[r.reply] : ""}`);
    li.onclick = () => select({ kind: "rpc", index: i, at: r.sent });
  }
}
function timelineHref(client, at) {
  const timeline = D.attachments.find(([, , isTimeline]) => isTimeline);
  return timeline ? `${timeline[1]}#client=${client}&t=${at}` : null;
}
function details(item) {
  aside.replaceChildren();
  if (!item) return;
  switch (item.kind) {
    case "rpc": {
      const r = rpc(item.index), end = r.ended < 0 ? null : r.ended;
      el("h2", {}, aside, `${S[r.method]}: ${lanes[r.from].name} → ${lanes[r.to].name}`);
      dl(aside, [["outcome", FATE[r.fate]], ["end", S[r.end]], ["sent", secs(r.sent)],
        ["arrived", r.arrived < 0 ? "never" : `${secs(r.arrived)} (+${((r.arrived - r.sent) / 1000).toFixed(3)} ms)`],
        ["replied", r.replied < 0 ? "—" : secs(r.replied)],
        ["ended", end === null ? "—" : `${secs(end)} (${((end - r.sent) / 1000).toFixed(3)} ms after sending)`]]);
      payload(aside, "Arguments", r.args, r.argsLen);
      payload(aside, "Reply", r.reply, r.replyLen);
      if (r.op >= 0) {
        const o = r.op * W_OP;
        el("div", {}, aside, `Sent for client ${D.ops[o + 1]}'s ${S[D.ops[o + 4]]}`);
      }
      el("h2", {}, aside, "State around it");
      statesAround(aside, r.from, r.sent, `when it was sent`);
      if (r.arrived >= 0) statesAround(aside, r.to, r.arrived, `when it arrived`);
      if (end !== null) statesAround(aside, r.from, end, `when it ended`);
      linesAround(aside, [r.from, r.to], r.sent);
      break;
    }
    case "machine": {
      const m = item.m;
      el("h2", {}, aside, `${lanes[item.lane].name} ${m.kind === 1 ? "crashed" : m.n === 0 ? "started" : "restarted"}`);
      dl(aside, [["at", secs(m.at)], m.kind === 1 ? ["tasks aborted", String(m.n)] : ["incarnation", String(m.n)]]);
      statesAround(aside, item.lane, m.at - 1, "just before");
      linesAround(aside, [item.lane, 0], m.at);
      break;
    }
    case "state": {
      const values = lanes[item.lane].tracks.get(item.track);
      const [at, text] = values[item.k];
      el("h2", {}, aside, `${lanes[item.lane].name}: ${S[item.track]}`);
      dl(aside, [["value", S[text]], ["from", secs(at)], ["until", item.k + 1 < values.length ? secs(values[item.k + 1][0]) : "the end"],
        ["before", item.k > 0 ? S[values[item.k - 1][1]] : "—"]]);
      linesAround(aside, [item.lane], at);
      break;
    }
    case "op": {
      const o = item.index * W_OP;
      el("h2", {}, aside, `client ${D.ops[o + 1]}: ${S[D.ops[o + 4]]}`);
      dl(aside, [["returned", D.ops[o + 5] >= 0 ? S[D.ops[o + 5]] : "never"], ["called", secs(D.ops[o + 2])],
        ["returned at", D.ops[o + 3] < 0 ? "never" : secs(D.ops[o + 3])]]);
      const href = timelineHref(D.ops[o + 1], D.ops[o + 2]);
      if (href) el("a", { href, class: "to-timeline" }, aside, "Show it in the linearizability timeline");
      break;
    }
    case "note": {
      const o = item.index * W4;
      el("h2", {}, aside, `${S[D.notes[o + 2]]} (${lanes[D.notes[o + 1]].name})`);
      dl(aside, [["at", secs(D.notes[o])], ["what", S[D.notes[o + 3]]]]);
      linesAround(aside, [0, D.notes[o + 1]], D.notes[o]);
      break;
    }
    case "log": {
      const o = item.index * W4, lane = D.logs[o + 1];
      el("h2", {}, aside, `${S[D.logs[o + 2]]} on ${lanes[lane].name}`);
      dl(aside, [["at", secs(D.logs[o])], ["line", S[D.logs[o + 3]]]]);
      statesAround(aside, lane, D.logs[o], "then");
      linesAround(aside, [lane], D.logs[o]);
      break;
    }
    case "failure": {
      el("h2", {}, aside, `Failed at ${secs(D.failure[0])} on ${lanes[D.failure[1]].name}`);
      el("div", { class: "payload" }, aside, D.message);
      lastReplies(aside, D.failure[0]);
      el("h2", {}, aside, "State of every server then");
      for (const l of lanes) if (l.kind === "server") statesAround(aside, l.id, D.failure[0], "");
      linesAround(aside, lanes.map(l => l.id), D.failure[0]);
      break;
    }
  }
}
function select(item) {
  selected = item;
  details(item);
  if (item && (item.at < t0 || item.at > t1)) {
    const span = t1 - t0;
    setWindow(item.at - span / 2, item.at + span / 2);
  } else draw();
}

// ---- interaction ----
let drag = null;
canvas.addEventListener("mousedown", ev => {
  drag = { x: ev.offsetX, t0, t1, shift: ev.shiftKey, moved: false };
});
window.addEventListener("mouseup", ev => {
  if (!drag) return;
  const d = drag;
  drag = null;
  if (d.shift && d.moved) {
    const a = T(Math.min(d.x, ev.offsetX)), b = T(Math.max(d.x, ev.offsetX));
    if (b > a) setWindow(a, b);
  } else if (!d.moved && ev.target === canvas) select(pick(ev.offsetX, ev.offsetY));
});
canvas.addEventListener("mousemove", ev => {
  cursor = T(ev.offsetX);
  if (drag) {
    if (Math.abs(ev.offsetX - drag.x) > 3) drag.moved = true;
    if (drag.moved && !drag.shift) {
      const dt = ((ev.offsetX - drag.x) / width) * (drag.t1 - drag.t0);
      setWindow(drag.t0 - dt, drag.t1 - dt);
      return;
    }
  }
  draw();
});
canvas.addEventListener("mouseleave", () => { cursor = null; draw(); });
canvas.addEventListener("wheel", ev => {
  ev.preventDefault();
  zoom(Math.pow(1.0015, ev.deltaY), T(ev.offsetX));
}, { passive: false });
window.addEventListener("keydown", ev => {
  if (ev.target.tagName === "INPUT") return;
  const span = t1 - t0;
  if (ev.key === "+" || ev.key === "=") zoom(0.5);
  else if (ev.key === "-") zoom(2);
  else if (ev.key === "ArrowLeft") setWindow(t0 - span / 4, t1 - span / 4);
  else if (ev.key === "ArrowRight") setWindow(t0 + span / 4, t1 + span / 4);
});
function jumpToFailure() {
  if (!FAILED) return;
  // The seconds before the failure, or the whole run when it is short: what led up to it.
  const at = D.failure[0], span = Math.min(END * 1.1, 6e6);
  setWindow(END <= 6e6 ? 0 : at - span * 0.85, at + span * 0.15);
  select({ kind: "failure", at });
}
jump.onclick = jumpToFailure;
fit.onclick = () => setWindow(0, END);
zin.onclick = () => zoom(0.5);
zout.onclick = () => zoom(2);
for (const box of [fromBox, toBox]) {
  box.onchange = () => {
    const a = parseFloat(fromBox.value) * 1e6, b = parseFloat(toBox.value) * 1e6;
    if (b > a) setWindow(a, b);
  };
}
window.addEventListener("resize", resize);

/** `#t=<µs>` (the linearizability timeline's links): centre the window on that moment. */
function followHash() {
  const m = /t=(-?\d+)/.exec(location.hash);
  if (!m) return false;
  const at = Number(m[1]), span = Math.min(END, 2e6);
  cursor = null;
  setWindow(at - span / 2, at + span / 2);
  selected = { kind: "instant", at };
  return true;
}
window.addEventListener("hashchange", followHash);

started.push(performance.now());
layout();
started.push(performance.now());
if (!followHash()) setWindow(0, END);

// What tests (and curious students, in the console) can ask the page.
window.runView = {
  ready: false,
  lanes: () => rows.map(r => lanes[r.lane].name),
  servers: () => rows.filter(r => lanes[r.lane].kind === "server").map(r => lanes[r.lane].name),
  rpcs: filter => { const out = []; for (let i = 0; i < nRpc; i++) { const r = rpc(i); if (!filter || filter(r, S)) out.push(i); } return out; },
  rpc: i => { const r = rpc(i); return { ...r, method: S[r.method], fate: FATE[r.fate], lost: LOST.has(r.fate) }; },
  /** The page coordinates of RPC i's mark (a lost one) or its first arrow's head, if on screen. */
  locate: i => {
    const g = geometry(i);
    if (!g) return null;
    const [t, y] = g.mark || [g.segs[0][2], g.segs[0][3]];
    const box = canvas.getBoundingClientRect();
    const x = X(t);
    return x < 0 || x > width ? null : { x: box.left + x, y: box.top + y };
  },
  /** What a click at page point (x, y) would select. */
  pick: (x, y) => { const box = canvas.getBoundingClientRect(); return pick(x - box.left, y - box.top); },
  failureOnScreen: () => {
    const p = failurePoint();
    if (!p) return null;
    const box = canvas.getBoundingClientRect();
    return p.x < 0 || p.x > width ? null : { x: box.left + p.x, y: box.top + p.y };
  },
  setWindow, jumpToFailure, select,
  window: () => [t0, t1],
  drawMs: () => lastDraw,
  drawnRpcs: () => drawn,
  failed: FAILED,
  events: nRpc + (D.logs.length + D.states.length + D.machines.length + D.notes.length + D.modes.length) / W4 +
    D.ops.length / W_OP + nSides,
  /** Everything the run recorded (RPCs, log lines, state changes, operations, machine and link
   * changes, notes and modes), drawn or summarized. */
  recordedEvents: D.totals.reduce((a, b) => a + b, 0),
  loadMs: 0,
};
requestAnimationFrame(() => requestAnimationFrame(() => {
  window.runView.loadMs = performance.now();
  window.runView.phases = [...started, performance.now()];
  window.runView.ready = true;
}));
