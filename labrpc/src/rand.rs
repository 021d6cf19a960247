//! Randomness for lab code. Every draw comes from the run's seed: a node draws from its own stream,
//! the harness from another, so `LAB_SEED` replays everything. Outside a simulated run (the real
//! MapReduce processes) the streams are seeded from the operating system.
//!
//! ```
//! // An election timeout between 300 and 600 ms:
//! let ms = labrpc::rand::random_range(300..600u64);
//! assert!((300..600).contains(&ms));
//! ```

use std::cell::RefCell;

pub use rand::Rng;
use rand::SeedableRng;
use rand::distr::uniform::{SampleRange, SampleUniform};
use rand::distr::{Distribution, StandardUniform};
use rand_chacha::ChaCha8Rng;

thread_local! {
    static OUTSIDE_SIM: RefCell<ChaCha8Rng> = RefCell::new(ChaCha8Rng::from_os_rng());
}

/// Calls `f` with the random stream of the current node (or of the harness).
pub fn with_rng<R>(f: impl FnOnce(&mut ChaCha8Rng) -> R) -> R {
    if let Some(node) = crate::sim::current_node() {
        return f(&mut node.rng.lock().unwrap());
    }
    if let Some(world) = crate::sim::world::current() {
        return f(&mut world.harness_rng.borrow_mut());
    }
    OUTSIDE_SIM.with(|rng| f(&mut rng.borrow_mut()))
}

/// A uniformly random value in `range`, e.g. `random_range(0..10)` or `random_range(1..=6)`.
pub fn random_range<T, R>(range: R) -> T
where
    T: SampleUniform,
    R: SampleRange<T>,
{
    with_rng(|rng| rng.random_range(range))
}

/// A random value of type `T` (any integer, `bool`, `f64` in `[0, 1)`, ...).
pub fn random<T>() -> T
where
    StandardUniform: Distribution<T>,
{
    with_rng(|rng| rng.random())
}

/// A random string of `len` letters and digits (the harness's unique end names).
pub fn random_string(len: usize) -> String {
    with_rng(|rng| {
        (0..len)
            .map(|_| rng.sample(rand::distr::Alphanumeric) as char)
            .collect()
    })
}
