//! The controller's server: one replica of the configuration history. Every request goes through
//! the Raft log, so all replicas compute the same configurations in the same order.
//!
//! Rules of the simulator (see docs/labrpc.md): time only from `tokio::time`, randomness only from
//! `labrpc::rand`, tasks only through `labrpc::spawn`, never a `std::sync::Mutex` guard held
//! across an `.await`, and never rely on `HashMap` iteration order (replicas must agree).

use labrpc::{ClientEnd, Persister, Service};
use raft::Raft;

use super::common::{ChangeReply, JoinArgs, LeaveArgs, MoveArgs, QueryArgs, QueryReply};
// BEGIN SOLUTION
use std::cmp::Reverse;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Config, Gid, NSHARDS};
use crate::rsm::{Rsm, StateMachine};
// END SOLUTION
// STUB: // Lab 5A: import what you need.

/// The RPC service of a controller server, registered by the tester as `ShardCtrler.Join`,
/// `ShardCtrler.Leave`, `ShardCtrler.Move` and `ShardCtrler.Query`.
pub fn service(sc: &CtrlerServer) -> Service<CtrlerServer> {
    Service::new("ShardCtrler", sc.clone())
        .handle(
            "Join",
            |sc, args: JoinArgs| async move { sc.join(args).await },
        )
        .handle("Leave", |sc, args: LeaveArgs| async move {
            sc.leave(args).await
        })
        .handle("Move", |sc, args: MoveArgs| async move {
            sc.move_shard(args).await
        })
        .handle("Query", |sc, args: QueryArgs| async move {
            sc.query(args).await
        })
}

/// A handle to one controller server. Clones refer to the same server.
#[derive(Clone)]
pub struct CtrlerServer {
    // BEGIN SOLUTION
    rsm: Rsm<History>,
    // END SOLUTION
    // STUB: rf: Raft,
    // STUB: // Your data here (5A).
}

// BEGIN SOLUTION
/// The replicated state: every configuration so far, and duplicate detection.
#[derive(Debug, Serialize, Deserialize)]
struct History {
    /// `configs[n]` is configuration n; configuration 0 is the empty one.
    configs: Vec<Config>,
    /// Per clerk, the number of its latest executed change. A clerk sends a request only after
    /// its previous one was answered, so a change numbered no higher is a retransmission.
    latest: BTreeMap<u64, u64>,
}

#[derive(Debug, Serialize, Deserialize)]
enum Op {
    Change {
        client_id: u64,
        seq: u64,
        change: Change,
    },
    Query {
        num: Option<u64>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
enum Change {
    Join(BTreeMap<Gid, Vec<String>>),
    Leave(Vec<Gid>),
    Move { shard: usize, gid: Gid },
}

impl StateMachine for History {
    type Op = Op;
    /// A query's configuration (the latest one, for a change).
    type Outcome = Config;

    fn apply(&mut self, op: Op) -> Config {
        match op {
            Op::Query { num } => {
                let n = num.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
                self.configs.get(n).unwrap_or_else(|| self.last()).clone()
            }
            Op::Change {
                client_id,
                seq,
                change,
            } => {
                if self.latest.get(&client_id).is_none_or(|&s| s < seq) {
                    self.latest.insert(client_id, seq);
                    let next = self.changed(change);
                    self.configs.push(next);
                    let last = self.last();
                    labrpc::state!(CTRLER, "config {} shards {:?}", last.num, last.shards);
                }
                self.last().clone()
            }
        }
    }
}

impl History {
    fn last(&self) -> &Config {
        self.configs
            .last()
            .expect("configuration 0 is always there")
    }

    /// The configuration after `change`.
    fn changed(&self, change: Change) -> Config {
        let mut next = self.last().clone();
        next.num += 1;
        match change {
            Change::Join(servers) => {
                next.groups.extend(servers);
                rebalance(&mut next);
            }
            Change::Leave(gids) => {
                for gid in gids {
                    next.groups.remove(&gid);
                }
                rebalance(&mut next);
            }
            Change::Move { shard, gid } => {
                if shard < NSHARDS {
                    next.shards[shard] = gid;
                }
            }
        }
        next
    }
}

/// Spreads the shards over the config's groups as evenly as possible (counts differ by at most
/// one) while moving as few as possible, and the same way on every replica.
///
/// Every group's target is `NSHARDS / groups`; the `NSHARDS % groups` groups that already hold
/// the most shards (ties: the smaller gid) get one more, so that fewest shards leave their group.
/// Shards of departed groups and surplus shards of the others are then handed, lowest shard
/// first, to the groups below their target, in the same order.
fn rebalance(config: &mut Config) {
    if config.groups.is_empty() {
        config.shards = [0; NSHARDS];
        return;
    }
    let mut held: BTreeMap<Gid, Vec<usize>> =
        config.groups.keys().map(|&gid| (gid, Vec::new())).collect();
    let mut free = Vec::new();
    for (shard, gid) in config.shards.iter().enumerate() {
        match held.get_mut(gid) {
            Some(shards) => shards.push(shard),
            None => free.push(shard),
        }
    }
    let mut order: Vec<Gid> = held.keys().copied().collect();
    order.sort_by_key(|gid| (Reverse(held[gid].len()), *gid));
    let (base, extra) = (NSHARDS / order.len(), NSHARDS % order.len());
    let target = |rank: usize| base + usize::from(rank < extra);
    for (rank, gid) in order.iter().enumerate() {
        let shards = held.get_mut(gid).expect("every group is in held");
        while shards.len() > target(rank) {
            free.extend(shards.pop());
        }
    }
    free.sort_unstable();
    let mut free = free.into_iter();
    for (rank, gid) in order.iter().enumerate() {
        let shards = held.get_mut(gid).expect("every group is in held");
        while shards.len() < target(rank) {
            let shard = free.next().expect("targets add up to NSHARDS");
            shards.push(shard);
            config.shards[shard] = *gid;
        }
    }
}
// END SOLUTION
// STUB: // Your types here (5A): the log's operations, the replicated state, rebalancing.

impl CtrlerServer {
    /// Starts controller server `me` of a group whose Raft ends are `servers`, restoring what
    /// `persister` holds. Must return quickly.
    pub fn new(servers: Vec<ClientEnd>, me: usize, persister: Persister) -> CtrlerServer {
        // BEGIN SOLUTION
        let history = History {
            configs: vec![Config::default()],
            latest: BTreeMap::new(),
        };
        // The controller never snapshots, as in 6.5840: its log stays short.
        CtrlerServer {
            rsm: Rsm::new(servers, me, persister, None, history),
        }
        // END SOLUTION
        // STUB: let (apply_tx, apply_rx) = tokio::sync::mpsc::channel(1);
        // STUB: let rf = Raft::new(servers, me, persister, apply_tx);
        // STUB: // Your code here (5A).
        // STUB: let _ = apply_rx;
        // STUB: CtrlerServer { rf }
    }

    /// This server's Raft peer (the tester asks it who leads, and serves its RPCs).
    pub fn raft(&self) -> &Raft {
        // BEGIN SOLUTION
        self.rsm.raft()
        // END SOLUTION
        // STUB: &self.rf
    }

    /// Stops the server (the tester also aborts its tasks).
    pub fn kill(&self) {
        // BEGIN SOLUTION
        self.rsm.kill();
        // END SOLUTION
        // STUB: self.rf.kill();
    }

    pub async fn join(&self, args: JoinArgs) -> ChangeReply {
        // BEGIN SOLUTION
        let change = Change::Join(args.servers);
        self.change(args.client_id, args.seq, change).await
        // END SOLUTION
        // STUB: // Your code here (5A).
        // STUB: let _ = args;
        // STUB: ChangeReply::default()
    }

    pub async fn leave(&self, args: LeaveArgs) -> ChangeReply {
        // BEGIN SOLUTION
        let change = Change::Leave(args.gids);
        self.change(args.client_id, args.seq, change).await
        // END SOLUTION
        // STUB: // Your code here (5A).
        // STUB: let _ = args;
        // STUB: ChangeReply::default()
    }

    pub async fn move_shard(&self, args: MoveArgs) -> ChangeReply {
        // BEGIN SOLUTION
        let change = Change::Move {
            shard: args.shard,
            gid: args.gid,
        };
        self.change(args.client_id, args.seq, change).await
        // END SOLUTION
        // STUB: // Your code here (5A).
        // STUB: let _ = args;
        // STUB: ChangeReply::default()
    }

    pub async fn query(&self, args: QueryArgs) -> QueryReply {
        // BEGIN SOLUTION
        match self.rsm.submit(&Op::Query { num: args.num }).await {
            Ok(config) => QueryReply {
                wrong_leader: false,
                config,
            },
            Err(_) => QueryReply {
                wrong_leader: true,
                config: Config::default(),
            },
        }
        // END SOLUTION
        // STUB: // Your code here (5A).
        // STUB: let _ = args;
        // STUB: QueryReply::default()
    }

    // BEGIN SOLUTION
    async fn change(&self, client_id: u64, seq: u64, change: Change) -> ChangeReply {
        let op = Op::Change {
            client_id,
            seq,
            change,
        };
        ChangeReply {
            wrong_leader: self.rsm.submit(&op).await.is_err(),
        }
    }
    // END SOLUTION
    // STUB:
}
