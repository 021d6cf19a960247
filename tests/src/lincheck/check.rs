//! Checking a whole history: split it into independent partitions, search each (in parallel,
//! largest first), and combine the verdicts.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::history::{History, Operation};
use super::model::Model;
use super::search::{Found, Stop, search};
use super::sort::sort_by_time;

/// Histories smaller than this are checked on the calling thread: starting threads would cost
/// more than the search.
const PARALLEL_FROM: usize = 1000;

/// The answer of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A linearization exists.
    Ok,
    /// No linearization exists.
    Illegal,
    /// The check stopped before deciding (timeout). This is not a pass.
    Unknown,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Ok => "ok",
            Verdict::Illegal => "illegal",
            Verdict::Unknown => "unknown",
        })
    }
}

/// What the check found in one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionResult {
    /// The model's name for the partition, e.g. `key "3"`.
    pub label: String,
    /// Indices into the history's operations, in call order.
    pub ops: Vec<usize>,
    /// `Unknown` if the search timed out, or was stopped because another partition was illegal.
    pub verdict: Verdict,
    /// Indices into the history's operations: a complete linearization if `Ok`, otherwise the
    /// longest linearizable prefix the search built.
    pub linearization: Vec<usize>,
    pub elapsed: Duration,
}

/// What the check found in a history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// `Illegal` if any partition is, else `Unknown` if any is undecided, else `Ok`.
    pub verdict: Verdict,
    pub partitions: Vec<PartitionResult>,
    /// True if the timeout cut the check short.
    pub timed_out: bool,
    pub elapsed: Duration,
}

/// Checks `history` against `model`, giving up after `timeout` (wall clock) if one is given.
///
/// Partitions are searched on up to as many threads as the machine has cores, largest first. As
/// soon as one is illegal the others stop (their verdict stays `Unknown`): the answer is known.
///
/// Panics if an operation returns before it is called.
// The timeout and the times reported are real time: they bound and measure the search's CPU work.
#[allow(clippy::disallowed_methods)]
pub fn check<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    timeout: Option<Duration>,
) -> CheckResult {
    let started = Instant::now();
    for (i, op) in history.ops.iter().enumerate() {
        assert!(
            op.call <= op.ret,
            "malformed history: operation {i} returns at {} before its call at {}",
            op.ret,
            op.call
        );
    }
    let mut parts = model.partition(&history.ops);
    for part in &mut parts {
        sort_by_time(&mut part.ops, |i| history.ops[i].call);
    }
    // Largest first, so the longest search starts at once and small ones fill the other threads.
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&p| std::cmp::Reverse(parts[p].ops.len()));

    let stop = Stop {
        deadline: timeout.map(|t| started + t),
        cancel: &AtomicBool::new(false),
    };
    let results: Vec<Mutex<Option<(Found, Duration)>>> =
        parts.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let Some(&p) = order.get(next.fetch_add(1, Ordering::Relaxed)) else {
                return;
            };
            let t = Instant::now();
            let ops: Vec<&Operation<M::Input, M::Output>> =
                parts[p].ops.iter().map(|&i| &history.ops[i]).collect();
            let found = search(model, &ops, &stop);
            if matches!(found, Found::Illegal(_)) {
                stop.cancel.store(true, Ordering::Relaxed);
            }
            *results[p].lock().unwrap() = Some((found, t.elapsed()));
        }
    };
    let threads = if history.ops.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(parts.len())
    };
    if threads <= 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            // The calling thread searches too rather than sleep in a join: in a lab test it is the
            // simulator's, whose watchdog warns when it sleeps in real time for a second.
            work();
        });
    }

    let mut timed_out = false;
    let partitions: Vec<PartitionResult> = parts
        .into_iter()
        .zip(results)
        .map(|(part, result)| {
            let (found, elapsed) = result.into_inner().unwrap().expect("every partition ran");
            let (verdict, order) = match found {
                Found::Linearizable(o) => (Verdict::Ok, o),
                Found::Illegal(o) => (Verdict::Illegal, o),
                Found::Stopped(o) => {
                    timed_out |= stop.deadline.is_some_and(|d| Instant::now() >= d);
                    (Verdict::Unknown, o)
                }
            };
            PartitionResult {
                linearization: order.into_iter().map(|k| part.ops[k]).collect(),
                label: part.label,
                ops: part.ops,
                verdict,
                elapsed,
            }
        })
        .collect();
    let verdict = if partitions.iter().any(|p| p.verdict == Verdict::Illegal) {
        Verdict::Illegal
    } else if partitions.iter().any(|p| p.verdict == Verdict::Unknown) {
        Verdict::Unknown
    } else {
        Verdict::Ok
    };
    CheckResult {
        verdict,
        partitions,
        timed_out,
        elapsed: started.elapsed(),
    }
}
