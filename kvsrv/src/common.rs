//! The RPC messages between [`Clerk`](crate::Clerk) and [`KvServer`](crate::KvServer). Arguments
//! and replies are encoded on the wire, so anything the other side needs must be a field here.

use serde::{Deserialize, Serialize};

/// Arguments of `KVServer.Get`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetArgs {
    pub key: String,
}

/// Reply of `KVServer.Get`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetReply {
    /// The key's value, or `""` if the key does not exist.
    pub value: String,
}

/// Arguments of `KVServer.Put` and `KVServer.Append`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutAppendArgs {
    pub key: String,
    pub value: String,
    // BEGIN SOLUTION
    /// Which clerk sent the request.
    pub client_id: u64,
    /// The clerk's number for this request: a retransmission carries the same number, the
    /// clerk's next request a larger one.
    pub seq: u64,
    // END SOLUTION
    // STUB: // Lab 2: add what the server needs to recognise a retransmitted request.
}

/// Reply of `KVServer.Put` and `KVServer.Append`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PutAppendReply {
    /// For Append: the value before the append. For Put: empty.
    pub value: String,
}
