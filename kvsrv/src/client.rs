//! The clerk: the library a client program uses to talk to the key/value server.

use labrpc::ClientEnd;
// BEGIN SOLUTION
use labrpc::RpcError;
// END SOLUTION
// STUB: // Lab 2: import what you need (e.g. labrpc::RpcError).

// The handout's stubs do not use these yet.
#[allow(unused_imports)]
use crate::common::{GetArgs, GetReply, PutAppendArgs, PutAppendReply};

/// A client's handle on the server. Each client task has its own clerk; the tester creates many.
pub struct Clerk {
    server: ClientEnd,
    // BEGIN SOLUTION
    /// Random, so that clerks need no coordination to get distinct ids.
    client_id: u64,
    /// Number of the last Put or Append this clerk sent.
    seq: u64,
    // END SOLUTION
    // STUB: // Lab 2: add what a clerk needs to make its Puts and Appends at-most-once.
}

impl Clerk {
    /// A clerk that sends its RPCs through `server`.
    pub fn new(server: ClientEnd) -> Clerk {
        // BEGIN SOLUTION
        Clerk {
            server,
            client_id: labrpc::rand::random(),
            seq: 0,
        }
        // END SOLUTION
        // STUB: Clerk { server }
    }

    /// Fetches the current value of `key` (`""` if it does not exist), retrying until the server
    /// answers.
    ///
    /// Call the server with `self.server.call::<GetArgs, GetReply>("KVServer.Get", &args).await`.
    /// `Err(RpcError::Unavailable)` means the request or the reply was lost: try again.
    pub async fn get(&mut self, key: &str) -> String {
        // BEGIN SOLUTION
        let args = GetArgs {
            key: key.to_string(),
        };
        loop {
            match self
                .server
                .call::<GetArgs, GetReply>("KVServer.Get", &args)
                .await
            {
                Ok(reply) => return reply.value,
                Err(RpcError::Unavailable) => continue,
                Err(e) => panic!("KVServer.Get failed: {e}"),
            }
        }
        // END SOLUTION
        // STUB: // Lab 2: send KVServer.Get, retrying until a reply arrives.
        // STUB: let _ = (&self.server, key);
        // STUB: todo!("Clerk::get")
    }

    /// Shared by [`Clerk::put`] and [`Clerk::append`]: `op` is `"Put"` or `"Append"`. Returns the
    /// server's reply value, retrying until the server answers. The server must execute the
    /// operation exactly once, however many times the request is sent.
    async fn put_append(&mut self, key: &str, value: &str, op: &str) -> String {
        // BEGIN SOLUTION
        self.seq += 1;
        let args = PutAppendArgs {
            key: key.to_string(),
            value: value.to_string(),
            client_id: self.client_id,
            seq: self.seq,
        };
        let method = format!("KVServer.{op}");
        loop {
            match self
                .server
                .call::<PutAppendArgs, PutAppendReply>(&method, &args)
                .await
            {
                Ok(reply) => return reply.value,
                Err(RpcError::Unavailable) => continue,
                Err(e) => panic!("{method} failed: {e}"),
            }
        }
        // END SOLUTION
        // STUB: // Lab 2: send KVServer.Put or KVServer.Append, retrying until a reply arrives.
        // STUB: let _ = (key, value, op);
        // STUB: todo!("Clerk::put_append")
    }

    /// Replaces the value of `key` with `value`.
    pub async fn put(&mut self, key: &str, value: &str) {
        self.put_append(key, value, "Put").await;
    }

    /// Appends `value` to the value of `key` (a missing key counts as `""`) and returns the value
    /// it had before.
    pub async fn append(&mut self, key: &str, value: &str) -> String {
        self.put_append(key, value, "Append").await
    }
}
