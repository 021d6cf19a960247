//! Lab 5: a sharded key/value service.
//!
//! The keys are split into [`NSHARDS`] shards ([`key2shard`]). A shard controller ([`ctrler`]),
//! itself replicated with Raft, decides which replica group serves which shard, and publishes each
//! decision as a numbered [`Config`]. Each replica group ([`ShardKv`] servers on Raft) serves the
//! shards the current configuration gives it, and when a configuration moves a shard, the groups
//! hand the shard's data over while clients keep reading and writing.
//!
//! You write these files:
//! - `src/ctrler/common.rs`, `src/ctrler/client.rs`, `src/ctrler/server.rs`: the controller (5A);
//! - `src/common.rs`, `src/client.rs`, `src/server.rs`: the shard groups (5A, 5B);
//! - `src/rsm.rs`: a replicated state machine on Raft that both servers may share (optional: you
//!   may write each server without it).
//!
//! Your Raft from Lab 3 is underneath; nothing of Lab 4 is. Everything else (this file,
//! [`ctrler::Config`] and the graded tests in `tests/`, which run on the course's harness in the
//! `tests` crate) is the course's and is replaced by the original when your work is graded. See
//! `docs/lab5-shardkv.md`.

use std::sync::Arc;

use labrpc::ClientEnd;

pub mod client;
pub mod common;
pub mod ctrler;
pub mod rsm;
pub mod server;

pub use client::Clerk;
pub use ctrler::{Config, NSHARDS};
pub use server::{ShardKv, service};

/// The shard a key belongs to: its first byte modulo [`NSHARDS`], shard 0 for the empty key.
/// Given, as in 6.5840: the tests choose keys with it, so do not change it.
pub fn key2shard(key: &str) -> usize {
    key.as_bytes()
        .first()
        .map_or(0, |&b| usize::from(b) % NSHARDS)
}

/// How clerks and servers reach a server of a group by the name a [`Config`] lists for it
/// (6.5840's `make_end`): each call gives a new end, connected and enabled.
pub type MakeEnd = Arc<dyn Fn(&str) -> ClientEnd + Send + Sync>;
