//! What the tests that grade copies of the project share.

use std::path::{Path, PathBuf};

use tools::grade::Options;
use tools::{cli, runner};

/// The project this crate belongs to.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// One run per test on a fixed seed, built into the project's `target/copies` as the tools do.
pub fn one_run_each(root: &Path, base_seed: u64) -> Options {
    Options {
        runs: Some(1),
        jobs: cli::default_jobs(),
        base_seed,
        target_dir: Some(runner::copies_target_dir(root)),
        limits: runner::Limits::default(),
        build_limit: runner::DEFAULT_BUILD_LIMIT,
    }
}
