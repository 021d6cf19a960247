//! Lab 2: a key/value server on one machine, with clerks that keep retrying over a lossy network
//! and a server that executes every Put and Append at most once.
//!
//! Your files: [`common`] (the RPC argument and reply types), [`client`] (the [`Clerk`]) and
//! [`server`] (the [`KvServer`]). The tests in `tests/` are the grader's; see `docs/lab2-kvsrv.md`.

pub mod client;
pub mod common;
pub mod server;

pub use client::Clerk;
pub use server::KvServer;
