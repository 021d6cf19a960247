//! A recording as one HTML file: the data as compact JSON (flat arrays of numbers, strings kept
//! once), the viewer's script and style inline; nothing is fetched.
//!
//! A file stays under [`MAX_BYTES`]. When the whole run does not fit, the view keeps every detail
//! of the last part of the run, the window that fits and ends where the run ended (where a failure
//! is), and before it keeps what is small and explains the rest: machine starts and crashes, link
//! changes, the harness's notes and the network's modes stay whole; each state track keeps its
//! last value before the window; RPCs become counts per 100 ms (sent and lost); log lines and
//! client operations are counted. The page says where its window starts and what was summarized.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use super::files::SIGNATURE;
use super::reach;
use super::recording::{Fate, LaneKind, Machine, Micros, Recording};

const STYLE: &str = include_str!("view.css");
const SCRIPT: &str = include_str!("view.js");

/// The largest file a view may be.
pub(crate) const MAX_BYTES: usize = 20_000_000;
/// What the viewer's script, style and the fixed parts of the page may take, kept out of the
/// data's budget.
const MARGIN: usize = 400_000;
/// The width of a bucket of summarized RPCs.
const BUCKET: Micros = 100_000;

/// How the run ended, for the page's header.
pub(crate) struct Outcome<'a> {
    pub test: &'a str,
    pub package: Option<&'a str>,
    pub seed: u64,
    pub virtual_time: Duration,
    /// When the run failed, on which machine's lane (none: the tester's), and why.
    pub failure: Option<(Micros, Option<&'a str>, &'a str)>,
    pub replay: &'a str,
    /// How the view came to be recorded (`LAB_VIEW=1`, or a replay of a failing seed).
    pub recorded: &'a str,
}

/// The HTML file of `recording`.
pub(crate) fn render(recording: &Recording, outcome: &Outcome<'_>) -> String {
    let mut budget = MAX_BYTES - MARGIN;
    loop {
        let page = render_within(recording, outcome, budget);
        if page.len() <= MAX_BYTES || budget < MAX_BYTES / 8 {
            return page;
        }
        // The estimate was short; try again with less.
        budget = budget * 4 / 5;
    }
}

/// The JSON bytes of numbers in a flat array: their digits and a comma each. String numbers
/// count as they were recorded, which is no fewer digits than the page's own numbering.
fn bytes(values: &[i64]) -> usize {
    values
        .iter()
        .map(|&v| {
            1 + usize::from(v < 0) + v.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 1
        })
        .sum()
}

fn id(s: Option<u32>) -> i64 {
    s.map_or(-1, i64::from)
}

/// Where detail starts: every RPC, log line, state change and operation from this time on (or
/// all of them, when `None`).
fn window_start(r: &Recording, fixed: &mut Seen, budget: usize) -> Option<Micros> {
    let mut total = fixed.bytes;
    let mut items: Vec<(Micros, usize, Vec<u32>)> = Vec::new();
    for rpc in &r.rpcs {
        let strings = [Some(rpc.method), Some(rpc.end), rpc.args, rpc.reply];
        let numbers = [
            rpc.from.into(),
            rpc.to.into(),
            rpc.method.into(),
            rpc.sent as i64,
            opt(rpc.arrived),
            opt(rpc.replied),
            opt(rpc.ended),
            0,
            rpc.args_len.into(),
            rpc.reply_len.into(),
            id(rpc.args),
            id(rpc.reply),
            rpc.end.into(),
            id(rpc.op),
        ];
        items.push((
            rpc.sent,
            bytes(&numbers),
            strings.into_iter().flatten().collect(),
        ));
    }
    for l in &r.logs {
        let numbers = [l.at as i64, l.lane.into(), l.tag.into(), l.text.into()];
        items.push((l.at, bytes(&numbers), vec![l.tag, l.text]));
    }
    for s in &r.states {
        let numbers = [s.at as i64, s.lane.into(), s.track.into(), s.text.into()];
        items.push((s.at, bytes(&numbers), vec![s.track, s.text]));
    }
    for op in &r.ops {
        let strings = [Some(op.text), op.result];
        let numbers = [
            op.lane.into(),
            op.client as i64,
            op.call as i64,
            opt(op.ret),
            op.text.into(),
            id(op.result),
        ];
        items.push((
            op.call,
            bytes(&numbers),
            strings.into_iter().flatten().collect(),
        ));
    }
    items.sort_by_key(|&(at, ..)| std::cmp::Reverse(at));
    for (at, bytes, strings) in items {
        total += bytes + strings.iter().map(|&s| fixed.cost(r, s)).sum::<usize>();
        if total > budget {
            return Some(at + 1);
        }
    }
    None
}

/// Strings already counted, and the bytes counted so far.
#[derive(Default)]
struct Seen {
    strings: HashSet<u32>,
    bytes: usize,
}

impl Seen {
    fn cost(&mut self, r: &Recording, s: u32) -> usize {
        if self.strings.insert(s) {
            r.strings.all[s as usize].len() + 4
        } else {
            0
        }
    }
}

/// The page's data as JSON; strings are renumbered to those the page uses.
struct Json {
    out: String,
    ids: HashMap<u32, u32>,
    strings: Vec<u32>,
}

impl Json {
    fn s(&mut self, id: u32) -> i64 {
        let next = self.strings.len() as u32;
        let new = *self.ids.entry(id).or_insert(next);
        if new == next {
            self.strings.push(id);
        }
        i64::from(new)
    }

    fn key(&mut self, key: &str) {
        let _ = write!(self.out, ",\"{key}\":");
    }

    /// A flat array of numbers, `n` per item.
    fn numbers(&mut self, key: &str, values: impl IntoIterator<Item = i64>) {
        self.key(key);
        self.out.push('[');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            let _ = write!(self.out, "{v}");
        }
        self.out.push(']');
    }

    fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        self.out.push_str(&quote(value));
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string always encodes")
}

fn opt(t: Option<Micros>) -> i64 {
    t.map_or(-1, |t| t as i64)
}

fn fate_code(fate: Fate) -> i64 {
    match fate {
        Fate::InFlight => 0,
        Fate::Delivered => 1,
        Fate::LostRequest => 2,
        Fate::LostReply => 3,
        Fate::Unreachable => 4,
        Fate::NoReply => 5,
    }
}

fn render_within(r: &Recording, outcome: &Outcome<'_>, budget: usize) -> String {
    let mut fixed = Seen::default();
    for l in r.notes.iter().chain(&r.modes) {
        let numbers = [l.at as i64, l.lane.into(), l.tag.into(), l.text.into()];
        fixed.bytes += bytes(&numbers) + fixed.cost(r, l.tag) + fixed.cost(r, l.text);
    }
    fixed.bytes += 24 * (r.machines.len() + r.links.len()) + 64 * r.lanes.len();
    let from = window_start(r, &mut fixed, budget);
    let kept = |t: Micros| from.is_none_or(|from| t >= from);

    let mut j = Json {
        out: String::with_capacity(budget.min(1 << 24)),
        ids: HashMap::new(),
        strings: Vec::new(),
    };
    let _ = write!(j.out, "{{\"version\":1");
    j.text("test", outcome.test);
    j.text("package", outcome.package.unwrap_or(""));
    j.text("seed", &outcome.seed.to_string());
    j.numbers("end", [outcome.virtual_time.as_micros() as i64]);
    j.text("replay", outcome.replay);
    j.text("recorded", outcome.recorded);
    match outcome.failure {
        Some((at, lane, message)) => {
            let lane = lane
                .and_then(|name| r.lanes.iter().position(|l| l.name == name))
                .map_or(0, |i| i as i64);
            j.numbers("failure", [at as i64, lane]);
            j.text("message", message);
        }
        None => j.numbers("failure", []),
    }
    j.key("lanes");
    let lanes: Vec<String> = r
        .lanes
        .iter()
        .map(|l| {
            let kind = match l.kind {
                LaneKind::Tester => "tester",
                LaneKind::Server => "server",
                LaneKind::Client => "client",
            };
            format!("[{},\"{kind}\"]", quote(&l.name))
        })
        .collect();
    let _ = write!(j.out, "[{}]", lanes.join(","));
    j.key("attachments");
    let attachments: Vec<String> = (r.attachments.iter())
        .map(|a| {
            let href = format!("file://{}", a.path.display());
            format!("[{},{},{}]", quote(&a.label), quote(&href), a.timeline)
        })
        .collect();
    let _ = write!(j.out, "[{}]", attachments.join(","));

    let mut rpcs = Vec::new();
    let mut buckets: Vec<(i64, i64)> = Vec::new();
    for rpc in &r.rpcs {
        if !kept(rpc.sent) {
            let b = (rpc.sent / BUCKET) as usize;
            if buckets.len() <= b {
                buckets.resize(b + 1, (0, 0));
            }
            buckets[b].0 += 1;
            if !matches!(rpc.fate, Fate::Delivered | Fate::InFlight) {
                buckets[b].1 += 1;
            }
            continue;
        }
        let (method, end) = (j.s(rpc.method), j.s(rpc.end));
        let args = rpc.args.map_or(-1, |s| j.s(s));
        let reply = rpc.reply.map_or(-1, |s| j.s(s));
        rpcs.extend([
            i64::from(rpc.from),
            i64::from(rpc.to),
            method,
            rpc.sent as i64,
            opt(rpc.arrived),
            opt(rpc.replied),
            opt(rpc.ended),
            fate_code(rpc.fate),
            i64::from(rpc.args_len),
            i64::from(rpc.reply_len),
            args,
            reply,
            end,
            rpc.op.map_or(-1, i64::from),
        ]);
    }
    j.numbers("rpcs", rpcs);
    j.numbers(
        "summary",
        buckets.iter().flat_map(|&(sent, lost)| [sent, lost]),
    );

    let machines: Vec<i64> = (r.machines.iter())
        .flat_map(|m| {
            let (kind, n) = match m.what {
                Machine::Started(incarnation) => (0, incarnation),
                Machine::Crashed(tasks) => (1, tasks),
            };
            [m.at as i64, i64::from(m.lane), kind, n as i64]
        })
        .collect();
    j.numbers("machines", machines);
    let sides = reach::epochs(&r.lanes, &r.links);
    let sides: Vec<i64> = (sides.iter())
        .flat_map(|e| {
            std::iter::once(e.at as i64).chain(e.side.iter().map(|s| s.map_or(-1, i64::from)))
        })
        .collect();
    j.numbers("sides", sides);

    let mut states = Vec::new();
    let mut before: HashMap<(u32, u32), usize> = HashMap::new();
    for (i, s) in r.states.iter().enumerate() {
        if !kept(s.at) {
            before.insert((s.lane, s.track), i);
        }
    }
    let mut carried: Vec<usize> = before.into_values().collect();
    carried.sort_unstable();
    let kept_states = (r.states.iter().enumerate()).filter(|(_, s)| kept(s.at));
    for i in carried.into_iter().chain(kept_states.map(|(i, _)| i)) {
        let s = &r.states[i];
        let (track, text) = (j.s(s.track), j.s(s.text));
        states.extend([s.at as i64, i64::from(s.lane), track, text]);
    }
    j.numbers("states", states);
    let lines = |j: &mut Json, key: &str, lines: &[super::recording::Line], all: bool| {
        let mut v = Vec::new();
        for l in lines.iter().filter(|l| all || kept(l.at)) {
            let (tag, text) = (j.s(l.tag), j.s(l.text));
            v.extend([l.at as i64, i64::from(l.lane), tag, text]);
        }
        j.numbers(key, v);
    };
    lines(&mut j, "logs", &r.logs, false);
    lines(&mut j, "notes", &r.notes, true);
    lines(&mut j, "modes", &r.modes, true);
    let mut ops = Vec::new();
    for op in r.ops.iter().filter(|op| kept(op.call)) {
        let (text, result) = (j.s(op.text), op.result.map_or(-1, |s| j.s(s)));
        ops.extend([
            i64::from(op.lane),
            op.client as i64,
            op.call as i64,
            opt(op.ret),
            text,
            result,
        ]);
    }
    j.numbers("ops", ops);
    let cut = |n: usize, kept: usize| n - kept;
    let logs_cut = cut(r.logs.len(), r.logs.iter().filter(|l| kept(l.at)).count());
    let ops_cut = cut(r.ops.len(), r.ops.iter().filter(|o| kept(o.call)).count());
    j.numbers(
        "window",
        match from {
            Some(from) => vec![from as i64, BUCKET as i64, logs_cut as i64, ops_cut as i64],
            None => vec![],
        },
    );
    let totals = [
        r.rpcs.len(),
        r.logs.len(),
        r.states.len(),
        r.ops.len(),
        r.machines.len() + r.links.len() + r.notes.len() + r.modes.len(),
    ];
    j.numbers("totals", totals.map(|n| n as i64));
    let strings: Vec<String> = (j.strings.iter())
        .map(|&s| quote(&r.strings.all[s as usize]))
        .collect();
    let _ = write!(j.out, ",\"strings\":[{}]}}", strings.join(","));

    // `</` inside the data would end the script element early.
    let data = j.out.replace("</", "<\\/");
    let title = html_escape(&format!(
        "{} seed {}: {}",
        outcome.test,
        outcome.seed,
        if outcome.failure.is_some() {
            "failed"
        } else {
            "passed"
        }
    ));
    format!(
        "{SIGNATURE}<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n<div id=\"app\"></div>\n\
         <script id=\"data\" type=\"application/json\">{data}</script>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::trace::{Event, Record};

    fn outcome() -> Outcome<'static> {
        Outcome {
            test: "part_1::t_1",
            package: Some("p"),
            seed: 3,
            virtual_time: Duration::from_secs(10),
            failure: Some((9_000_000, Some("S1"), "check </script> failed")),
            replay: "LAB_SEED=3 cargo test",
            recorded: "LAB_VIEW=1",
        }
    }

    /// A run of `n` RPCs, one every millisecond, each with its own arguments.
    fn busy(n: u64) -> Recording {
        let mut r = Recording::new("v.html".into());
        for k in 0..n {
            let args = format!("{{term: {k}, padding: {}}}", "x".repeat(60));
            let send = Record {
                event: Event::Send,
                call: 0,
                end: 0,
                end_name: "S1->S0#1",
                target: "S0",
                method: "Raft.AppendEntries",
                len: 70,
                payload: Some(&args),
            };
            r.traced(k * 1000, 2 * k, &send, Some("S1"), None);
            let deliver = Record {
                event: Event::Deliver,
                call: 2 * k,
                payload: None,
                ..send
            };
            r.traced(k * 1000 + 500, 2 * k + 1, &deliver, None, None);
            r.log(k * 1000, Some("S1"), "LOG1", &format!("sent {k}"));
        }
        r
    }

    #[test]
    fn a_small_run_is_drawn_whole_and_its_data_cannot_end_the_script() {
        let page = render(&busy(50), &outcome());
        assert!(page.starts_with(SIGNATURE));
        assert!(!page.contains("check </script>"), "the message is escaped");
        assert!(page.contains("\"window\":[]"), "nothing summarized");
        assert!(page.contains("\"failure\":[9000000,1]"));
    }

    #[test]
    fn a_run_too_large_keeps_its_last_part_and_counts_the_rest() {
        let page = render_within(&busy(2000), &outcome(), 60_000);
        assert!(page.len() < 60_000 + SCRIPT.len() + STYLE.len() + 2_000);
        let window = page.split("\"window\":[").nth(1).expect("a window");
        let from: u64 = window.split(',').next().unwrap().parse().unwrap();
        assert!(
            from > 1_000_000 && from < 2_000_000,
            "the window starts at {from}"
        );
        assert!(window.starts_with(&format!("{from},{BUCKET},")));
        assert!(page.contains("sent 1999") && !page.contains("\"sent 0\""));
    }
}
