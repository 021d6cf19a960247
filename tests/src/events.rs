//! The events a graded test exists to create, counted as the harness sees them happen.
//!
//! A test grades only what it makes happen: a snapshot test whose follower never installed a
//! snapshot, a partition test whose partition never cut the leader off, passes for a solution
//! that would have failed had the scenario arisen. Each lab's harness names, per test, the events
//! the test exists to create ([`crate::Lab::events`]) and counts what it observes: restarts from
//! the persisters, snapshots from the apply channel, leaders from the peers' own answers, lost
//! replies from the network. The summary line shows the counts (`events: snapshot-installed=3`);
//! the simulator is told which named events did not happen (`labrpc::sim::scenario`), so that the
//! grader does not count that pass and tools can report how often each happens.
//!
//! The counts live in the simulator thread of the run, where every harness task and every server
//! runs; lab code cannot reach them (this crate is not among a lab's dependencies).

use std::cell::RefCell;
use std::collections::BTreeMap;

/// A leader was seen in a later term than the leader seen before it: leadership changed hands
/// (or was lost and won again).
pub const LEADER_CHANGED: &str = "leader-changed";
/// A partition left the server that led in a minority (or cut it off from everyone).
pub const LEADER_ISOLATED: &str = "leader-isolated";
/// A server was started again from what it had persisted.
pub const SERVER_RESTARTED: &str = "server-restarted";
/// A server was started again with a snapshot in its persister.
pub const RESTARTED_FROM_SNAPSHOT: &str = "restarted-from-snapshot";
/// The service gave Raft a snapshot to trim its log with (Lab 3's tester, every 10 entries).
pub const SNAPSHOT_TAKEN: &str = "snapshot-taken";
/// A follower's Raft delivered a snapshot (from the leader's InstallSnapshot) on its apply channel.
pub const SNAPSHOT_INSTALLED: &str = "snapshot-installed";
/// The network lost the reply to a clerk's request after the server had handled it: the clerk
/// sends the request again, so the service sees it twice.
pub const CLIENT_REPLY_LOST: &str = "client-reply-lost";
/// An old copy of a request, held back by the network while its sender retried and moved on,
/// reached a server (a scripted test's late message).
pub const LATE_COPY_DELIVERED: &str = "late-copy-delivered";
/// A server of one replica group answered a server of another (Lab 5: a shard or its deletion
/// moved between groups).
pub const GROUPS_TALKED: &str = "groups-talked";

thread_local! {
    static RUN: RefCell<Run> = RefCell::default();
}

#[derive(Default)]
struct Run {
    named: &'static [&'static str],
    counts: BTreeMap<&'static str, u64>,
}

/// Starts counting for one run of a test that exists to create the events `named`.
pub(crate) fn begin(named: &'static [&'static str]) {
    RUN.with_borrow_mut(|run| {
        *run = Run {
            named,
            counts: named.iter().map(|&event| (event, 0)).collect(),
        }
    });
}

/// One more `event` in this run.
pub fn happened(event: &'static str) {
    RUN.with_borrow_mut(|run| *run.counts.entry(event).or_default() += 1);
}

/// Raises `event`'s count to `total`, for events a harness counts at the end of a test from a
/// running total (the network's lost replies): calling it twice does not count them twice.
pub fn at_least(event: &'static str, total: u64) {
    if total == 0 {
        return; // a named event is already listed, at 0
    }
    RUN.with_borrow_mut(|run| {
        let count = run.counts.entry(event).or_default();
        *count = (*count).max(total);
    });
}

/// The named events that have not happened in this run.
pub fn missing() -> Vec<&'static str> {
    RUN.with_borrow(|run| {
        (run.named.iter().copied())
            .filter(|event| run.counts.get(event).copied().unwrap_or(0) == 0)
            .collect()
    })
}

/// For the summary line: `events: leader-changed=2, snapshot-installed=3` (every event counted,
/// the named ones first), or nothing when the harness counts none.
pub fn summary() -> String {
    RUN.with_borrow(|run| {
        let named = run.named.iter().map(|&e| (e, run.counts[e]));
        let others = (run.counts.iter())
            .filter(|(e, _)| !run.named.contains(e))
            .map(|(&e, &n)| (e, n));
        let shown: Vec<String> = (named.chain(others))
            .map(|(e, n)| format!("{e}={n}"))
            .collect();
        if shown.is_empty() {
            String::new()
        } else {
            format!("events: {}", shown.join(", "))
        }
    })
}

/// Tells the simulator what this run made happen, and warns when a named event did not: the
/// test then passed without testing what it exists to test.
pub(crate) fn finish(test: &str) {
    let counts: Vec<(&str, u64)> =
        RUN.with_borrow(|run| run.counts.iter().map(|(&e, &n)| (e, n)).collect());
    let missing = missing();
    labrpc::sim::scenario(&counts, &missing);
    if !missing.is_empty() {
        println!(
            "{test}: passed, but {} did not happen in this run, so it tested nothing of that \
             scenario (the grader does not count such a pass and draws another seed)",
            missing.join(", ")
        );
    }
}
