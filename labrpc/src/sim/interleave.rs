//! What a seed decides beyond faults: how long each message takes, and which of several ready
//! tasks runs first.
//!
//! On real machines both come from timing nobody controls, and timing bugs hide in them. A
//! simulator that delivers in zero time and runs ready tasks first-come first-served plays one
//! interleaving on every seed. Here every message takes a seeded latency and every poll of a task
//! may first yield to the other ready tasks, so each seed is a different interleaving, and it
//! replays exactly. DESIGN ("Seeds explore interleavings") and docs/labrpc.md give the reasons for
//! these numbers; docs/PERFORMANCE.md gives their cost.

use rand::Rng;
use tokio::time::Duration;

/// One message (a request or a reply) in `DELAYED_ONE_IN` takes 1 or 2 ms; the others arrive
/// within the millisecond they were sent (tokio's timer has millisecond resolution). Delaying some
/// messages reorders messages sent at nearly the same time; keeping most of them instant keeps the
/// mean at 0.19 ms, like Go's labrpc on a real machine, so tests that make long chains of calls
/// (Lab 2's 100,000 sequential clerk operations) stay far inside the 120 s limit.
const DELAYED_ONE_IN: u32 = 8;
const DELAY_MS: std::ops::RangeInclusive<u64> = 1..=2;

/// Chance, in 1/256ths, that a task yields to the other ready tasks before a poll. Yielding moves
/// it to the back of the run queue; repeated draws make any order of ready tasks possible.
const YIELD_IN_256: u32 = 64;

/// A message's travel time, drawn from `rng` (the network's stream).
pub(crate) fn latency(rng: &mut impl Rng) -> Duration {
    if rng.random_ratio(1, DELAYED_ONE_IN) {
        Duration::from_millis(rng.random_range(DELAY_MS))
    } else {
        Duration::ZERO
    }
}

/// Whether the task about to be polled first yields to the other ready tasks: going to the back
/// of the run queue, it lets the seed rather than the order of wake-ups decide which ready task
/// runs first.
pub(crate) fn yield_first() -> bool {
    super::world::draw_yield(YIELD_IN_256)
}
