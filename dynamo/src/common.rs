//! The RPC messages: a clerk's requests to the node that coordinates them (`Dynamo.Get`,
//! `Dynamo.Put`, `Dynamo.GetVersions`, `Dynamo.PutWith`, whose names and arguments are fixed), and whatever coordinators and replicas say
//! to each other (yours to design: add messages and fields as you need).

use serde::{Deserialize, Serialize};

use crate::version::Context;
use crate::{DynamoError, Options};
// BEGIN SOLUTION
use crate::version::Sibling;
use crate::{LEAVES, NodeId, Stamp};
// END SOLUTION
// STUB: // Your imports here (6A), e.g. crate::{NodeId, Stamp}.

/// Arguments of `Dynamo.Get`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetArgs {
    pub key: String,
    pub options: Options,
}

/// The value read (`""` for a key never written), or why there is none.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetReply {
    pub result: Result<String, DynamoError>,
}

/// Arguments of `Dynamo.Put`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutArgs {
    pub key: String,
    pub value: String,
    pub options: Options,
    /// Which clerk sends the write, and its number for it: a clerk that resends a write whose
    /// answer was lost sends the same pair, so that the coordinator can tell it is not a new one.
    pub clerk: u64,
    pub seq: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutReply {
    pub result: Result<(), DynamoError>,
}

/// Arguments of `Dynamo.GetVersions` (6C).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetVersionsArgs {
    pub key: String,
    pub options: Options,
}

/// Every version of the key that no other covers (none for a key never written), and the context
/// to write back with a value that supersedes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetVersionsReply {
    pub result: Result<(Vec<String>, Context), DynamoError>,
}

/// Arguments of `Dynamo.PutWith` (6C): a write that supersedes what `context` covers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutWithArgs {
    pub key: String,
    pub value: String,
    pub context: Context,
    pub options: Options,
    /// As in [`PutArgs`]: a clerk's writes share one numbering.
    pub clerk: u64,
    pub seq: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutWithReply {
    pub result: Result<(), DynamoError>,
}
// BEGIN SOLUTION

/// A key as replicas keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versioned {
    /// How many replicas the writes that made it asked for (N): where the key lives after the
    /// ring changes.
    pub n: usize,
    pub data: Data,
}

/// A key's data: written with [`Clerk::put`](crate::Clerk::put), one stamped value (6A, 6B);
/// written with [`Clerk::put_with`](crate::Clerk::put_with), its siblings (6C). A key is used
/// through one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Data {
    /// Of two copies, the one with the larger stamp is the newer.
    Register {
        stamp: Stamp,
        value: String,
    },
    Siblings(Vec<Sibling>),
}

impl Versioned {
    /// The stamp of a register (`None` for siblings).
    pub fn stamp(&self) -> Option<Stamp> {
        match &self.data {
            Data::Register { stamp, .. } => Some(*stamp),
            Data::Siblings(_) => None,
        }
    }
}

/// Arguments of `Dynamo.Read`: a coordinator asks a replica for its copy of `key`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadArgs {
    pub key: String,
}

/// The replica's newest copy of the key (its own or a hint it keeps for another node).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadReply {
    pub value: Option<Versioned>,
}

/// Arguments of `Dynamo.Write`: store `value` unless a newer copy is there already.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteArgs {
    pub key: String,
    pub value: Versioned,
    /// The home replica this copy stands in for (6B): the receiver keeps it apart, as a hint, and
    /// hands it to that node later. `None`: the receiver is a home replica.
    pub hint: Option<NodeId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteReply {}

/// Arguments of `Dynamo.SyncRoots` (6D): the root hash of each range the two nodes replicate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncRootsArgs {
    pub roots: Vec<(u32, u64)>,
}

/// The leaves of every range whose root differs from the receiver's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncRootsReply {
    pub leaves: Vec<(u32, [u64; LEAVES])>,
}

/// Arguments of `Dynamo.SyncKeys` (6D): the sender's entries under the leaves that differ, and
/// those leaves, whose entries the receiver sends back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncKeysArgs {
    pub leaves: Vec<(u32, u8)>,
    pub entries: Vec<(String, Versioned)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncKeysReply {
    pub entries: Vec<(String, Versioned)>,
}
// END SOLUTION
// STUB: // Your messages here (6A, 6B): what a coordinator and a replica say to each other.
