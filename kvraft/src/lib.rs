//! Lab 4: a fault-tolerant key/value service, replicated with Raft.
//!
//! You write three files:
//! - `src/common.rs`: the RPC arguments and replies, and the [`Error`](common::Error) a server answers;
//! - `src/client.rs`: the [`Clerk`], which finds the leader and retries until a request is done;
//! - `src/server.rs`: the [`KvServer`], which puts every request through the Raft log, executes
//!   the log in order, detects duplicates, and snapshots (4B).
//!
//! Your Raft from Lab 3 is underneath (`raft::Raft`). Everything else (this file and the graded
//! tests in `tests/`, which run on the course's harness in the `tests` crate) is the course's and
//! is replaced by the original when your work is graded. See `docs/lab4-kvraft.md`.

pub mod client;
pub mod common;
pub mod server;

pub use client::Clerk;
pub use server::{KvServer, service};
