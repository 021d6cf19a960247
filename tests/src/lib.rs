//! The course's tester library, linked by every lab's tests.
//!
//! - [`lincheck`]: the linearizability checker (porcupine-class search), its models, the history
//!   recorder every KV lab uses, readers for published histories, and the HTML timeline.
//! - [`run`]: the prologue of every simulated graded test (its name, seeds and simulator).
//! - [`events`]: the events each graded test exists to create, counted per run and shown on its
//!   summary line; a pass in which one did not happen is not counted by the grader.
//! - [`group`]: one replica group of servers on the simulated network, with the crashes,
//!   restarts and partitions 6.5840's testers make; every replicated lab's harness runs on it.
//! - [`convergence`]: the check that an eventually consistent store lost no acknowledged write
//!   once the faults stopped (Lab 6), with its HTML page.
//! - [`siblings`]: the checks of a store whose keys keep siblings (Lab 6C): no version beside one
//!   that supersedes it, and a cart that loses no acknowledged add.
//! - [`kvtest`]: the pieces of the KV test harness shared by Labs 2, 4 and 5 (counting and
//!   recording clerk operations, checking the history, the append-element checks).
//! - [`expected`]: what a key should hold, piece by piece, and why a value read differs from it.
//! - [`summary`]: the one-line, 6.5840-style summary every graded test prints.
//! - [`memory`]: a counting global allocator for tests that bound heap use.
//!
//! The course's tools (grader, handout, stress runner, log viewer, `lincheck` command) are in the
//! `tools` crate, so that building a lab's tests does not build their dependencies.

pub mod convergence;
pub mod events;
pub mod expected;
pub mod failure_page;
pub mod group;
pub mod kvtest;
pub mod lincheck;
pub mod memory;
mod run;
pub mod siblings;
pub mod summary;

pub use run::{Lab, run};
