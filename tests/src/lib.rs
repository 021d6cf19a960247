//! The course's tester library, linked by every lab's tests.
//!
//! - [`lincheck`]: the linearizability checker (porcupine-class search), its models, the history
//!   recorder every KV lab uses, readers for published histories, and the HTML timeline.
//! - [`kvtest`]: the pieces of the KV test harness shared by Labs 2, 4 and 5 (recording clerk
//!   operations, checking the history, the append-element checks).
//! - [`summary`]: the one-line, 6.5840-style summary every graded test prints.
//! - [`memory`]: a counting global allocator for tests that bound heap use.
//!
//! The course's tools (grader, handout, stress runner, log viewer, `lincheck` command) are in the
//! `tools` crate, so that building a lab's tests does not build their dependencies.

pub mod kvtest;
pub mod lincheck;
pub mod memory;
pub mod summary;
