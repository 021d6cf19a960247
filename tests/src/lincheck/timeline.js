"use strict";
// Draws the timeline from the JSON in #data (written by tests::lincheck::timeline).
const data = JSON.parse(document.getElementById("data").textContent);
const COL = 14, ROW = 24, BAR = 16, LEFT = 80, BAND = 26;
const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs, parent, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function tagColour(tag) {
  let h = 0;
  for (const c of tag) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h}, 65%, 55%)`;
}

const app = document.getElementById("app");
el("h1", {}, app, data.title);
el("p", { class: "verdict-" + data.verdict }, app, data.summary);
const legend = el("p", { class: "legend" }, app);
for (const [cls, text] of [["#9ec5ea", "in the linearization or longest linearizable prefix (numbered in order)"],
  ["#ddd", "not in it"], ["#ef9a9a", "could come next after the prefix, but does not fit"]]) {
  const s = el("span", {}, legend); el("i", { style: "background:" + cls }, s); s.append(text);
}
el("p", {}, app, "Bars run from an operation's call to its return, one row per client; the x axis is " +
  "the order of events. Dots mark linearization points. Bands at the top are the test's annotations. " +
  "Hover a bar or band for details." + (data.view ? " Click a bar to see that moment in the run view." : ""));
if (data.view) {
  const p = el("p", {}, app);
  el("a", { href: data.view, id: "run-view-link" }, p, "Open the run view");
  p.append(": every server, message, crash and partition of this run over virtual time.");
}
const tip = el("div", { id: "tip" }, document.body);

function showTip(ev, text) {
  tip.textContent = text;
  tip.style.display = "block";
  const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  const y = ev.clientY + 16 + tip.offsetHeight > window.innerHeight ? ev.clientY - tip.offsetHeight - 8 : ev.clientY + 16;
  tip.style.left = x + "px"; tip.style.top = y + "px";
}
function hideTip() { tip.style.display = "none"; }

function describe(p, k, position, breakWhy) {
  const op = p.ops[k];
  let s = `${op.text}\nclient ${op.client}\ncalled ${op.call}\nreturned ${op.ret}\n`;
  if (position >= 0) s += `linearized #${position + 1} of ${p.ops.length}; state after: ${p.states[position]}`;
  else s += "not in the " + (p.verdict === "ok" ? "linearization" : "longest linearizable prefix");
  if (breakWhy) s += "\n" + breakWhy;
  return s;
}

function render(p, box) {
  const position = new Map(p.order.map((k, i) => [k, i]));
  const breakWhy = new Map(p.breaks.map(b => [b.op, b.why]));
  const info = el("div", {}, box);
  if (p.verdict === "ok") {
    el("p", {}, info, `Linearizable: all ${p.ops.length} operations, numbered in linearization order. Initial state: ${p.initial}.`);
  } else {
    const what = p.verdict === "illegal" ? "Not linearizable." : "Undecided (the check stopped).";
    const after = p.order.length ? p.states[p.order.length - 1] : p.initial;
    el("p", {}, info, `${what} Longest linearizable prefix found: ${p.order.length} of ${p.ops.length} operations ` +
      `(numbered). State after it: ${after}.`);
    if (p.breaks.length) {
      el("p", {}, info, "The operations that could come next, and why none does:");
      const ul = el("ul", { class: "breaks" }, info);
      for (const b of p.breaks) {
        const li = el("li", {}, ul);
        const a = el("a", {}, li, p.ops[b.op].text);
        a.onclick = () => focusOp(b.op);
        li.append(` (client ${p.ops[b.op].client}): ${b.why}`);
      }
    }
  }
  const scroll = el("div", { class: "scroll" }, box);
  const rows = new Map(p.clients.map((c, i) => [c, i]));
  const width = LEFT + p.width * COL + 20, height = BAND + p.clients.length * ROW + 8;
  const svg = el("svg:svg", { width, height, class: p.verdict }, scroll);
  const xOf = col => LEFT + col * COL;
  for (const [c, i] of rows) el("svg:text", { x: 4, y: BAND + i * ROW + ROW / 2 + 4 }, svg, "client " + c);
  for (const a of p.annotations) {
    const x0 = xOf(a.x0 + 0.5), x1 = Math.max(xOf(a.x1 + 0.5), x0 + 2), colour = tagColour(a.tag);
    el("svg:rect", { x: x0, y: BAND, width: x1 - x0, height: height - BAND, fill: colour, "fill-opacity": 0.08 }, svg);
    const band = el("svg:rect", { x: x0, y: 3, width: x1 - x0, height: BAND - 8, fill: colour, "fill-opacity": 0.7, rx: 2 }, svg);
    band.onmousemove = ev => showTip(ev, `${a.tag}: ${a.text}\n${a.when}`);
    band.onmouseleave = hideTip;
  }
  const bars = [];
  p.ops.forEach((op, k) => {
    const y = BAND + rows.get(op.client) * ROW + (ROW - BAR) / 2;
    const x = xOf(op.x0) + 2, w = Math.max(xOf(op.x1) - xOf(op.x0) - 4, 4);
    const pos = position.has(k) ? position.get(k) : -1;
    let cls = "bar " + (breakWhy.has(k) ? "break" : pos >= 0 ? "lin" : "rest");
    if (op.ret.startsWith("never")) cls += " open";
    const r = el("svg:rect", { x, y, width: w, height: BAR, class: cls, "data-client": op.client, "data-t": op.t }, svg);
    r.onmousemove = ev => showTip(ev, describe(p, k, pos, breakWhy.get(k)));
    r.onmouseleave = hideTip;
    if (data.view && op.t !== null) {
      r.style.cursor = "pointer";
      r.onclick = () => { location.href = `${data.view}#t=${op.t}`; };
    }
    bars[k] = { r, x, w, y };
    if (pos >= 0 && w > 14) el("svg:text", { x: x + 3, y: y + BAR - 4 }, svg, "#" + (pos + 1));
  });
  // Linearization points: as early as possible within each bar, in order.
  let last = -Infinity;
  const points = [];
  for (const k of p.order) {
    const b = bars[k];
    const x = Math.min(Math.max(b.x + 3, last + 2), b.x + b.w - 2);
    last = x;
    points.push(`${x},${b.y + BAR / 2}`);
    el("svg:circle", { cx: x, cy: b.y + BAR / 2, r: 2.5, class: "lp" }, svg);
  }
  if (points.length > 1) el("svg:polyline", { points: points.join(" "), class: "lpline" }, svg);

  function focusOp(k) {
    const b = bars[k];
    scroll.scrollLeft = Math.max(0, b.x - scroll.clientWidth / 2);
    b.r.classList.add("hot");
    setTimeout(() => b.r.classList.remove("hot"), 1500);
  }
  if (p.breaks.length) {
    const jump = el("button", {}, info.firstChild, "jump to where it breaks");
    jump.onclick = () => focusOp(p.breaks[0].op);
    if (!location.hash) requestAnimationFrame(() => focusOp(p.breaks[0].op));
  }
  return focusOp;
}

const shown = [];
data.partitions.forEach((p, i) => {
  const d = el("details", {}, app);
  const entry = { p, d, focus: null };
  shown.push(entry);
  const clients = p.clients.length === 1 ? "1 client" : p.clients.length + " clients";
  const s = el("summary", {}, d);
  s.append(`${p.label}: `);
  el("span", { class: "verdict-" + p.verdict }, s, p.verdict);
  s.append(` (${p.ops.length} operations, ${clients})`);
  d.addEventListener("toggle", () => { if (d.open && !entry.focus) entry.focus = render(p, d); });
  // Open what matters: failing partitions, or the first one when all are fine.
  if (p.verdict !== "ok" || (i === 0 && data.verdict === "ok")) d.open = true;
});

// `#client=<n>&t=<µs>` (the run view's links): open that operation's partition and show it.
function followHash() {
  const m = /client=(\d+)&t=(\d+)/.exec(location.hash);
  if (!m) return;
  const client = Number(m[1]), t = Number(m[2]);
  for (const entry of shown) {
    const k = entry.p.ops.findIndex(op => op.client === client && op.t === t);
    if (k < 0) continue;
    entry.d.open = true;
    if (!entry.focus) entry.focus = render(entry.p, entry.d);
    entry.d.scrollIntoView();
    entry.focus(k);
    entry.d.querySelectorAll("rect.bar")[k].classList.add("linked");
    return;
  }
}
window.addEventListener("hashchange", followHash);
followHash();
