//! Lab 3: Raft.
//!
//! You implement Raft in two files:
//! - `src/raft.rs`: the peer's state, [`Raft::new`], [`Raft::start`], [`Raft::get_state`],
//!   [`Raft::snapshot`], [`Raft::kill`], elections, replication, persistence and applying;
//! - `src/rpc.rs`: the RPC messages, their handlers, and [`service`], which registers them.
//!
//! Everything else (this file, the tester in `tests/`) is the course's and is replaced by the
//! original when your work is graded. See `docs/lab3-raft.md`.

mod raft;
mod rpc;

pub use crate::raft::Raft;
pub use crate::rpc::service;

/// What a Raft peer tells its service, in log order, on the apply channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyMsg {
    /// The entry at `index` (the first is 1) is committed: the service executes `command`.
    Command { index: u64, command: Vec<u8> },
    /// The service must replace its state with `snapshot`, which covers every entry up to and
    /// including `index` (whose term is `term`). The next command has index `index + 1`.
    Snapshot {
        index: u64,
        term: u64,
        snapshot: Vec<u8>,
    },
}

/// The sending side of the apply channel. The service reads one message at a time: a send waits
/// until the previous message has been taken, like Go's unbuffered channel, so never hold a lock
/// that the service may need (for example in [`Raft::snapshot`]) while sending.
pub type ApplySender = tokio::sync::mpsc::Sender<ApplyMsg>;
