//! The convergence check of an eventually consistent store (Lab 6), after the faults stop: no
//! acknowledged write is lost. Every write is recorded with the order of its call and its
//! acknowledgement; at the end, each home replica's copy of a key must come from a write that no
//! acknowledged write of the key followed (one that began only after it was acknowledged), as
//! Jepsen's set-full check classifies each element. A failed write may or may not have taken
//! effect, so it never makes a copy stale, and its value is a copy a replica may hold.
//!
//! ```text
//! let writes = WriteLog::new();
//! writes.record(&key, &value, clerk.put(&key, &value)).await?;
//! assert_converged("churn_6b", &writes, &held);   // held: key -> each home replica's copy
//! ```
//!
//! A failing check writes an HTML page (the writes of each key with a problem on a virtual-time
//! axis, and what each replica holds) next to the linearizability timelines, and names it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::failure_page::escape;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One write of a test, in the order of events: `call` and `ack` are positions in one sequence
/// of calls and acknowledgements, so "began after it was acknowledged" is exact even when the two
/// happen at the same virtual instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub key: String,
    pub value: String,
    pub call: u64,
    /// `None`: it failed, or never returned.
    pub ack: Option<u64>,
    pub called_at: Duration,
    pub acked_at: Option<Duration>,
}

/// Every write of a test; clones record into the same log.
#[derive(Clone, Default)]
pub struct WriteLog {
    inner: Arc<Mutex<Log>>,
}

#[derive(Default)]
struct Log {
    next: u64,
    writes: Vec<Write>,
}

impl WriteLog {
    pub fn new() -> WriteLog {
        WriteLog::default()
    }

    /// Runs `op`, a write of `value` to `key`, recording its call and, if it succeeds, its
    /// acknowledgement.
    pub async fn record<E>(
        &self,
        key: &str,
        value: &str,
        op: impl Future<Output = Result<(), E>>,
    ) -> Result<(), E> {
        let index = {
            let mut log = self.inner.lock().unwrap();
            let call = log.stamp();
            log.writes.push(Write {
                key: key.to_string(),
                value: value.to_string(),
                call,
                ack: None,
                called_at: labrpc::sim::elapsed(),
                acked_at: None,
            });
            log.writes.len() - 1
        };
        let result = op.await;
        if result.is_ok() {
            let mut log = self.inner.lock().unwrap();
            let ack = log.stamp();
            let write = &mut log.writes[index];
            write.ack = Some(ack);
            write.acked_at = Some(labrpc::sim::elapsed());
        }
        result
    }

    pub fn writes(&self) -> Vec<Write> {
        self.inner.lock().unwrap().writes.clone()
    }
}

impl Log {
    fn stamp(&mut self) -> u64 {
        self.next += 1;
        self.next
    }
}

/// What one home replica holds of a key at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub replica: String,
    pub value: Option<String>,
}

/// A copy that breaks the rule, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub key: String,
    pub replica: String,
    pub what: String,
}

/// Every problem with the copies `held` (key to the copy of each of its home replicas).
pub fn check(writes: &[Write], held: &BTreeMap<String, Vec<Holding>>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (key, holdings) in held {
        let of_key: Vec<&Write> = writes.iter().filter(|w| &w.key == key).collect();
        let acknowledged = || of_key.iter().filter(|w| w.ack.is_some());
        for holding in holdings {
            let problem = |what: String| Problem {
                key: key.clone(),
                replica: holding.replica.clone(),
                what,
            };
            let Some(value) = &holding.value else {
                if let Some(w) = acknowledged().max_by_key(|w| w.ack) {
                    problems.push(problem(format!(
                        "holds nothing, but {:?} was acknowledged at {}",
                        w.value,
                        at(w.acked_at)
                    )));
                }
                continue;
            };
            // The most lenient write of this value: acknowledged last, or not at all.
            let Some(source) = (of_key.iter())
                .filter(|w| &w.value == value)
                .max_by_key(|w| w.ack.unwrap_or(u64::MAX))
            else {
                problems.push(problem(format!(
                    "holds {value:?}, which no write of this key wrote"
                )));
                continue;
            };
            let Some(source_ack) = source.ack else {
                continue;
            };
            let newer = acknowledged()
                .filter(|w| w.call > source_ack)
                .max_by_key(|w| w.ack);
            if let Some(lost) = newer {
                problems.push(problem(format!(
                    "holds {value:?} (acknowledged at {}), but {:?} was written after that and \
                     acknowledged at {}: that write is lost here",
                    at(source.acked_at),
                    lost.value,
                    at(lost.acked_at)
                )));
            }
        }
    }
    problems
}

fn at(time: Option<Duration>) -> String {
    time.map_or("-".to_string(), |t| format!("{:.3} s", t.as_secs_f64()))
}

/// Fails the test `test` (with an HTML page, named in the message) if any copy in `held` breaks
/// the rule.
pub fn assert_converged(test: &str, writes: &WriteLog, held: &BTreeMap<String, Vec<Holding>>) {
    let writes = writes.writes();
    let problems = check(&writes, held);
    if problems.is_empty() {
        return;
    }
    let page = crate::failure_page::write(
        test,
        "convergence",
        &format!("{test}: the replicas did not converge"),
        &page(&writes, held, &problems),
    );
    let shown: Vec<String> = (problems.iter().take(10))
        .map(|p| format!("  key {:?} on {}: {}", p.key, p.replica, p.what))
        .collect();
    let more = problems.len().saturating_sub(shown.len());
    panic!(
        "the replicas did not converge: {} copies are lost or stale after the faults stopped\n{}{}{page}",
        problems.len(),
        shown.join("\n"),
        if more > 0 {
            format!("\n  ... and {more} more")
        } else {
            String::new()
        }
    );
}

/// Fails the test `test` unless every key's replicas in `held` hold the same copy: once the
/// faults stop and anti-entropy has run, live replicas agree byte for byte (6D).
pub fn assert_replicas_agree(test: &str, held: &BTreeMap<String, Vec<Holding>>) {
    let differing: Vec<(&String, &Vec<Holding>)> = (held.iter())
        .filter(|(_, holdings)| holdings.iter().any(|h| h.value != holdings[0].value))
        .collect();
    if differing.is_empty() {
        return;
    }
    let show = |h: &Holding| match &h.value {
        Some(v) => format!("{}: {v:?}", h.replica),
        None => format!("{}: nothing", h.replica),
    };
    let mut body = String::from("<table>");
    let mut lines = Vec::new();
    for (key, holdings) in &differing {
        let copies: Vec<String> = holdings.iter().map(show).collect();
        let _ = write!(
            body,
            "<tr><td>{}</td><td class=bad>{}</td></tr>",
            escape(&format!("{key:?}")),
            escape(&copies.join("; "))
        );
        if lines.len() < 10 {
            lines.push(format!("  key {key:?}: {}", copies.join("; ")));
        }
    }
    body.push_str("</table>");
    let page = crate::failure_page::write(
        test,
        "agreement",
        &format!("{test}: replicas disagree"),
        &body,
    );
    panic!(
        "{} of {} keys have replicas that still disagree after the faults stopped:\n{}{page}",
        differing.len(),
        held.len(),
        lines.join("\n")
    );
}

/// For each key with a problem, its writes as bars from call to acknowledgement over virtual
/// time, and each replica's copy.
fn page(writes: &[Write], held: &BTreeMap<String, Vec<Holding>>, problems: &[Problem]) -> String {
    let end = (writes.iter())
        .flat_map(|w| [Some(w.called_at), w.acked_at])
        .flatten()
        .max()
        .unwrap_or_default()
        .as_secs_f64()
        .max(0.001);
    let x = |t: Duration| 20.0 + 860.0 * t.as_secs_f64() / end;
    let mut html = format!(
        "<p>Bars: writes of the key from call to acknowledgement over {end:.3} s of virtual time \
         (orange: failed or unanswered, it may or may not have taken effect).</p>"
    );
    let keys: Vec<&String> = {
        let mut keys: Vec<&String> = problems.iter().map(|p| &p.key).collect();
        keys.dedup();
        keys
    };
    for key in keys.into_iter().take(20) {
        let of_key: Vec<&Write> = writes.iter().filter(|w| &w.key == key).collect();
        let _ = write!(
            html,
            "<h2>key {}</h2><svg width=900 height={}>",
            escape(&format!("{key:?}")),
            20 * of_key.len() + 10
        );
        for (row, w) in of_key.iter().enumerate() {
            let (x0, x1) = (
                x(w.called_at),
                x(w.acked_at.unwrap_or(Duration::from_secs_f64(end))),
            );
            let y = 20 * row + 5;
            let class = if w.ack.is_some() { "ack" } else { "failed" };
            let _ = write!(
                html,
                "<rect class={class} x={x0:.1} y={y} width={:.1} height=14></rect><text x={:.1} y={}>{}</text>",
                (x1 - x0).max(2.0),
                x1 + 4.0,
                y + 11,
                escape(&w.value)
            );
        }
        html.push_str("</svg><ul>");
        for holding in &held[key] {
            let value = holding
                .value
                .as_deref()
                .map_or("nothing".to_string(), |v| format!("{v:?}"));
            let problem = problems
                .iter()
                .find(|p| &p.key == key && p.replica == holding.replica);
            let _ = match problem {
                Some(p) => write!(
                    html,
                    "<li class=bad>{}: {}</li>",
                    escape(&holding.replica),
                    escape(&p.what)
                ),
                None => write!(
                    html,
                    "<li>{}: {}</li>",
                    escape(&holding.replica),
                    escape(&value)
                ),
            };
        }
        html.push_str("</ul>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(value: &str, call: u64, ack: Option<u64>) -> Write {
        Write {
            key: "k".into(),
            value: value.into(),
            call,
            ack,
            called_at: Duration::from_millis(call),
            acked_at: ack.map(Duration::from_millis),
        }
    }

    fn holding(value: Option<&str>) -> BTreeMap<String, Vec<Holding>> {
        let held = vec![Holding {
            replica: "S0".into(),
            value: value.map(str::to_string),
        }];
        BTreeMap::from([("k".to_string(), held)])
    }

    #[test]
    fn a_copy_is_stale_only_if_an_acknowledged_write_began_after_its_own_acknowledgement() {
        let writes = [
            write("a", 1, Some(2)),
            write("b", 3, Some(6)),
            write("c", 4, Some(5)),
            write("d", 7, None),
        ];
        // b and c overlap: either may win; d failed, so it may have won too.
        for fine in ["b", "c", "d"] {
            assert_eq!(check(&writes, &holding(Some(fine))), [], "{fine}");
        }
        let stale = check(&writes, &holding(Some("a")));
        assert_eq!(stale.len(), 1);
        assert!(
            stale[0].what.contains("that write is lost here"),
            "{stale:?}"
        );
        assert!(
            check(&writes, &holding(None))[0]
                .what
                .contains("holds nothing")
        );
        assert!(
            check(&writes, &holding(Some("z")))[0]
                .what
                .contains("no write")
        );
        // Nothing acknowledged yet: an empty replica is fine.
        assert_eq!(check(&writes[3..], &holding(None)), []);
    }
}
