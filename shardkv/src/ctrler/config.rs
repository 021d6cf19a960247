//! What the controller publishes: numbered configurations. Given, as in 6.5840's
//! `shardctrler/common.go`; the tests read these fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The number of shards.
pub const NSHARDS: usize = 10;

/// A replica group's id. Groups have non-zero ids; 0 stands for "no group".
pub type Gid = u64;

/// One configuration: which group serves each shard, and the servers of each group.
///
/// Configuration 0 ([`Config::default`]) has no groups, and every shard is on gid 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Configurations are numbered from 0, one more for each change.
    pub num: u64,
    /// `shards[s]` is the group that serves shard `s` (0: none).
    pub shards: [Gid; NSHARDS],
    /// Each group's servers, by the names `make_end` takes. (Ordered, so that every server and
    /// every clerk sees the same iteration order.)
    pub groups: BTreeMap<Gid, Vec<String>>,
}
