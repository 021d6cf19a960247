//! The clerk: the library a client program uses to reach the replicated key/value service.

use labrpc::ClientEnd;
// BEGIN SOLUTION
use labrpc::RpcError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::{Duration, sleep};

use crate::common::Error;
// END SOLUTION
// STUB: // Lab 4: import what you need (e.g. labrpc::RpcError, crate::common::Error).

// The handout's stubs do not use these yet.
#[allow(unused_imports)]
use crate::common::{GetArgs, GetReply, PutAppendArgs, PutAppendOp, PutAppendReply};

// BEGIN SOLUTION
/// After asking every server once without success (an election is under way, or the clerk is
/// cut off), wait this long before the next round rather than spin. A new leader needs an
/// election timeout (hundreds of milliseconds) to appear, so a short pause loses little.
const ROUND_PAUSE: Duration = Duration::from_millis(20);
// END SOLUTION
// STUB: // Lab 4: your constants here (e.g. how long to pause after a round of refusals).

/// A client's handle on the service. Each client task has its own clerk, and a clerk has one
/// request outstanding at a time.
// STUB ONLY: // The stubs below do not read `servers` yet: remove the next line when they do.
// STUB ONLY: #[allow(dead_code)]
pub struct Clerk {
    /// Ends to every server, in an order the tester shuffled: `servers[i]` is not server `i`.
    servers: Vec<ClientEnd>,
    // BEGIN SOLUTION
    /// The server that answered last time: most likely still the leader.
    leader: usize,
    /// Random, so that clerks need no coordination to get distinct ids.
    client_id: u64,
    /// Number of this clerk's latest request.
    seq: u64,
    // END SOLUTION
    // STUB: // Lab 4: add what the clerk needs (e.g. which server it believes leads).
}

impl Clerk {
    /// A clerk that reaches the servers through `servers`.
    pub fn new(servers: Vec<ClientEnd>) -> Clerk {
        // BEGIN SOLUTION
        Clerk {
            servers,
            leader: 0,
            client_id: labrpc::rand::random(),
            seq: 0,
        }
        // END SOLUTION
        // STUB: Clerk { servers }
    }

    /// Fetches the current value of `key` (`""` if it does not exist). Keeps trying, forever,
    /// in the face of all other errors.
    ///
    /// Call a server with
    /// `self.servers[i].call::<GetArgs, GetReply>("KVServer.Get", &args).await`;
    /// `Err(RpcError::Unavailable)` means no reply (lost, or the server is unreachable).
    pub async fn get(&mut self, key: &str) -> String {
        // BEGIN SOLUTION
        self.seq += 1;
        let args = GetArgs {
            key: key.to_string(),
            client_id: self.client_id,
            seq: self.seq,
        };
        let reply: GetReply = self.call("KVServer.Get", &args, |r: &GetReply| r.err).await;
        reply.value
        // END SOLUTION
        // STUB: let _ = key;
        // STUB: todo!("Clerk::get (4A)")
    }

    /// Shared by [`Clerk::put`] and [`Clerk::append`]. Keeps trying until the service has
    /// executed the request, which it must do exactly once however often it is sent.
    async fn put_append(&mut self, key: &str, value: &str, op: PutAppendOp) {
        // BEGIN SOLUTION
        self.seq += 1;
        let args = PutAppendArgs {
            key: key.to_string(),
            value: value.to_string(),
            op,
            client_id: self.client_id,
            seq: self.seq,
        };
        let _: PutAppendReply = self
            .call("KVServer.PutAppend", &args, |r: &PutAppendReply| r.err)
            .await;
        // END SOLUTION
        // STUB: let _ = (key, value, op);
        // STUB: todo!("Clerk::put_append (4A)")
    }

    /// Replaces the value of `key` with `value`.
    pub async fn put(&mut self, key: &str, value: &str) {
        self.put_append(key, value, PutAppendOp::Put).await
    }

    /// Appends `value` to the value of `key` (a missing key counts as `""`).
    pub async fn append(&mut self, key: &str, value: &str) {
        self.put_append(key, value, PutAppendOp::Append).await
    }

    // BEGIN SOLUTION
    /// Sends `args` to the server believed to lead, moving on to the next server on no reply or
    /// a refusal, until a server answers with `Ok` or `ErrNoKey` (read by `err`).
    async fn call<A, R>(&mut self, method: &str, args: &A, err: impl Fn(&R) -> Error) -> R
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        let mut refused = 0;
        loop {
            match self.servers[self.leader].call::<A, R>(method, args).await {
                Ok(reply) if matches!(err(&reply), Error::Ok | Error::ErrNoKey) => return reply,
                Ok(_) | Err(RpcError::Unavailable) => {}
                // A programming error (unknown method, mismatched types): the network has
                // already failed the test with it; retrying would only repeat it.
                Err(e) => panic!("{method}: {e}"),
            }
            self.leader = (self.leader + 1) % self.servers.len();
            refused += 1;
            if refused % self.servers.len() == 0 {
                sleep(ROUND_PAUSE).await;
            }
        }
    }
    // END SOLUTION
    // STUB: // Lab 4: add helper methods if you like (e.g. one retry loop for both RPCs).
}
