//! What a run made happen: the events a graded test exists to create, counted by its harness.
//!
//! A test can grade only what it makes happen. A partition that never isolated the leader, a
//! snapshot never installed, a shard that never moved: the test passes, for a correct solution and
//! for one that would have failed had the scenario arisen. So each graded test names its events
//! ("snapshot-installed", "leader-deposed"), its harness counts them from what it observes (the
//! network, the apply channel, the crashes and partitions it makes), and tells the simulator at
//! the end of the run with [`scenario`]. Tools read the counts from `LAB_REPORT` lines; the grader
//! reads the events that did not happen from its evidence line, and does not count such a pass.
//!
//! Lab code can call [`scenario`] too, but it gains nothing by it: an event named missing stays
//! missing for the rest of the run, and the grader's verdict rests only on those.

use std::collections::{BTreeMap, BTreeSet};

use super::world;

/// The events of one run: how often each happened, and which named ones never did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scenario {
    pub counts: BTreeMap<String, u64>,
    /// Events the test exists to create that did not happen in this run.
    pub missing: BTreeSet<String>,
}

impl Scenario {
    /// `a:3,b:0`: the counts, for a report line (empty when none were given).
    pub fn counts_field(&self) -> String {
        (self.counts.iter())
            .map(|(name, n)| format!("{name}:{n}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `a,b`: the missing events, for a report or evidence line (empty when none).
    pub fn missing_field(&self) -> String {
        self.missing.iter().cloned().collect::<Vec<_>>().join(",")
    }
}

/// Tells the simulator how often each event of `counts` happened in this run and which of the
/// events the test exists to create did not (`missing`). The counts replace earlier ones; the
/// missing events add to them. Event names are lower case words joined by `-`. Outside a
/// simulated run it does nothing.
pub fn scenario(counts: &[(&str, u64)], missing: &[&str]) {
    let Some(world) = world::current() else {
        return;
    };
    let mut kept = world.scenario.borrow_mut();
    kept.counts = (counts.iter())
        .map(|&(name, n)| (checked(name).to_string(), n))
        .collect();
    kept.missing
        .extend(missing.iter().map(|name| checked(name).to_string()));
}

/// An event name as the report lines can carry it, or a panic naming the rule.
fn checked(name: &str) -> &str {
    let fits = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    assert!(
        fits,
        "event name {name:?}: use lower case letters, digits and '-' (\"snapshot-installed\")"
    );
    name
}
