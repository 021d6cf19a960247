//! The clerk of the sharded service. The routing loop is given, as in 6.5840: it finds the key's
//! group in its copy of the configuration, tries that group's servers, and on `ErrWrongGroup` or
//! a round without an answer pauses 100 ms and asks the controller for the latest configuration.

use std::collections::BTreeMap;

use labrpc::{ClientEnd, RpcError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::{Duration, sleep};

use crate::common::{Error, GetArgs, GetReply, PutAppendArgs, PutAppendOp, PutAppendReply};
use crate::{Config, MakeEnd, ctrler, key2shard};

/// The pause before asking the controller again.
const ROUND_PAUSE: Duration = Duration::from_millis(100);

/// A client's handle on the sharded service; one request outstanding at a time.
pub struct Clerk {
    ctrler: ctrler::Clerk,
    /// The configuration this clerk routes by (it may be out of date).
    config: Config,
    make_end: MakeEnd,
    /// An end per server name, made the first time the clerk calls that server.
    ends: BTreeMap<String, ClientEnd>,
    // BEGIN SOLUTION
    /// Random, so that clerks need no coordination to get distinct ids.
    client_id: u64,
    /// Number of this clerk's latest request.
    seq: u64,
    // END SOLUTION
    // STUB: // Lab 5: add what requests need to be recognised when retransmitted.
}

impl Clerk {
    /// A clerk that asks the controller through `ctrlers` and reaches group servers through ends
    /// from `make_end`.
    pub fn new(ctrlers: Vec<ClientEnd>, make_end: MakeEnd) -> Clerk {
        Clerk {
            ctrler: ctrler::Clerk::new(ctrlers),
            config: Config::default(),
            make_end,
            ends: BTreeMap::new(),
            // BEGIN SOLUTION
            client_id: labrpc::rand::random(),
            seq: 0,
            // END SOLUTION
            // STUB: // Lab 5: initialise your fields.
        }
    }

    /// Fetches the current value of `key` (`""` if it does not exist). Keeps trying forever.
    pub async fn get(&mut self, key: &str) -> String {
        let args = GetArgs {
            key: key.to_string(),
            // BEGIN SOLUTION
            client_id: self.client_id,
            seq: self.next_seq(),
            // END SOLUTION
            // STUB: // Lab 5: fill in your fields.
        };
        let reply: GetReply = self
            .call(key, "ShardKV.Get", &args, |r: &GetReply| r.err)
            .await;
        reply.value
    }

    /// Shared by [`Clerk::put`] and [`Clerk::append`]: keeps trying until the request is
    /// executed, which must happen exactly once however often it is sent, to whichever groups.
    async fn put_append(&mut self, key: &str, value: &str, op: PutAppendOp) {
        let args = PutAppendArgs {
            key: key.to_string(),
            value: value.to_string(),
            op,
            // BEGIN SOLUTION
            client_id: self.client_id,
            seq: self.next_seq(),
            // END SOLUTION
            // STUB: // Lab 5: fill in your fields.
        };
        let _: PutAppendReply = self
            .call(key, "ShardKV.PutAppend", &args, |r: &PutAppendReply| r.err)
            .await;
    }

    pub async fn put(&mut self, key: &str, value: &str) {
        self.put_append(key, value, PutAppendOp::Put).await
    }

    pub async fn append(&mut self, key: &str, value: &str) {
        self.put_append(key, value, PutAppendOp::Append).await
    }

    // BEGIN SOLUTION
    /// A number for a new request, larger than every earlier one's.
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
    // END SOLUTION
    // STUB:

    /// Sends `args` to the servers of the group that serves `key`'s shard until one answers `Ok`
    /// or `ErrNoKey` (read by `err`), following configuration changes.
    async fn call<A, R>(
        &mut self,
        key: &str,
        method: &str,
        args: &A,
        err: impl Fn(&R) -> Error,
    ) -> R
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        loop {
            let gid = self.config.shards[key2shard(key)];
            let servers = self.config.groups.get(&gid).cloned().unwrap_or_default();
            for name in &servers {
                let end = self.end(name);
                match end.call::<A, R>(method, args).await {
                    Ok(reply) => match err(&reply) {
                        Error::Ok | Error::ErrNoKey => return reply,
                        Error::ErrWrongGroup => break,
                        _ => {}
                    },
                    Err(RpcError::Unavailable) => {}
                    // A programming error (unknown method, mismatched types): the network has
                    // already failed the test with it; retrying would only repeat it.
                    Err(e) => panic!("{method}: {e}"),
                }
            }
            sleep(ROUND_PAUSE).await;
            self.config = self.ctrler.query(None).await;
        }
    }

    fn end(&mut self, name: &str) -> ClientEnd {
        let make_end = &self.make_end;
        self.ends
            .entry(name.to_string())
            .or_insert_with(|| make_end(name))
            .clone()
    }
}
