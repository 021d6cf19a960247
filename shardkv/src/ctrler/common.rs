//! The RPC messages between the controller's [`Clerk`](super::Clerk) and its
//! [`CtrlerServer`](super::CtrlerServer). Each reply says whether the server was the wrong one to
//! ask (not the leader, or it could not get the request committed): the clerk then tries another.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Config, Gid};

/// Arguments of `ShardCtrler.Join`: new groups, each with its servers' names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinArgs {
    pub servers: BTreeMap<Gid, Vec<String>>,
    // BEGIN SOLUTION
    /// Which clerk sent the request, and its number for it: a retransmission carries the same.
    pub client_id: u64,
    pub seq: u64,
    // END SOLUTION
    // STUB: // Lab 5A: add what the server needs to recognise a retransmitted request.
}

/// Arguments of `ShardCtrler.Leave`: groups to remove.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeaveArgs {
    pub gids: Vec<Gid>,
    // BEGIN SOLUTION
    pub client_id: u64,
    pub seq: u64,
    // END SOLUTION
    // STUB: // Lab 5A: as in JoinArgs.
}

/// Arguments of `ShardCtrler.Move`: put `shard` on group `gid`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoveArgs {
    pub shard: usize,
    pub gid: Gid,
    // BEGIN SOLUTION
    pub client_id: u64,
    pub seq: u64,
    // END SOLUTION
    // STUB: // Lab 5A: as in JoinArgs.
}

/// Arguments of `ShardCtrler.Query`: configuration `num`, or the latest for `None` or a number
/// past the latest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryArgs {
    pub num: Option<u64>,
}

/// Reply of `ShardCtrler.Join`, `ShardCtrler.Leave` and `ShardCtrler.Move`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChangeReply {
    /// Ask another server: this one did not execute the request.
    pub wrong_leader: bool,
}

/// Reply of `ShardCtrler.Query`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QueryReply {
    pub wrong_leader: bool,
    pub config: Config,
}
