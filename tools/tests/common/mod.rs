//! What the tests that grade copies of the project share.

// Each test file uses a part of what is here.
#![allow(dead_code)]

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

/// One run per test on a fixed seed, built into the project's `target/copies` as the tools do;
/// `claim` holds that directory for the copy being graded.
pub fn one_run_each(claim: &runner::CopiesClaim, base_seed: u64) -> Options {
    Options {
        runs: Some(1),
        jobs: cli::default_jobs(),
        base_seed,
        target_dir: Some(claim.dir().to_path_buf()),
        limits: runner::Limits::default(),
        build_limit: runner::DEFAULT_BUILD_LIMIT,
    }
}

/// Replaces the one occurrence of `find` in `file` (under `tree`) by `replace`.
pub fn edit(tree: &Path, file: &str, find: &str, replace: &str) {
    let path = tree.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.matches(find).count(),
        1,
        "{file} no longer contains this text once; update the test:\n{find}"
    );
    std::fs::write(path, text.replacen(find, replace, 1)).unwrap();
}

/// A copy of the project at `rel` under `root`, made anew from the current tree; a fixed place,
/// so that later runs rebuild only what changed.
pub fn copy_of_project(root: &Path, rel: &str) -> PathBuf {
    let copy = root.join(rel);
    tools::tree::copy_project(root, &copy).unwrap();
    copy
}
