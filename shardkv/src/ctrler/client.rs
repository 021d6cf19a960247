//! The controller's clerk. The retry loop is given, as in 6.5840: it asks each server in turn and
//! pauses 100 ms after a round in which none executed the request.

use std::collections::BTreeMap;

use labrpc::{ClientEnd, RpcError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::{Duration, sleep};

use super::common::{ChangeReply, JoinArgs, LeaveArgs, MoveArgs, QueryArgs, QueryReply};
use super::{Config, Gid};

/// The pause after a round of servers that all refused or did not answer.
const ROUND_PAUSE: Duration = Duration::from_millis(100);

/// A client's handle on the controller; one request outstanding at a time.
pub struct Clerk {
    /// Ends to every controller server, in an order the tester shuffled.
    servers: Vec<ClientEnd>,
    // BEGIN SOLUTION
    /// Random, so that clerks need no coordination to get distinct ids.
    client_id: u64,
    /// Number of this clerk's latest change request.
    seq: u64,
    // END SOLUTION
    // STUB: // Lab 5A: add what requests need to be recognised when retransmitted.
}

impl Clerk {
    pub fn new(servers: Vec<ClientEnd>) -> Clerk {
        // BEGIN SOLUTION
        Clerk {
            servers,
            client_id: labrpc::rand::random(),
            seq: 0,
        }
        // END SOLUTION
        // STUB: Clerk { servers }
    }

    /// Configuration `num`, or the latest one for `None` (or a number past the latest).
    pub async fn query(&mut self, num: Option<u64>) -> Config {
        let args = QueryArgs { num };
        let reply: QueryReply = self
            .call("ShardCtrler.Query", &args, |r: &QueryReply| r.wrong_leader)
            .await;
        reply.config
    }

    /// Adds groups (gid to server names); the controller rebalances the shards.
    pub async fn join(&mut self, servers: BTreeMap<Gid, Vec<String>>) {
        let args = JoinArgs {
            servers,
            // BEGIN SOLUTION
            client_id: self.client_id,
            seq: self.next_seq(),
            // END SOLUTION
            // STUB: // Lab 5A: fill in your fields.
        };
        self.change("ShardCtrler.Join", &args).await;
    }

    /// Removes groups; the controller gives their shards to the remaining ones.
    pub async fn leave(&mut self, gids: Vec<Gid>) {
        let args = LeaveArgs {
            gids,
            // BEGIN SOLUTION
            client_id: self.client_id,
            seq: self.next_seq(),
            // END SOLUTION
            // STUB: // Lab 5A: fill in your fields.
        };
        self.change("ShardCtrler.Leave", &args).await;
    }

    /// Puts `shard` on group `gid` (for tests; no rebalancing).
    pub async fn move_shard(&mut self, shard: usize, gid: Gid) {
        let args = MoveArgs {
            shard,
            gid,
            // BEGIN SOLUTION
            client_id: self.client_id,
            seq: self.next_seq(),
            // END SOLUTION
            // STUB: // Lab 5A: fill in your fields.
        };
        self.change("ShardCtrler.Move", &args).await;
    }

    // BEGIN SOLUTION
    /// A number for a new request, larger than every earlier one's.
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
    // END SOLUTION
    // STUB:

    async fn change<A: Serialize>(&mut self, method: &str, args: &A) {
        let _: ChangeReply = self
            .call(method, args, |r: &ChangeReply| r.wrong_leader)
            .await;
    }

    /// Asks each server in turn until one executes the request (`wrong_leader` false), pausing
    /// after every round without success.
    async fn call<A, R>(&self, method: &str, args: &A, wrong_leader: impl Fn(&R) -> bool) -> R
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        loop {
            for server in &self.servers {
                match server.call::<A, R>(method, args).await {
                    Ok(reply) if !wrong_leader(&reply) => return reply,
                    Ok(_) | Err(RpcError::Unavailable) => {}
                    // A programming error (unknown method, mismatched types): the network has
                    // already failed the test with it; retrying would only repeat it.
                    Err(e) => panic!("{method}: {e}"),
                }
            }
            sleep(ROUND_PAUSE).await;
        }
    }
}
