//! Each node's wall clock, as a real machine's: it reads the simulator's virtual time, shifted
//! by an offset and running a little fast or slow, both decided by the seed within the bounds a
//! test sets with [`set_skew`]. Without a skew (the default, and what Labs 2 to 5 run with) every
//! clock reads virtual time exactly, and nothing is drawn from the seed, so their runs replay as
//! they did before clocks existed.
//!
//! ```text
//! labrpc::clock::set_skew(Duration::from_millis(500), 10_000); // up to ±500 ms, ±1% drift
//! let stamp = labrpc::clock::now();   // on a node: its own clock
//! ```
//!
//! A node keeps its clock across restarts (the machine is the same), and the harness, running on
//! no node, reads true virtual time.

use rand::Rng;
use tokio::time::Duration;

use crate::sim::{current_node_name, world};

/// Where every clock starts: far enough from zero that an offset never makes it negative.
pub const EPOCH: Duration = Duration::from_secs(3600);

/// The bounds of the nodes' clocks in the current simulated run: each node's offset is drawn
/// uniformly from `-max_offset..=max_offset`, its drift from `-max_drift_ppm..=max_drift_ppm`
/// parts per million (10,000 ppm is 1%). Call it before the nodes read their clocks; it does
/// nothing outside a simulated run.
pub fn set_skew(max_offset: Duration, max_drift_ppm: u32) {
    if let Some(world) = world::current() {
        world.set_clock_skew(max_offset, max_drift_ppm);
    }
}

/// This node's wall clock: [`EPOCH`] plus virtual time, as this node's skew bends it.
pub fn now() -> Duration {
    let Some(world) = world::current() else {
        return EPOCH;
    };
    let elapsed = world.elapsed();
    let Some(node) = current_node_name() else {
        return EPOCH + elapsed;
    };
    let skew = world.clock_of(&node);
    let scaled = elapsed.as_nanos() as i128 * (1_000_000 + i128::from(skew.drift_ppm)) / 1_000_000;
    let nanos = EPOCH.as_nanos() as i128 + scaled + i128::from(skew.offset_ns);
    Duration::from_nanos(nanos.max(0) as u64)
}

/// One node's clock error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Skew {
    pub offset_ns: i64,
    pub drift_ppm: i32,
}

impl Skew {
    /// A node's skew within the bounds, from its own stream of the run's seed.
    pub(crate) fn draw(seed: u64, node: &str, max_offset: Duration, max_drift_ppm: u32) -> Skew {
        let mut rng = crate::sim::seed_stream(seed, &format!("clock/{node}"), 0);
        let offset = max_offset.as_nanos() as i64;
        let drift = max_drift_ppm as i32;
        Skew {
            offset_ns: rng.random_range(-offset..=offset),
            drift_ppm: rng.random_range(-drift..=drift),
        }
    }
}
