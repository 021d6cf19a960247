//! The messages between workers and the coordinator. (Your file: define what you need.)
//!
//! A method is named `"Coordinator.<Method>"` after the [`labrpc::Service`] the coordinator
//! registers; arguments and replies are any types that derive serde's `Serialize` and
//! `Deserialize`.

// BEGIN SOLUTION
use serde::{Deserialize, Serialize};

/// Asks for a task; the argument is `()` and the reply a [`Task`].
pub const REQUEST_TASK: &str = "Coordinator.RequestTask";
/// Reports a [`Finished`] task; the reply is `()`.
pub const TASK_DONE: &str = "Coordinator.TaskDone";

/// What a worker should do next.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Task {
    /// Map the input file `file`, writing `mr-<id>-<r>` for every `r` below `n_reduce`.
    Map {
        id: usize,
        file: String,
        n_reduce: usize,
    },
    /// Reduce `mr-<m>-<id>` for every `m` below `n_map` into `mr-out-<id>`.
    Reduce { id: usize, n_map: usize },
    /// Nothing to hand out yet (tasks are running elsewhere): ask again shortly.
    Wait,
    /// The job is done: exit.
    Exit,
}

/// A task whose output files are all in place.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finished {
    Map(usize),
    Reduce(usize),
}
// END SOLUTION
// STUB: // Lab 1: the RPC method names, and the argument and reply types, e.g.
// STUB: // `#[derive(serde::Serialize, serde::Deserialize)] pub struct TaskArgs { .. }`.
