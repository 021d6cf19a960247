//! The RPC messages between [`Clerk`](crate::Clerk) and [`KvServer`](crate::KvServer), and the
//! answers a server gives. Arguments and replies are encoded on the wire, so anything the other
//! side needs must be a field here.

use serde::{Deserialize, Serialize};

/// What a server says about a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Error {
    /// Executed; a Get's reply holds the value.
    #[default]
    Ok,
    /// A Get of a key that does not exist (the clerk returns `""`).
    ErrNoKey,
    /// This server is not the leader, or the request lost its place in the log to another
    /// leader's entry: try another server.
    ErrWrongLeader,
    /// This server accepted the request as leader but did not see it committed in time (it may
    /// be cut off from the majority): try another server. The request may still take effect, so
    /// a retry must not execute it twice.
    ErrTimeout,
}

/// Which of the two writes a `KVServer.PutAppend` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PutAppendOp {
    /// Replace the value.
    Put,
    /// Append to the value (a missing key counts as `""`).
    Append,
}

/// Arguments of `KVServer.Get`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetArgs {
    pub key: String,
    // BEGIN SOLUTION
    /// Which clerk sent the request, and its number for it (see [`PutAppendArgs`]).
    pub client_id: u64,
    pub seq: u64,
    // END SOLUTION
    // STUB: // Lab 4: add what the server needs to tell this request from others.
}

/// Reply of `KVServer.Get`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetReply {
    pub err: Error,
    /// The key's value when `err` is [`Error::Ok`].
    pub value: String,
}

/// Arguments of `KVServer.PutAppend`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutAppendArgs {
    pub key: String,
    pub value: String,
    pub op: PutAppendOp,
    // BEGIN SOLUTION
    /// Which clerk sent the request.
    pub client_id: u64,
    /// The clerk's number for this request: every retransmission, to any server, carries the
    /// same number; the clerk's next request carries a larger one.
    pub seq: u64,
    // END SOLUTION
    // STUB: // Lab 4: add what the server needs to recognise a retransmitted request.
}

/// Reply of `KVServer.PutAppend`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PutAppendReply {
    pub err: Error,
}
