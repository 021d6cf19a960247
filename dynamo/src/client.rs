//! The clerk: sends each request to a node, which coordinates it. Any node will do; one that
//! cannot be reached is skipped for the next.

use labrpc::ClientEnd;

use crate::version::Context;
use crate::{DynamoError, Options};
// BEGIN SOLUTION
use labrpc::RpcError;
use tokio::time::{Duration, Instant, sleep};

use crate::common::{
    GetArgs, GetReply, GetVersionsArgs, GetVersionsReply, PutArgs, PutReply, PutWithArgs,
    PutWithReply,
};
// END SOLUTION
// STUB: // Your imports here (6A), e.g. crate::common::{GetArgs, GetReply, PutArgs, PutReply}.

/// A client of the store, with the quorum and mode its requests use.
// STUB ONLY: // The stubs below do not read every field yet: remove the next line when they do.
// STUB ONLY: #[allow(dead_code)]
pub struct Clerk {
    /// Ends to the nodes this clerk may use.
    nodes: Vec<ClientEnd>,
    options: Options,
    /// This clerk's identity in its writes (see [`PutArgs`]), and the number of its last write.
    id: u64,
    seq: u64,
    // BEGIN SOLUTION
    /// The node to try first: the one that answered last time.
    next: usize,
    // END SOLUTION
    // STUB:
}

// BEGIN SOLUTION
/// How long a clerk keeps resending a write to the same coordinator before it takes the node
/// for unreachable. A resend to the same node is safe (it recognises the write and stores it
/// with the stamp it chose the first time); a write sent anew through another node gets a new
/// stamp and could, if the first one did take effect, undo a write made in between. A live node
/// answers well within this on the lossy network (one request or reply in ten is lost).
const RESEND_FOR: Duration = Duration::from_secs(2);

/// The pause between two tries of the same node.
const RETRY_PAUSE: Duration = Duration::from_millis(10);
// END SOLUTION
// STUB:

impl Clerk {
    pub fn new(nodes: Vec<ClientEnd>, options: Options) -> Clerk {
        // BEGIN SOLUTION
        // Clerks start at different nodes, so that coordination spreads over the ring.
        let next = labrpc::rand::random_range(0..nodes.len().max(1));
        Clerk {
            nodes,
            options,
            id: labrpc::rand::random(),
            seq: 0,
            next,
        }
        // END SOLUTION
        // STUB: // Your code here (6A).
        // STUB: Clerk { nodes, options, id: labrpc::rand::random(), seq: 0 }
    }

    /// The value of `key` (`""` if it was never written), or why it could not be read.
    pub async fn get(&mut self, key: &str) -> Result<String, DynamoError> {
        // BEGIN SOLUTION
        let args = GetArgs {
            key: key.to_string(),
            options: self.options,
        };
        self.call::<_, GetReply>("Dynamo.Get", &args, Duration::ZERO)
            .await?
            .result
        // END SOLUTION
        // STUB: // Your code here (6A): call a node's "Dynamo.Get" with GetArgs.
        // STUB: let _ = key;
        // STUB: Err(DynamoError::NoCoordinator)
    }

    /// Stores `value` under `key`. An error means the write may or may not have taken effect.
    pub async fn put(&mut self, key: &str, value: &str) -> Result<(), DynamoError> {
        // BEGIN SOLUTION
        self.seq += 1;
        let args = PutArgs {
            key: key.to_string(),
            value: value.to_string(),
            options: self.options,
            clerk: self.id,
            seq: self.seq,
        };
        (self
            .call::<_, PutReply>("Dynamo.Put", &args, RESEND_FOR)
            .await?)
            .result
        // END SOLUTION
        // STUB: // Your code here (6A): call a node's "Dynamo.Put" with PutArgs.
        // STUB: let _ = (key, value);
        // STUB: Err(DynamoError::NoCoordinator)
    }
    /// Every version of `key` that no other covers (none for a key never written), and the
    /// context to hand back with a write that supersedes them (6C).
    pub async fn get_versions(&mut self, key: &str) -> Result<(Vec<String>, Context), DynamoError> {
        // BEGIN SOLUTION
        let args = GetVersionsArgs {
            key: key.to_string(),
            options: self.options,
        };
        let reply = self.call::<_, GetVersionsReply>("Dynamo.GetVersions", &args, Duration::ZERO);
        reply.await?.result
        // END SOLUTION
        // STUB: // Your code here (6C): call a node's "Dynamo.GetVersions".
        // STUB: let _ = key;
        // STUB: Err(DynamoError::NoCoordinator)
    }

    /// Stores `value` under `key` as a version that supersedes what `context` (from
    /// [`Clerk::get_versions`]) covers, and nothing else (6C). An error means the write may or
    /// may not have taken effect.
    pub async fn put_with(
        &mut self,
        key: &str,
        value: &str,
        context: &Context,
    ) -> Result<(), DynamoError> {
        // BEGIN SOLUTION
        self.seq += 1;
        let args = PutWithArgs {
            key: key.to_string(),
            value: value.to_string(),
            context: context.clone(),
            options: self.options,
            clerk: self.id,
            seq: self.seq,
        };
        let reply = self.call::<_, PutWithReply>("Dynamo.PutWith", &args, RESEND_FOR);
        reply.await?.result
        // END SOLUTION
        // STUB: // Your code here (6C): call a node's "Dynamo.PutWith".
        // STUB: let _ = (key, value, context);
        // STUB: Err(DynamoError::NoCoordinator)
    }
    // BEGIN SOLUTION

    /// Sends the request to one node after another until one answers, trying each node again
    /// for `patience` (at least once): a coordinator always answers (within its quorum
    /// timeout), so only unreachable nodes are skipped.
    async fn call<A, R>(
        &mut self,
        method: &str,
        args: &A,
        patience: Duration,
    ) -> Result<R, DynamoError>
    where
        A: serde::Serialize,
        R: serde::de::DeserializeOwned,
    {
        for _ in 0..self.nodes.len() {
            let give_up = Instant::now() + patience;
            loop {
                match self.nodes[self.next].call::<A, R>(method, args).await {
                    Ok(reply) => return Ok(reply),
                    Err(RpcError::Unavailable) => {}
                    // A programming error: the run has already failed with its message.
                    Err(_) => return Err(DynamoError::NoCoordinator),
                }
                if Instant::now() >= give_up {
                    break;
                }
                sleep(RETRY_PAUSE).await;
            }
            self.next = (self.next + 1) % self.nodes.len();
        }
        Err(DynamoError::NoCoordinator)
    }
    // END SOLUTION
    // STUB:
}
