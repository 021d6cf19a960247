//! Seeds: where a run's seed comes from, and how every random stream is derived from it.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// SplitMix64 finalizer: a cheap, well-mixed bijection on u64.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a over bytes; stable across platforms and releases, unlike `std`'s hashers.
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// An independent generator for stream `label`/`n` of the run seeded with `seed`. Streams never
/// share state, so one node drawing more numbers does not shift another node's draws.
pub(crate) fn stream(seed: u64, label: &str, n: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(derive_seed(seed, label, n))
}

/// A seed for item `n` of `label` in a session seeded with `seed`: stable across platforms and
/// releases, and unrelated for nearby inputs. The tools use it for each run's `LAB_SEED`.
pub fn derive_seed(seed: u64, label: &str, n: u64) -> u64 {
    mix(seed ^ mix(fnv(label.as_bytes()) ^ mix(n)))
}

/// The seed of the first iteration: `LAB_SEED` if set, otherwise fresh entropy (printed on failure).
pub(crate) fn base_seed() -> u64 {
    match std::env::var("LAB_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("LAB_SEED must be an unsigned 64-bit integer, got `{s}`")),
        Err(_) => rand::random(),
    }
}

/// Number of seeds to run (`LAB_ITERS`, default 1).
pub(crate) fn iterations() -> u64 {
    match std::env::var("LAB_ITERS") {
        Ok(s) => match s.trim().parse() {
            Ok(n) if n >= 1 => n,
            _ => panic!("LAB_ITERS must be a positive integer, got `{s}`"),
        },
        Err(_) => 1,
    }
}

/// Whether `LAB_CHECK_DETERMINISM` asks to run each seed twice and compare traces.
pub(crate) fn check_determinism() -> bool {
    std::env::var("LAB_CHECK_DETERMINISM").is_ok_and(|v| !v.is_empty() && v != "0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_stable_and_independent() {
        let a: u64 = stream(1, "net", 0).random();
        assert_eq!(a, stream(1, "net", 0).random::<u64>());
        assert_ne!(a, stream(2, "net", 0).random::<u64>());
        assert_ne!(a, stream(1, "S0", 0).random::<u64>());
        assert_ne!(a, stream(1, "net", 1).random::<u64>());
    }
}
