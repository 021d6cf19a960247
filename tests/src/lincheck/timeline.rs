//! The HTML timeline of a checked history: one self-contained file (inline style, script and
//! data; nothing fetched), readable offline.
//!
//! Per partition it shows one row per client with a bar for each operation from its call to its
//! return, numbers the operations of the linearization (or, when there is none, of the longest
//! linearizable prefix the search found) and joins their linearization points with a line, and
//! for an illegal partition lists the operations that could come next and why none fits. The
//! harness's annotations (partitions, crashes) are drawn as bands above the rows. Hovering a bar
//! shows its operation, times and the state after it. When the run has a view (`labrpc::view`),
//! clicking a bar opens the view at the operation's call, and the view links back here
//! (`#client=<n>&t=<µs>` focuses that operation).

use std::path::Path;

use serde::Serialize;

use super::check::{CheckResult, PartitionResult, Verdict};
use super::history::{History, NEVER_RETURNED};
use super::model::Model;

const STYLE: &str = include_str!("timeline.css");
const SCRIPT: &str = include_str!("timeline.js");
/// Descriptions longer than this are shortened (a KV value can be megabytes).
const MAX_TEXT: usize = 240;

#[derive(Serialize)]
struct Page {
    title: String,
    verdict: String,
    summary: String,
    /// The run view's address, if the run has one.
    view: Option<String>,
    partitions: Vec<PartitionView>,
}

#[derive(Serialize)]
struct PartitionView {
    label: String,
    verdict: String,
    /// Number of distinct event positions on the x axis.
    width: usize,
    clients: Vec<usize>,
    ops: Vec<OpView>,
    /// Indices into `ops`: the linearization, or the longest linearizable prefix.
    order: Vec<usize>,
    initial: String,
    /// State after each operation of `order`.
    states: Vec<String>,
    /// For an illegal partition: each operation that could come after the prefix, and why not.
    breaks: Vec<BreakView>,
    annotations: Vec<AnnotationView>,
}

#[derive(Serialize)]
struct OpView {
    client: usize,
    /// Virtual time of the call in microseconds, when recorded under the simulator.
    t: Option<u64>,
    x0: usize,
    x1: usize,
    text: String,
    call: String,
    ret: String,
}

#[derive(Serialize)]
struct BreakView {
    op: usize,
    why: String,
}

#[derive(Serialize)]
struct AnnotationView {
    tag: String,
    text: String,
    x0: f64,
    x1: f64,
    when: String,
}

/// Shortens long text to its start and end, which is where KV values differ.
fn abbreviate(s: String) -> String {
    if s.chars().count() <= MAX_TEXT {
        return s;
    }
    let chars: Vec<char> = s.chars().collect();
    let head: String = chars[..MAX_TEXT / 4].iter().collect();
    let tail: String = chars[chars.len() - MAX_TEXT / 2..].iter().collect();
    format!("{head} … {tail} ({} characters)", chars.len())
}

fn stamp_text<I, O>(history: &History<I, O>, stamp: u64) -> String {
    if stamp == NEVER_RETURNED {
        return "never (outcome unknown)".to_string();
    }
    match history.virtual_time(stamp) {
        Some(t) => format!("{:.3} s (event {stamp})", t.as_secs_f64()),
        None => format!("event {stamp}"),
    }
}

fn partition_view<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    result: &PartitionResult,
) -> PartitionView {
    let ops: Vec<_> = result.ops.iter().map(|&i| &history.ops[i]).collect();
    // The x axis is the order of events, not their times: every call and return gets a column.
    let mut stamps: Vec<u64> = ops
        .iter()
        .flat_map(|o| [o.call, o.ret])
        .filter(|&t| t != NEVER_RETURNED)
        .collect();
    stamps.sort_unstable();
    stamps.dedup();
    let column = |t: u64| {
        if t == NEVER_RETURNED {
            stamps.len() + 1
        } else {
            stamps.partition_point(|&s| s < t)
        }
    };
    let mut clients: Vec<usize> = ops.iter().map(|o| o.client).collect();
    clients.sort_unstable();
    clients.dedup();

    let local: std::collections::HashMap<usize, usize> = result
        .ops
        .iter()
        .enumerate()
        .map(|(k, &i)| (i, k))
        .collect();
    let order: Vec<usize> = result.linearization.iter().map(|i| local[i]).collect();
    let mut state = model.init();
    let initial = abbreviate(model.describe_state(&state));
    let mut states = Vec::with_capacity(order.len());
    for &k in &order {
        state = model
            .step(&state, &ops[k].input, &ops[k].output)
            .expect("the checker only reports orders the model accepts");
        states.push(abbreviate(model.describe_state(&state)));
    }

    let mut breaks = Vec::new();
    if result.verdict == Verdict::Illegal {
        let mut done = vec![false; ops.len()];
        for &k in &order {
            done[k] = true;
        }
        let deadline = (0..ops.len())
            .filter(|&k| !done[k])
            .map(|k| ops[k].ret)
            .min()
            .unwrap_or(NEVER_RETURNED);
        for k in (0..ops.len()).filter(|&k| !done[k] && ops[k].call <= deadline) {
            let why = match model.step(&state, &ops[k].input, &ops[k].output) {
                None => format!(
                    "cannot come next: its answer is impossible when the state is {}",
                    abbreviate(model.describe_state(&state))
                ),
                Some(_) => "could come next, but then no order of the remaining operations fits"
                    .to_string(),
            };
            breaks.push(BreakView { op: k, why });
        }
    }

    let first = stamps.first().copied().unwrap_or(0);
    let last = stamps.last().copied().unwrap_or(0);
    let annotations = history
        .annotations
        .iter()
        .filter(|a| a.end >= first && a.start <= last)
        .map(|a| {
            let at = |t: u64| stamps.partition_point(|&s| s < t) as f64 - 0.5;
            let when = if a.start == a.end {
                stamp_text(history, a.start)
            } else {
                format!(
                    "{} to {}",
                    stamp_text(history, a.start),
                    stamp_text(history, a.end)
                )
            };
            AnnotationView {
                tag: a.tag.clone(),
                text: a.text.clone(),
                x0: at(a.start),
                x1: at(a.end),
                when,
            }
        })
        .collect();

    PartitionView {
        label: result.label.clone(),
        verdict: result.verdict.to_string(),
        width: stamps.len() + 2,
        clients,
        ops: ops
            .iter()
            .map(|o| OpView {
                client: o.client,
                t: history.virtual_time(o.call).map(|t| t.as_micros() as u64),
                x0: column(o.call),
                x1: column(o.ret),
                text: abbreviate(model.describe_operation(&o.input, &o.output)),
                call: stamp_text(history, o.call),
                ret: stamp_text(history, o.ret),
            })
            .collect(),
        order,
        initial,
        states,
        breaks,
        annotations,
    }
}

/// The timeline as one HTML document, linked to the run view at `run_view` if given.
pub fn render<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    result: &CheckResult,
    title: &str,
    run_view: Option<&Path>,
) -> String {
    let mut partitions: Vec<PartitionView> = result
        .partitions
        .iter()
        .map(|p| partition_view(model, history, p))
        .collect();
    // Failing partitions first: they are what the reader came for.
    partitions.sort_by_key(|p| match p.verdict.as_str() {
        "illegal" => 0,
        "unknown" => 1,
        _ => 2,
    });
    let summary = match result.verdict {
        Verdict::Ok => "Every partition is linearizable.".to_string(),
        Verdict::Illegal => "Not linearizable: no order of the operations of the partition(s) \
             marked illegal respects real time and gives each operation its answer."
            .to_string(),
        Verdict::Unknown => format!(
            "Undecided: the check {} before deciding.",
            if result.timed_out {
                "ran out of time"
            } else {
                "stopped"
            }
        ),
    };
    let page = Page {
        title: title.to_string(),
        verdict: result.verdict.to_string(),
        summary,
        view: run_view.map(|p| format!("file://{}", p.display())),
        partitions,
    };
    // `</` inside the data would end the script element early.
    let data = serde_json::to_string(&page)
        .expect("timeline data is plain strings and numbers")
        .replace("</", "<\\/");
    let title = html_escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n<div id=\"app\"></div>\n\
         <script id=\"data\" type=\"application/json\">{data}</script>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    )
}

/// Writes [`render`]'s document to `path`.
pub fn write<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    result: &CheckResult,
    title: &str,
    run_view: Option<&Path>,
    path: &Path,
) -> std::io::Result<()> {
    std::fs::write(path, render(model, history, result, title, run_view))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
