//! The shard controller: a Raft-replicated service that keeps the history of configurations.
//! `Join` adds replica groups, `Leave` removes them, `Move` puts one shard on one group, and
//! `Query` returns a configuration by number (or the latest).
//!
//! You write `common.rs` (the RPC messages), `client.rs` (the [`Clerk`], whose retry loop is
//! given) and `server.rs` (the [`CtrlerServer`]). [`Config`] and [`NSHARDS`] are given.

pub mod client;
pub mod common;
mod config;
pub mod server;

pub use client::Clerk;
pub use config::{Config, Gid, NSHARDS};
pub use server::{CtrlerServer, service};
