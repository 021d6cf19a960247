//! The course's tools, each also a binary of this crate. They live apart from the `tests` crate
//! (the tester library every lab's tests link) so that a student's first `cargo test` does not
//! build their command-line and file-format dependencies.
//!
//! - [`manifest`]: `labs.toml`, the list of labs, student files, graded tests and points.
//! - [`runner`]: building test binaries and running tests as processes, with seeds and limits.
//! - [`grade`] (`grade`): the grading script and Gradescope's results and autograder.
//! - [`handout`] (`handout`): the student handout from the reference solution.
//! - [`stress`] (`stress`): many seeds of some tests, in parallel.
//! - [`logview`] (`logs`): server-per-column, topic-coloured view of simulator logs.
//! - `lincheck`: the linearizability checker of `tests::lincheck` on recorded history files.
//! - [`bugs`]: a curated bug's file, applied to a copy of the project (the suite check's and
//!   the run views' screenshots).
//! - [`browser`]: headless Chromium over the DevTools protocol, for checking HTML pages.
//! - [`run_views`] (`run-views`): run views checked and timed in the browser, and the docs'
//!   screenshots of curated bugs.
//! - `check-suite`: curated bugs that every graded suite must catch (its module lives with the
//!   binary, which the student handout leaves out with `handout` and `gradescope`).

pub mod browser;
pub mod bugs;
pub mod cli;
pub mod grade;
pub mod handout;
pub mod logview;
pub mod manifest;
pub mod run_views;
pub mod runner;
pub mod stress;
pub mod tree;
