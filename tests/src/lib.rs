//! The course's shared tester crate.
//!
//! - [`lincheck`]: the linearizability checker (porcupine-class search), its models, the history
//!   recorder every KV lab uses, readers for published histories, and the HTML timeline.
//! - [`kvtest`]: the pieces of the KV test harness shared by Labs 2, 4 and 5 (recording clerk
//!   operations, checking the history, the append-element checks).
//! - [`summary`]: the one-line, 6.5840-style summary every graded test prints.
//! - [`memory`]: a counting global allocator for tests that bound heap use.
//!
//! The course's tools, each also a binary of this crate:
//! - [`manifest`]: `labs.toml`, the list of labs, student files, graded tests and points.
//! - [`runner`]: building test binaries and running tests as processes, with seeds and limits.
//! - [`grade`] (`grade`): the grading script and Gradescope's results and autograder.
//! - [`handout`] (`handout`): the student handout from the reference solution.
//! - [`stress`] (`stress`): many seeds of some tests, in parallel.
//! - [`suite_check`] (`check-suite`): curated bugs that every graded suite must catch.
//! - [`logview`] (`logs`): server-per-column, topic-coloured view of simulator logs.

pub mod cli;
pub mod grade;
pub mod handout;
pub mod kvtest;
pub mod lincheck;
pub mod logview;
pub mod manifest;
pub mod memory;
pub mod runner;
pub mod stress;
pub mod suite_check;
pub mod summary;
pub mod tree;
