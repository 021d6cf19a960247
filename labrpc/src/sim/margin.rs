//! How close a run came to the bounds its test asserts.
//!
//! A test that passes with 1% to spare is one slow student solution, or one unlucky seed, away
//! from failing; a bound nobody watches drifts. The tester calls [`bound`] next to each check of a
//! numeric bound, the simulator keeps the closest call of each run (the test's virtual time
//! against its limit is always one), and a multi-seed run (`LAB_ITERS`) ends by printing, for each
//! bound, the largest share used and the seed that used it.

use std::collections::BTreeMap;

use super::world;

/// Records that this run used `used` of a bound whose limit is `limit` (the same unit: bytes,
/// RPCs, milliseconds...). Only the largest share per name is kept. Outside a simulated run it
/// does nothing.
pub fn bound(name: &'static str, used: f64, limit: f64) {
    if let Some(world) = world::current()
        && limit > 0.0
    {
        let share = used / limit;
        let mut bounds = world.bounds.borrow_mut();
        let kept = bounds.entry(name).or_insert(share);
        *kept = kept.max(share);
    }
}

/// The share of each bound a run used.
pub type Shares = BTreeMap<&'static str, f64>;

/// The largest share of each bound over several seeds, and the seed that used it.
#[derive(Default)]
pub(crate) struct Tightest(BTreeMap<&'static str, (f64, u64)>);

impl Tightest {
    pub fn add(&mut self, seed: u64, shares: &Shares) {
        for (&name, &share) in shares {
            let kept = self.0.entry(name).or_insert((share, seed));
            if share > kept.0 {
                *kept = (share, seed);
            }
        }
    }

    /// `virtual time 54% (seed 17), RPC bytes 91% (seed 3)`.
    pub fn summary(&self) -> String {
        self.0
            .iter()
            .map(|(name, (share, seed))| format!("{name} {:.0}% (seed {seed})", share * 100.0))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
