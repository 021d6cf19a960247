//! Building and running graded tests as separate processes: shared by the grader, the stress
//! runner, the handout check and the suite check.
//!
//! Each run is its own process (`<test binary> --exact <name>`) in its own session, with its own
//! seed, a wall-clock limit and a memory limit, so one hung or crashed test cannot take others
//! down; whatever it starts is killed when it ends. A run passes only on the harness's evidence,
//! which carries a secret the runner hands to the harness for that run alone (see [`exec`]).

mod build;
mod copies;
mod exec;
mod pool;
mod process;
mod progress;
mod watch;

pub use build::{
    BuildFailure, DEFAULT_BUILD_LIMIT, TestCase, build_and_list, build_and_list_within, cargo_in,
    find, run_within,
};
pub use copies::CopiesClaim;
pub use exec::{LogFile, Logged, Policy, RunOutcome, RunSpec, run_one};
pub use pool::{parallel_map, run_all};
pub use process::{Limits, User, is_root};
pub use progress::Progress;

/// The seed of run `k` of `test` in a session started from `base`: distinct per test and run,
/// and reproducible from the base seed.
pub fn seed_for(base: u64, test: &str, k: u32) -> u64 {
    labrpc::sim::derive_seed(base, test, u64::from(k))
}

/// Run `k` of `case` in a session started from `base_seed` (no seed for tests that take none).
pub fn spec(case: &TestCase, k: u32, base_seed: u64, policy: &Policy) -> RunSpec {
    RunSpec {
        case: case.clone(),
        seed: policy
            .seeded
            .then(|| seed_for(base_seed, &case.full_name, k)),
        policy: policy.clone(),
    }
}

/// The environment of runs that write no run view (`LAB_VIEW=0`): the grader's and the suite
/// check's, whose failing runs would otherwise each be replayed to draw one (twice the time,
/// against a wall-clock limit), and a stress session's, which replays its failing seeds itself.
pub fn without_views() -> Vec<(String, String)> {
    vec![(labrpc::view::ENV.to_string(), "0".to_string())]
}

/// The command a student runs to replay one run exactly.
pub fn replay_command(package: &str, full_name: &str, seed: Option<u64>) -> String {
    match seed {
        Some(seed) => {
            format!("LAB_SEED={seed} cargo test -p {package} --release -- --exact {full_name}")
        }
        None => format!("cargo test -p {package} --release -- --exact {full_name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_per_test_and_run_and_are_stable() {
        let a = seed_for(1, "figure8_3c", 0);
        assert_eq!(a, seed_for(1, "figure8_3c", 0));
        assert_ne!(a, seed_for(1, "figure8_3c", 1));
        assert_ne!(a, seed_for(1, "figure8_3d", 0));
        assert_ne!(a, seed_for(2, "figure8_3c", 0));
    }
}
