//! The RPC messages: a clerk's requests to the node that coordinates them (`Dynamo.Get`,
//! `Dynamo.Put`, whose names and arguments are fixed), and whatever coordinators and replicas say
//! to each other (yours to design: add messages and fields as you need).

use serde::{Deserialize, Serialize};

use crate::{DynamoError, Options};
// BEGIN SOLUTION
use crate::{NodeId, Stamp};
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
// BEGIN SOLUTION

/// A value as replicas keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versioned {
    /// Of two copies of a key, the one with the larger stamp is the newer.
    pub stamp: Stamp,
    pub value: String,
    /// How many replicas the write that made it asked for (N): where the key lives after the
    /// ring changes.
    pub n: usize,
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
// END SOLUTION
// STUB: // Your messages here (6A, 6B): what a coordinator and a replica say to each other.
