//! A server of a shard group: one replica of the shards its group serves. Client requests,
//! configuration changes and shard hand-overs all go through the group's Raft log, so every
//! replica applies them in the same order.
//!
//! Rules of the simulator (see docs/labrpc.md): time only from `tokio::time`, randomness only from
//! `labrpc::rand`, tasks only through `labrpc::spawn`, never a `std::sync::Mutex` guard held
//! across an `.await`, never rely on `HashMap` iteration order.

use labrpc::{ClientEnd, Persister, Service};
use raft::Raft;

use crate::MakeEnd;
use crate::common::{GetArgs, GetReply, PutAppendArgs, PutAppendReply};
use crate::ctrler::Gid;
// BEGIN SOLUTION
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures::future::join_all;
use labrpc::dlog;
use serde::{Deserialize, Serialize};
use tokio::time::{Duration, sleep};

use crate::common::{
    DeleteShardArgs, DeleteShardReply, Error, PullShardArgs, PullShardReply, PutAppendOp,
};
use crate::rsm::{NotApplied, Rsm, StateMachine};
use crate::{Config, NSHARDS, ctrler, key2shard};
// END SOLUTION
// STUB: // Lab 5: import what you need.

/// The RPC service of a group server, registered by the tester as `ShardKV.Get` and
/// `ShardKV.PutAppend` (beside the Raft peer's own service); add the RPCs groups send each other.
pub fn service(kv: &ShardKv) -> Service<ShardKv> {
    Service::new("ShardKV", kv.clone())
        .handle("Get", |kv, args: GetArgs| async move { kv.get(args).await })
        .handle("PutAppend", |kv, args: PutAppendArgs| async move {
            kv.put_append(args).await
        })
        // BEGIN SOLUTION
        .handle("PullShard", |kv, args: PullShardArgs| async move {
            kv.pull_shard(args)
        })
        .handle("DeleteShard", |kv, args: DeleteShardArgs| async move {
            kv.delete_shard(args).await
        })
    // END SOLUTION
    // STUB:
}

/// A handle to one group server. Clones refer to the same server.
#[derive(Clone)]
pub struct ShardKv {
    // BEGIN SOLUTION
    rsm: Rsm<Store>,
    make_end: MakeEnd,
    /// An end per server name of other groups, made on first use.
    ends: Arc<Mutex<BTreeMap<String, ClientEnd>>>,
    // END SOLUTION
    // STUB: rf: Raft,
    // STUB: // Your data here (5A, 5B).
}

// BEGIN SOLUTION
/// How often the leader asks the controller for the next configuration ("about every 100 ms",
/// says the lab page).
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How often the leader pulls the shards it is waiting for and tells old holders to delete the
/// ones it has installed.
const MIGRATE_INTERVAL: Duration = Duration::from_millis(50);

/// Where a shard stands at this group in the current configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
enum Status {
    /// Not this group's, and nothing to hand over.
    #[default]
    Absent,
    /// This group's: clients are served.
    Serving,
    /// This group's, but the data is still at the previous holder: clients wait.
    Pulling,
    /// No longer this group's; the data stays, frozen, until the new holder has installed it.
    Offering,
    /// Installed from the previous holder and served, but the previous holder has not yet been
    /// told to delete its copy.
    Confirming,
}

/// One shard at this group: its keys and its duplicate table travel together.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Shard {
    status: Status,
    data: BTreeMap<String, String>,
    /// Per clerk, the number of its latest write executed on this shard. A clerk sends a request
    /// only after its previous one was answered, so a write numbered no higher is a retransmission.
    latest: BTreeMap<u64, u64>,
}

/// The replicated state of a group server.
#[derive(Debug, Serialize, Deserialize)]
struct Store {
    gid: Gid,
    config: Config,
    /// The configuration before `config`: where pulled shards come from.
    prev: Config,
    shards: Vec<Shard>,
}

#[derive(Debug, Serialize, Deserialize)]
enum Op {
    Client {
        client_id: u64,
        seq: u64,
        action: Action,
    },
    /// Move to the next configuration.
    Reconfigure(Config),
    /// A pulled shard's contents, for configuration `num`.
    Install {
        num: u64,
        shard: usize,
        data: BTreeMap<String, String>,
        latest: BTreeMap<u64, u64>,
    },
    /// The new holder of `shard` in configuration `num` has it: forget this group's copy.
    Delete { num: u64, shard: usize },
    /// The old holder of `shard` in configuration `num` has deleted its copy.
    Confirmed { num: u64, shard: usize },
    /// A new leader's first entry. Raft commits entries of earlier terms only along with one of
    /// the leader's own, and a hand-over step the previous leader left uncommitted may be the
    /// one everything waits for (the other group has its answer and will not ask again) while
    /// no client has a reason to send this group anything.
    TermStart,
}

#[derive(Debug, Serialize, Deserialize)]
enum Action {
    Get { key: String },
    Put { key: String, value: String },
    Append { key: String, value: String },
}

/// A Get's value (empty for everything else), or why there is none.
type Outcome = Result<String, Error>;

impl StateMachine for Store {
    type Op = Op;
    type Outcome = Outcome;

    fn apply(&mut self, op: Op) -> Outcome {
        match op {
            Op::Client {
                client_id,
                seq,
                action,
            } => return self.execute(client_id, seq, action),
            Op::Reconfigure(next) => self.reconfigure(next),
            Op::Install {
                num,
                shard,
                data,
                latest,
            } => {
                if let Some(s) = self.shard_at(num, shard, Status::Pulling) {
                    *s = Shard {
                        status: Status::Confirming,
                        data,
                        latest,
                    };
                }
            }
            Op::Delete { num, shard } => {
                if num > self.config.num {
                    return Err(Error::ErrNotReady);
                }
                if let Some(s) = self.shard_at(num, shard, Status::Offering) {
                    *s = Shard::default();
                }
            }
            Op::Confirmed { num, shard } => {
                if let Some(s) = self.shard_at(num, shard, Status::Confirming) {
                    s.status = Status::Serving;
                }
            }
            Op::TermStart => {}
        }
        self.show();
        Ok(String::new())
    }
}

impl Store {
    fn new(gid: Gid) -> Store {
        Store {
            gid,
            config: Config::default(),
            prev: Config::default(),
            shards: vec![Shard::default(); NSHARDS],
        }
    }

    /// Shard `shard`, if the current configuration is `num` and the shard has `status`:
    /// hand-over steps for other configurations or states are stale duplicates.
    /// Shows the run view where the group stands: its configuration and its shards by status.
    fn show(&self) {
        if !labrpc::view::recording() {
            return;
        }
        let with = |status| -> String {
            let shards: Vec<String> = (self.shards.iter().enumerate())
                .filter(|(_, s)| s.status == status)
                .map(|(i, _)| i.to_string())
                .collect();
            shards.join(",")
        };
        let phase = if self.settled() { "settled" } else { "moving" };
        labrpc::state!(
            SHARDS,
            "{phase} config {} serving {{{}}} pulling {{{}}} offering {{{}}} confirming {{{}}}",
            self.config.num,
            with(Status::Serving),
            with(Status::Pulling),
            with(Status::Offering),
            with(Status::Confirming)
        );
    }

    fn shard_at(&mut self, num: u64, shard: usize, status: Status) -> Option<&mut Shard> {
        let s = self.shards.get_mut(shard)?;
        (self.config.num == num && s.status == status).then_some(s)
    }

    /// No hand-over under way: the group may move to the next configuration.
    fn settled(&self) -> bool {
        self.shards
            .iter()
            .all(|s| matches!(s.status, Status::Serving | Status::Absent))
    }

    fn execute(&mut self, client_id: u64, seq: u64, action: Action) -> Outcome {
        let key = match &action {
            Action::Get { key } | Action::Put { key, .. } | Action::Append { key, .. } => key,
        };
        let shard = &mut self.shards[key2shard(key)];
        if !matches!(shard.status, Status::Serving | Status::Confirming) {
            return Err(Error::ErrWrongGroup);
        }
        let (key, value, put) = match action {
            Action::Get { key } => return shard.data.get(&key).cloned().ok_or(Error::ErrNoKey),
            Action::Put { key, value } => (key, value, true),
            Action::Append { key, value } => (key, value, false),
        };
        if shard.latest.get(&client_id).is_some_and(|&s| s >= seq) {
            return Ok(String::new());
        }
        shard.latest.insert(client_id, seq);
        let stored = shard.data.entry(key).or_default();
        if put {
            *stored = value;
        } else {
            stored.push_str(&value);
        }
        Ok(String::new())
    }

    /// Moves to `next` if it is the configuration after the current one and no hand-over is
    /// under way (one configuration at a time, none skipped).
    fn reconfigure(&mut self, next: Config) {
        if next.num != self.config.num + 1 || !self.settled() {
            return;
        }
        let gid = self.gid;
        for (s, shard) in self.shards.iter_mut().enumerate() {
            let (old, new) = (self.config.shards[s], next.shards[s]);
            shard.status = match (old == gid, new == gid) {
                (true, true) => Status::Serving,
                // A shard nobody held starts empty.
                (false, true) if old == 0 => Status::Serving,
                (false, true) => Status::Pulling,
                // Every group left: nobody can take the shard, its data goes.
                (true, false) if new == 0 => {
                    *shard = Shard::default();
                    Status::Absent
                }
                (true, false) => Status::Offering,
                (false, false) => Status::Absent,
            };
        }
        dlog!(INFO, "G{gid} moves to configuration {}", next.num);
        self.prev = std::mem::replace(&mut self.config, next);
    }
}

/// A hand-over step the leader has to drive: shard `shard` of configuration `num`, with the
/// servers of the group that held it before.
struct Transfer {
    num: u64,
    shard: usize,
    servers: Vec<String>,
}
// END SOLUTION
// STUB: // Your types here (5A, 5B).

impl ShardKv {
    /// Starts server `me` of group `gid`, whose Raft ends are `servers`, restoring what
    /// `persister` holds. With `maxraftstate` set, snapshots when the persisted Raft state nears
    /// that many bytes. `ctrlers` reach the controller (for a [`ctrler::Clerk`]); `make_end`
    /// turns a server name of a configuration into an end. Must return quickly; start
    /// long-running work (polling the controller every ~100 ms) with `labrpc::spawn`.
    ///
    /// [`ctrler::Clerk`]: crate::ctrler::Clerk
    pub fn new(
        servers: Vec<ClientEnd>,
        me: usize,
        persister: Persister,
        maxraftstate: Option<usize>,
        gid: Gid,
        ctrlers: Vec<ClientEnd>,
        make_end: MakeEnd,
    ) -> ShardKv {
        // BEGIN SOLUTION
        let kv = ShardKv {
            rsm: Rsm::new(servers, me, persister, maxraftstate, Store::new(gid)),
            make_end,
            ends: Arc::new(Mutex::new(BTreeMap::new())),
        };
        labrpc::spawn(kv.clone().poll_configs(ctrler::Clerk::new(ctrlers)));
        labrpc::spawn(kv.clone().migrate());
        kv
        // END SOLUTION
        // STUB: let (apply_tx, apply_rx) = tokio::sync::mpsc::channel(1);
        // STUB: let rf = Raft::new(servers, me, persister, apply_tx);
        // STUB: // Your code here (5A, 5B). The run view (docs/labrpc.md) shows where your group
        // STUB: // stands if you annotate it when it changes, e.g.
        // STUB: // labrpc::state!(SHARDS, "config {} serving {:?}", config.num, serving);
        // STUB: let _ = (apply_rx, maxraftstate, gid, ctrlers, make_end);
        // STUB: ShardKv { rf }
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

    /// The `ShardKV.Get` handler.
    pub async fn get(&self, args: GetArgs) -> GetReply {
        // BEGIN SOLUTION
        let action = Action::Get { key: args.key };
        match self.client_op(args.client_id, args.seq, action).await {
            Ok(value) => GetReply {
                err: Error::Ok,
                value,
            },
            Err(err) => GetReply {
                err,
                value: String::new(),
            },
        }
        // END SOLUTION
        // STUB: // Your code here (5A).
        // STUB: let _ = args;
        // STUB: GetReply::default()
    }

    /// The `ShardKV.PutAppend` handler.
    pub async fn put_append(&self, args: PutAppendArgs) -> PutAppendReply {
        // BEGIN SOLUTION
        let (key, value) = (args.key, args.value);
        let action = match args.op {
            PutAppendOp::Put => Action::Put { key, value },
            PutAppendOp::Append => Action::Append { key, value },
        };
        let outcome = self.client_op(args.client_id, args.seq, action).await;
        PutAppendReply {
            err: outcome.err().unwrap_or(Error::Ok),
        }
        // END SOLUTION
        // STUB: // Your code here (5A).
        // STUB: let _ = args;
        // STUB: PutAppendReply::default()
    }

    // BEGIN SOLUTION
    async fn client_op(&self, client_id: u64, seq: u64, action: Action) -> Outcome {
        let op = Op::Client {
            client_id,
            seq,
            action,
        };
        self.submit(&op).await
    }

    async fn submit(&self, op: &Op) -> Outcome {
        match self.rsm.submit(op).await {
            Ok(outcome) => outcome,
            Err(NotApplied::WrongLeader | NotApplied::Timeout) => Err(Error::ErrWrongLeader),
        }
    }

    /// The `ShardKV.PullShard` handler. Any replica may answer: one that has applied
    /// configuration `num` has applied every write to the shard there will ever be (writes stop
    /// at the configuration change), and its copy stays until the puller confirms.
    fn pull_shard(&self, args: PullShardArgs) -> PullShardReply {
        self.rsm.read(|st| match st.shards.get(args.shard) {
            Some(shard) if st.config.num == args.num && shard.status == Status::Offering => {
                PullShardReply {
                    err: Error::Ok,
                    data: shard.data.clone(),
                    latest: shard.latest.clone(),
                }
            }
            _ => PullShardReply {
                err: Error::ErrNotReady,
                ..PullShardReply::default()
            },
        })
    }

    /// The `ShardKV.DeleteShard` handler.
    async fn delete_shard(&self, args: DeleteShardArgs) -> DeleteShardReply {
        // A group moves past configuration `num` only once its copies are deleted.
        if self.rsm.read(|st| st.config.num > args.num) {
            return DeleteShardReply { err: Error::Ok };
        }
        let op = Op::Delete {
            num: args.num,
            shard: args.shard,
        };
        DeleteShardReply {
            err: self.submit(&op).await.err().unwrap_or(Error::Ok),
        }
    }

    /// The leader asks the controller for the configuration after its own whenever no hand-over
    /// is under way, and puts it in the log. An unreachable controller only delays this: the
    /// clerk keeps retrying, and the group keeps serving what it has.
    async fn poll_configs(self, mut ctrler: ctrler::Clerk) {
        while !self.rsm.killed() {
            sleep(POLL_INTERVAL).await;
            if !self.rsm.is_leader() {
                continue;
            }
            let (settled, num) = self.rsm.read(|st| (st.settled(), st.config.num));
            if !settled {
                continue;
            }
            let next = ctrler.query(Some(num + 1)).await;
            if next.num == num + 1 {
                // A duplicate from an earlier attempt is ignored when applied.
                let _ = self.submit(&Op::Reconfigure(next)).await;
            }
        }
    }

    /// The leader drives hand-overs: it commits a first entry of its term, pulls the shards it waits for, and tells the old
    /// holders of the shards it has installed to delete their copies. Every shard moves on its
    /// own, so a shard whose old holder is down delays no other.
    async fn migrate(self) {
        let mut noop_term = None;
        while !self.rsm.killed() {
            sleep(MIGRATE_INTERVAL).await;
            let (term, leader) = self.rsm.raft().get_state();
            if !leader {
                continue;
            }
            if noop_term != Some(term) {
                noop_term = Some(term);
                let _ = self.submit(&Op::TermStart).await;
            }
            let pulls = self.transfers(Status::Pulling);
            let confirms = self.transfers(Status::Confirming);
            let pulls = pulls.into_iter().map(|t| self.pull(t));
            let confirms = confirms.into_iter().map(|t| self.confirm(t));
            futures::join!(join_all(pulls), join_all(confirms));
        }
    }

    fn transfers(&self, status: Status) -> Vec<Transfer> {
        self.rsm.read(|st| {
            let shards = st.shards.iter().enumerate();
            shards
                .filter(|(_, shard)| shard.status == status)
                .map(|(s, _)| Transfer {
                    num: st.config.num,
                    shard: s,
                    // Empty if the controller moved the shard from a group it never had.
                    servers: (st.prev.groups.get(&st.prev.shards[s]).cloned()).unwrap_or_default(),
                })
                .collect()
        })
    }

    fn end(&self, name: &str) -> ClientEnd {
        let mut ends = self.ends.lock().unwrap();
        let make_end = &self.make_end;
        ends.entry(name.to_string())
            .or_insert_with(|| make_end(name))
            .clone()
    }

    /// Fetches a shard from its previous holder and installs it through the log.
    async fn pull(&self, t: Transfer) {
        let args = PullShardArgs {
            num: t.num,
            shard: t.shard,
        };
        for name in &t.servers {
            let reply = self
                .end(name)
                .call::<_, PullShardReply>("ShardKV.PullShard", &args)
                .await;
            let Ok(reply) = reply else { continue };
            if reply.err != Error::Ok {
                dlog!(
                    SHRD,
                    "pull {}@{} from {name}: {:?}",
                    t.shard,
                    t.num,
                    reply.err
                );
                continue;
            }
            // A transfer holding keys of another shard is damaged: installing it would serve
            // them from the wrong place. Refuse it and ask again.
            if let Some(key) = reply.data.keys().find(|k| key2shard(k) != t.shard) {
                dlog!(WARN, "{name} sent shard {} with key {key:?}", t.shard);
                continue;
            }
            let install = Op::Install {
                num: t.num,
                shard: t.shard,
                data: reply.data,
                latest: reply.latest,
            };
            let _ = self.submit(&install).await;
            return;
        }
    }

    /// Tells the previous holder of an installed shard to delete its copy, then records that.
    async fn confirm(&self, t: Transfer) {
        let args = DeleteShardArgs {
            num: t.num,
            shard: t.shard,
        };
        for name in &t.servers {
            let reply = self
                .end(name)
                .call::<_, DeleteShardReply>("ShardKV.DeleteShard", &args)
                .await;
            dlog!(SHRD, "delete {}@{} at {name}: {reply:?}", t.shard, t.num);
            if reply.is_ok_and(|r| r.err == Error::Ok) {
                let confirmed = Op::Confirmed {
                    num: t.num,
                    shard: t.shard,
                };
                let _ = self.submit(&confirmed).await;
                return;
            }
        }
    }
    // END SOLUTION
    // STUB: // Lab 5: add helper methods if you like.
}
