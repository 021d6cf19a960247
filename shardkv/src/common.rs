//! The RPC messages of the shard groups: between the [`Clerk`](crate::Clerk) and a
//! [`ShardKv`](crate::ShardKv) server, and between servers of different groups. Arguments and
//! replies are encoded on the wire, so anything the other side needs must be a field here.

use serde::{Deserialize, Serialize};
// BEGIN SOLUTION
use std::collections::BTreeMap;
// END SOLUTION
// STUB:

/// What a server says about a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Error {
    /// Executed; a Get's reply holds the value.
    #[default]
    Ok,
    /// A Get of a key that does not exist (the clerk returns `""`).
    ErrNoKey,
    /// This group does not serve the key's shard (now): the clerk asks the controller for the
    /// latest configuration and tries again.
    ErrWrongGroup,
    /// This server is not the leader, or could not get the request committed: try another.
    ErrWrongLeader,
    // BEGIN SOLUTION
    /// A request between groups about a configuration this server has not reached (or a shard it
    /// does not have at that configuration): ask again later, or another server of the group.
    ErrNotReady,
    // END SOLUTION
    // STUB:
}

/// Which of the two writes a `ShardKV.PutAppend` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PutAppendOp {
    Put,
    Append,
}

/// Arguments of `ShardKV.Get`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetArgs {
    pub key: String,
    // BEGIN SOLUTION
    /// Which clerk sent the request, and its number for it (see [`PutAppendArgs`]).
    pub client_id: u64,
    pub seq: u64,
    // END SOLUTION
    // STUB: // Lab 5: add what the server needs to tell this request from others.
}

/// Reply of `ShardKV.Get`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetReply {
    pub err: Error,
    pub value: String,
}

/// Arguments of `ShardKV.PutAppend`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutAppendArgs {
    pub key: String,
    pub value: String,
    pub op: PutAppendOp,
    // BEGIN SOLUTION
    /// Which clerk sent the request.
    pub client_id: u64,
    /// The clerk's number for this request: every retransmission, to any group, carries the
    /// same; the clerk's next request carries a larger one.
    pub seq: u64,
    // END SOLUTION
    // STUB: // Lab 5: add what the server needs to recognise a retransmitted request.
}

/// Reply of `ShardKV.PutAppend`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PutAppendReply {
    pub err: Error,
}

// BEGIN SOLUTION
/// Arguments of `ShardKV.PullShard`: a group that gains `shard` in configuration `num` asks the
/// group that held it in configuration `num - 1` for its contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullShardArgs {
    pub num: u64,
    pub shard: usize,
}

/// Reply of `ShardKV.PullShard`: the shard's keys and its duplicate table, frozen since the
/// holder applied configuration `num`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PullShardReply {
    pub err: Error,
    pub data: BTreeMap<String, String>,
    /// Per clerk, the number of its latest write executed on this shard.
    pub latest: BTreeMap<u64, u64>,
}

/// Arguments of `ShardKV.DeleteShard`: the group that pulled `shard` for configuration `num` has
/// installed it; the old holder may forget it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteShardArgs {
    pub num: u64,
    pub shard: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeleteShardReply {
    pub err: Error,
}
// END SOLUTION
// STUB: // Lab 5B: the messages between groups that move shards.
