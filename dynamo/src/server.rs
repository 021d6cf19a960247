//! The node: every node is a replica of the keys its ring places on it, and coordinates any
//! client request it receives. There is no leader.
//!
//! Rules of the simulator (see docs/labrpc.md): time only from `tokio::time`, randomness only from
//! `labrpc::rand`, tasks only through `labrpc::spawn`, and never hold a `std::sync::Mutex` guard
//! across an `.await`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use labrpc::{ClientEnd, Persister, Service};

use crate::common::{
    GetArgs, GetReply, GetVersionsArgs, GetVersionsReply, PutArgs, PutReply, PutWithArgs,
    PutWithReply,
};
use crate::{NodeId, NodeOptions, Ring};
// BEGIN SOLUTION
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard};

use labrpc::{codec, dlog};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant, sleep, timeout_at};

use crate::common::{
    Data, ReadArgs, ReadReply, SyncKeysArgs, SyncKeysReply, SyncRootsArgs, SyncRootsReply,
    Versioned, WriteArgs, WriteReply,
};
use crate::version::{self, Dot, Sibling};
use crate::{ANTI_ENTROPY_N, LEAVES, hash, hash_bytes, partition_of};
use crate::{
    DynamoError, HANDOFF_INTERVAL, Mode, Options, QUORUM_TIMEOUT, Quorum, REPAIR_WAIT, Stamp,
    wall_clock,
};
// END SOLUTION
// STUB: // Your imports here (6A, 6B).

/// The node's RPC service, registered by the tester: `Dynamo.Get` and `Dynamo.Put` from clerks,
/// and your own methods between nodes.
pub fn service(node: &DynamoNode) -> Service<DynamoNode> {
    // BEGIN SOLUTION
    Service::new("Dynamo", node.clone())
        .handle(
            "Get",
            |node, args: GetArgs| async move { node.get(args).await },
        )
        .handle(
            "Put",
            |node, args: PutArgs| async move { node.put(args).await },
        )
        .handle("GetVersions", |node, args: GetVersionsArgs| async move {
            node.get_versions(args).await
        })
        .handle("PutWith", |node, args: PutWithArgs| async move {
            node.put_with(args).await
        })
        .handle(
            "Read",
            |node, args: ReadArgs| async move { node.read(args) },
        )
        .handle("Write", |node, args: WriteArgs| async move {
            node.write(args).await
        })
        .handle("SyncRoots", |node, args: SyncRootsArgs| async move {
            node.sync_roots(args)
        })
        .handle("SyncKeys", |node, args: SyncKeysArgs| async move {
            node.sync_keys(args).await
        })
    // END SOLUTION
    // STUB: // Your code here (6A): register your own methods between nodes too.
    // STUB: Service::new("Dynamo", node.clone())
    // STUB:     .handle("Get", |node, args: GetArgs| async move { node.get(args).await })
    // STUB:     .handle("Put", |node, args: PutArgs| async move { node.put(args).await })
    // STUB:     .handle("GetVersions", |node, args: GetVersionsArgs| async move {
    // STUB:         node.get_versions(args).await
    // STUB:     })
    // STUB:     .handle("PutWith", |node, args: PutWithArgs| async move { node.put_with(args).await })
}

/// A handle to one node. Clones refer to the same node, so tasks and RPC handlers each hold one.
#[derive(Clone)]
pub struct DynamoNode {
    inner: Arc<Inner>,
}

// STUB ONLY: // The stubs below do not read every field yet: remove the next line when they do.
// STUB ONLY: #[allow(dead_code)]
struct Inner {
    me: NodeId,
    dead: AtomicBool,
    // BEGIN SOLUTION
    /// Ends to every node (`peers[me]` is this one).
    peers: Vec<ClientEnd>,
    persister: Persister,
    state: Mutex<State>,
    /// Changes asked to be saved, and the last one saved (see `flusher`).
    changes: AtomicU64,
    saved: tokio::sync::watch::Sender<u64>,
    flush: tokio::sync::Notify,
    /// Per clerk, its latest write this node coordinated, with the copy it made of it: a resent
    /// write is stored again with the same stamp, never as a new write.
    recent: Mutex<BTreeMap<u64, (u64, Versioned)>>,
    // END SOLUTION
    // STUB: // Your data here (6A, 6B).
}
// BEGIN SOLUTION

/// How long changes wait to be saved together (group commit).
const FLUSH_WINDOW: Duration = Duration::from_millis(2);

/// How long a coordinator waits before it asks a replica again, after a request got no answer.
const RETRY_PAUSE: Duration = Duration::from_millis(20);

/// Everything a node keeps, all of it persisted: a restarted node has its keys, the copies it
/// owes, and the ring it last knew (to see what a ring change while it was down moved).
#[derive(Debug, Serialize, Deserialize)]
struct State {
    ring: Ring,
    /// The keys this node is a home replica of.
    store: BTreeMap<String, Versioned>,
    /// Copies this node owes other nodes, by key and the node owed: hints it keeps for a home
    /// replica it stood in for, and keys a ring change gave to other nodes. The handoff task
    /// delivers them and forgets each once its node has stored it.
    owed: BTreeMap<String, BTreeMap<NodeId, Versioned>>,
    /// The highest stamp counter this node has given a write: two writes it coordinates never
    /// share a stamp, even when both read the same newest one (or it restarted in between).
    clock: u64,
    /// Per key, how many of its writes with siblings this node has coordinated: the number of
    /// each one's dot.
    dots: BTreeMap<String, u64>,
    /// This life of the node's disk, drawn when it starts empty: its dots' writer.
    epoch: u64,
    /// Per partition, the leaves of its Merkle tree over the store: each the XOR of the hashes
    /// of its entries, kept up to date on every change (and rebuilt from the store on start).
    #[serde(skip)]
    leaves: BTreeMap<usize, [u64; LEAVES]>,
}

/// Where a key sits in the trees: its partition, and its leaf there.
fn leaf_of(key: &str, partitions: usize) -> (usize, usize) {
    (partition_of(key, partitions), hash(key) as usize % LEAVES)
}

fn entry_hash(key: &str, value: &Versioned) -> u64 {
    hash_bytes(&codec::encode(&(key, value)).expect("entries encode"))
}

/// Takes `incoming` into what `slot` holds: of two registers the one with the larger stamp, of
/// two sets of siblings every version neither covers. (A key is written through one API; a copy
/// of the other kind is ignored.)
fn keep_newer(slot: &mut Option<Versioned>, incoming: Versioned) {
    let Some(old) = slot else {
        *slot = Some(incoming);
        return;
    };
    old.n = old.n.max(incoming.n);
    match (&mut old.data, incoming.data) {
        (Data::Register { stamp, .. }, new @ Data::Register { stamp: newer, .. })
            if *stamp < newer =>
        {
            old.data = new;
        }
        (Data::Siblings(kept), Data::Siblings(new)) => {
            for sibling in new {
                version::absorb(kept, sibling);
            }
        }
        _ => {}
    }
}

/// Whether a replica that answered `reply` lacks something of `newest`.
fn is_behind(reply: &Option<Versioned>, newest: &Versioned) -> bool {
    let mut merged = reply.clone();
    keep_newer(&mut merged, newest.clone());
    &merged != reply
}

impl State {
    fn restore(me: NodeId, bytes: &[u8]) -> Option<State> {
        if bytes.is_empty() {
            return None;
        }
        Some(codec::decode(bytes).unwrap_or_else(|e| {
            panic!(
                "node {me}: its persisted state ({} bytes) cannot be read: {e}",
                bytes.len()
            )
        }))
    }

    fn store(&mut self, key: &str, value: Versioned) {
        let mut slot = self.store.get(key).cloned();
        keep_newer(&mut slot, value);
        self.set(key, slot);
    }

    /// Replaces the store's entry for `key`, keeping the tree's leaf in step.
    fn set(&mut self, key: &str, value: Option<Versioned>) {
        let (partition, leaf) = leaf_of(key, self.ring.partitions());
        let row = self.leaves.entry(partition).or_default();
        if let Some(old) = self.store.remove(key) {
            row[leaf] ^= entry_hash(key, &old);
        }
        if let Some(new) = value {
            row[leaf] ^= entry_hash(key, &new);
            self.store.insert(key.to_string(), new);
        }
    }

    fn rebuild_leaves(&mut self) {
        let entries = std::mem::take(&mut self.store);
        self.leaves.clear();
        for (key, value) in entries {
            self.set(&key, Some(value));
        }
    }

    /// The root of partition `p`'s tree: the hash of its leaves.
    fn root(&self, p: usize) -> u64 {
        let leaves = self.leaves.get(&p).copied().unwrap_or_default();
        let bytes: Vec<u8> = leaves.iter().flat_map(|l| l.to_le_bytes()).collect();
        hash_bytes(&bytes)
    }

    /// The store's entries under the given leaves.
    fn entries_under(&self, leaves: &[(u32, u8)]) -> Vec<(String, Versioned)> {
        let q = self.ring.partitions();
        (self.store.iter())
            .filter(|(key, _)| {
                let (p, l) = leaf_of(key, q);
                leaves.contains(&(p as u32, l as u8))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn owe(&mut self, node: NodeId, key: &str, value: Versioned) {
        let owed = self.owed.entry(key.to_string()).or_default();
        let mut slot = owed.remove(&node);
        keep_newer(&mut slot, value);
        owed.insert(node, slot.expect("just filled"));
    }

    /// Takes `value` as node `me`: into the store if `me` is one of the key's home replicas, or
    /// else as copies owed to them (a copy that arrives after the ring moved the key elsewhere).
    fn accept(&mut self, me: NodeId, key: &str, value: Versioned) {
        let home = self.ring.preference_list(key, value.n);
        if home.contains(&me) {
            self.store(key, value);
        } else {
            for node in home {
                self.owe(node, key, value.clone());
            }
        }
    }

    /// The newest copy of `key` this node has, its own or owed to another node.
    fn newest(&self, key: &str) -> Option<Versioned> {
        let mut newest = self.store.get(key).cloned();
        for copy in self.owed.get(key).into_iter().flat_map(|o| o.values()) {
            keep_newer(&mut newest, copy.clone());
        }
        newest
    }

    /// Moves to `ring`: every key whose preference list gains a node becomes a copy owed to it,
    /// a key this node no longer replicates leaves the store (its copies owed carry it), and
    /// copies owed to a node that left the ring are owed to the key's home replicas instead.
    fn change_ring(&mut self, me: NodeId, ring: Ring) {
        let old = std::mem::replace(&mut self.ring, ring);
        let keys: Vec<String> = self.store.keys().cloned().collect();
        for key in keys {
            let value = self.store[&key].clone();
            let before = old.preference_list(&key, value.n);
            let after = self.ring.preference_list(&key, value.n);
            for &node in after.iter().filter(|n| !before.contains(n) && **n != me) {
                self.owe(node, &key, value.clone());
            }
            if !after.contains(&me) {
                self.set(&key, None);
            }
        }
        let members = self.ring.nodes();
        let orphans: Vec<(String, NodeId)> = (self.owed.iter())
            .flat_map(|(key, owed)| owed.keys().map(move |&node| (key.clone(), node)))
            .filter(|(_, node)| !members.contains(node))
            .collect();
        for (key, node) in orphans {
            let value = self.forget(&key, node).expect("listed just above");
            self.accept(me, &key, value);
        }
    }

    fn forget(&mut self, key: &str, node: NodeId) -> Option<Versioned> {
        let owed = self.owed.get_mut(key)?;
        let value = owed.remove(&node);
        if owed.is_empty() {
            self.owed.remove(key);
        }
        value
    }
}

/// Who serves a request: the key's home replicas (its first N nodes on the ring) and, in sloppy
/// mode, the nodes after them, which stand in for home replicas that cannot be reached.
#[derive(Clone)]
struct Plan {
    home: Vec<NodeId>,
    /// In ring order; `None` in the strict modes.
    stand_ins: Option<Vec<NodeId>>,
}

/// An answer to one slot of a request: the node that gave it, the home replica it stands for
/// (the same node unless it stands in), and what it said.
struct Answer<R> {
    node: NodeId,
    home: NodeId,
    reply: R,
}
// END SOLUTION
// STUB:

impl DynamoNode {
    /// Starts node `me`, which reaches every node through `peers` (`peers[me]` is itself), with
    /// the current `ring`, restoring whatever `persister` holds (a node that cannot read it must
    /// panic saying so, never start empty). Must return quickly: background work (hinted
    /// handoff) goes into tasks started with `labrpc::spawn`.
    pub fn new(
        peers: Vec<ClientEnd>,
        me: NodeId,
        persister: Persister,
        ring: Ring,
        options: NodeOptions,
    ) -> DynamoNode {
        // BEGIN SOLUTION
        let mut state = State::restore(me, &persister.read_raft_state()).unwrap_or(State {
            ring: ring.clone(),
            store: BTreeMap::new(),
            owed: BTreeMap::new(),
            clock: 0,
            dots: BTreeMap::new(),
            epoch: labrpc::rand::random(),
            leaves: BTreeMap::new(),
        });
        state.rebuild_leaves();
        // The ring changed while this node was down.
        if state.ring != ring {
            state.change_ring(me, ring);
        }
        let node = DynamoNode {
            inner: Arc::new(Inner {
                me,
                dead: AtomicBool::new(false),
                peers,
                persister,
                state: Mutex::new(state),
                recent: Mutex::new(BTreeMap::new()),
                changes: AtomicU64::new(0),
                saved: tokio::sync::watch::Sender::new(0),
                flush: tokio::sync::Notify::new(),
            }),
        };
        node.save(&node.lock());
        labrpc::spawn(node.clone().flusher());
        labrpc::spawn(node.clone().hand_off());
        if let Some(every) = options.anti_entropy_every {
            labrpc::spawn(node.clone().anti_entropy(every));
        }
        node
        // END SOLUTION
        // STUB: // Your code here (6A, 6B): restore what persister.read_raft_state() holds, and
        // STUB: // start the background tasks you need (hinted handoff) with labrpc::spawn.
        // STUB: // The run view (docs/labrpc.md) shows what your node holds if you annotate it
        // STUB: // after each change (the first word picks the colour):
        // STUB: //     labrpc::state!(DYNAMO, "owes {} copies, holds {} keys", owed, keys);
        // STUB: let _ = (peers, persister, ring, options);
        // STUB: DynamoNode {
        // STUB:     inner: Arc::new(Inner {
        // STUB:         me,
        // STUB:         dead: AtomicBool::new(false),
        // STUB:     }),
        // STUB: }
    }

    /// The tester changes the ring (a node joined or left): keys move to the nodes that now
    /// replicate them.
    pub fn set_ring(&self, ring: Ring) {
        // BEGIN SOLUTION
        let mut st = self.lock();
        dlog!(RING, "ring of {:?}", ring.nodes());
        st.change_ring(self.inner.me, ring);
        self.save(&st);
        // END SOLUTION
        // STUB: // Your code here (6A).
        // STUB: let _ = ring;
    }

    /// This node's own copy of `key`, if it holds one as a home replica (hints aside).
    pub fn stored(&self, key: &str) -> Option<String> {
        // BEGIN SOLUTION
        match self.lock().store.get(key).map(|v| &v.data) {
            Some(Data::Register { value, .. }) => Some(value.clone()),
            Some(Data::Siblings(siblings)) => {
                let values: Vec<&str> = siblings.iter().map(|s| s.value.as_str()).collect();
                Some(values.join("\n"))
            }
            None => None,
        }
        // END SOLUTION
        // STUB: // Your code here (6A).
        // STUB: let _ = key;
        // STUB: None
    }

    /// How many copies this node keeps for other nodes (hints, and keys a ring change moved):
    /// zero once everything it owes has been handed over.
    pub fn hint_count(&self) -> usize {
        // BEGIN SOLUTION
        self.lock().owed.values().map(BTreeMap::len).sum()
        // END SOLUTION
        // STUB: // Your code here (6B).
        // STUB: 0
    }

    /// Stops the node. The tester calls it when it crashes the node (it also aborts the node's
    /// tasks); long-running tasks should check [`DynamoNode::killed`] and finish.
    pub fn kill(&self) {
        self.inner.dead.store(true, Ordering::SeqCst);
    }

    pub fn killed(&self) -> bool {
        self.inner.dead.load(Ordering::SeqCst)
    }

    /// The `Dynamo.Get` handler: this node coordinates the read.
    pub async fn get(&self, args: GetArgs) -> GetReply {
        // BEGIN SOLUTION
        dlog!(CLNT, "get {:?} ({:?})", args.key, args.options.mode);
        GetReply {
            result: self.coordinate_get(args.key, args.options).await,
        }
        // END SOLUTION
        // STUB: // Your code here (6A).
        // STUB: let _ = args;
        // STUB: GetReply { result: Err(crate::DynamoError::NoCoordinator) }
    }

    /// The `Dynamo.Put` handler: this node coordinates the write.
    pub async fn put(&self, args: PutArgs) -> PutReply {
        // BEGIN SOLUTION
        dlog!(CLNT, "put {:?} ({:?})", args.key, args.options.mode);
        PutReply {
            result: self.coordinate_put(args).await,
        }
        // END SOLUTION
        // STUB: // Your code here (6A).
        // STUB: let _ = args;
        // STUB: PutReply { result: Err(crate::DynamoError::NoCoordinator) }
    }
    /// The `Dynamo.GetVersions` handler (6C): every version no other covers, and their context.
    pub async fn get_versions(&self, args: GetVersionsArgs) -> GetVersionsReply {
        // BEGIN SOLUTION
        dlog!(CLNT, "get versions {:?}", args.key);
        GetVersionsReply {
            result: self.coordinate_get_versions(args.key, args.options).await,
        }
        // END SOLUTION
        // STUB: // Your code here (6C).
        // STUB: let _ = args;
        // STUB: GetVersionsReply { result: Err(crate::DynamoError::NoCoordinator) }
    }

    /// The `Dynamo.PutWith` handler (6C): a new version that supersedes what its context covers.
    pub async fn put_with(&self, args: PutWithArgs) -> PutWithReply {
        // BEGIN SOLUTION
        dlog!(CLNT, "put with context {:?}", args.key);
        PutWithReply {
            result: self.coordinate_put_with(args).await,
        }
        // END SOLUTION
        // STUB: // Your code here (6C).
        // STUB: let _ = args;
        // STUB: PutWithReply { result: Err(crate::DynamoError::NoCoordinator) }
    }
    // BEGIN SOLUTION

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap()
    }

    /// Asks for the state to be persisted (the flusher saves every change within
    /// [`FLUSH_WINDOW`]); returns the change's number, for [`DynamoNode::durable`]. Every change
    /// passes here, so here the run view is shown what the node holds.
    fn save(&self, changed: &State) -> u64 {
        // The view colours a value by its first word: a node owing copies stands out.
        let owed = || match changed.owed.values().map(BTreeMap::len).sum::<usize>() {
            0 => String::new(),
            1 => "owes 1 copy, ".to_string(),
            n => format!("owes {n} copies, "),
        };
        labrpc::state!(DYNAMO, "{}holds {} keys", owed(), changed.store.len());
        let change = self.inner.changes.fetch_add(1, Ordering::SeqCst) + 1;
        self.inner.flush.notify_one();
        change
    }

    /// Returns once change `change` is on disk: before a write is acknowledged.
    async fn durable(&self, change: u64) {
        let mut saved = self.inner.saved.subscribe();
        while *saved.borrow_and_update() < change {
            if saved.changed().await.is_err() {
                return;
            }
        }
    }

    /// Group commit: saves the whole state once for all the changes of a window, so that a
    /// store of thousands of keys is not encoded once per write.
    async fn flusher(self) {
        loop {
            self.inner.flush.notified().await;
            sleep(FLUSH_WINDOW).await;
            let change = self.inner.changes.load(Ordering::SeqCst);
            let bytes = codec::encode(&*self.lock()).expect("a node's state encodes");
            self.inner.persister.save(&bytes, &[]);
            self.inner.saved.send_replace(change);
        }
    }

    /// The `Dynamo.Read` handler: this replica's newest copy of a key.
    fn read(&self, args: ReadArgs) -> ReadReply {
        ReadReply {
            value: self.lock().newest(&args.key),
        }
    }

    /// The `Dynamo.Write` handler: keeps the copy unless it has a newer one; a copy for another
    /// home replica is kept apart as a hint.
    async fn write(&self, args: WriteArgs) -> WriteReply {
        let me = self.inner.me;
        let change = {
            let mut st = self.lock();
            match args.hint {
                Some(home) if home != me => st.owe(home, &args.key, args.value),
                _ => st.accept(me, &args.key, args.value),
            }
            self.save(&st)
        };
        self.durable(change).await;
        WriteReply {}
    }

    /// The key's home replicas, and in sloppy mode the nodes that may stand in for them.
    fn plan(&self, key: &str, options: &Options) -> Result<Plan, DynamoError> {
        // The options come over the wire: checked again, whoever built them.
        let Quorum { n, r, w } = options.quorum;
        Options::new(Quorum::new(n, r, w)?, options.mode)?;
        let walk = self.lock().ring.walk(key);
        if n > walk.len() {
            return Err(DynamoError::BadOptions(format!(
                "N = {n}, but the ring has only {} nodes",
                walk.len()
            )));
        }
        let stand_ins = (options.mode == Mode::Sloppy).then(|| walk[n..].to_vec());
        Ok(Plan {
            home: walk[..n].to_vec(),
            stand_ins,
        })
    }

    async fn coordinate_get(&self, key: String, options: Options) -> Result<String, DynamoError> {
        let deadline = Instant::now() + QUORUM_TIMEOUT;
        let plan = self.plan(&key, &options)?;
        let mut replies = self.ask_reads(&key, &plan, deadline);
        let heard = gather(&mut replies, options.quorum.r).await?;
        let Some(newest) = newest_of(&heard) else {
            return Ok(String::new());
        };
        let Data::Register { value, .. } = &newest.data else {
            return Err(DynamoError::BadOptions(format!(
                "{key:?} was written with put_with: read it with get_versions"
            )));
        };
        let value = value.clone();
        if options.mode == Mode::Linearizable {
            // The ABD register: before anyone learns of this value, a write quorum has it, so
            // every later read's quorum meets a replica that has it.
            let holders = (heard.iter())
                .filter(|a| a.reply.as_ref() == Some(&newest))
                .count();
            if holders < options.quorum.w {
                self.write_quorum(&key, newest.clone(), &plan, options.quorum.w, deadline)
                    .await?;
            }
        } else {
            labrpc::spawn(
                self.clone()
                    .repair_later(key, newest.clone(), heard, replies),
            );
        }
        Ok(value)
    }

    /// The copy this node made of clerk's write `seq`, if it is a resend of the latest one.
    fn resent(&self, clerk: u64, seq: u64) -> Option<Versioned> {
        match self.inner.recent.lock().unwrap().get(&clerk) {
            Some((done, copy)) if *done == seq => Some(copy.clone()),
            _ => None,
        }
    }

    async fn coordinate_put(&self, args: PutArgs) -> Result<(), DynamoError> {
        let PutArgs {
            key,
            value,
            options,
            clerk,
            seq,
        } = args;
        let deadline = Instant::now() + QUORUM_TIMEOUT;
        let plan = self.plan(&key, &options)?;
        if let Some(copy) = self.resent(clerk, seq) {
            return (self.write_quorum(&key, copy, &plan, options.quorum.w, deadline)).await;
        }
        // A stamp above every one a read quorum knows: above every write that completed.
        let mut replies = self.ask_reads(&key, &plan, deadline);
        let heard = gather(&mut replies, options.quorum.r).await?;
        // Above every stamp the read quorum knows (every write that completed, with strict
        // quorums), above the clock (every write acknowledged before this one began, whatever
        // quorum saw it), and above this node's last stamp.
        let counter = {
            let mut st = self.lock();
            let read = newest_of(&heard)
                .and_then(|v| v.stamp())
                .map_or(0, |s| s.counter);
            st.clock = (st.clock.max(read) + 1).max(wall_clock());
            self.save(&st);
            st.clock
        };
        let stamp = Stamp {
            counter,
            node: self.inner.me,
        };
        let value = Versioned {
            n: options.quorum.n,
            data: Data::Register { stamp, value },
        };
        (self.inner.recent.lock().unwrap()).insert(clerk, (seq, value.clone()));
        self.write_quorum(&key, value, &plan, options.quorum.w, deadline)
            .await
    }

    async fn coordinate_get_versions(
        &self,
        key: String,
        options: Options,
    ) -> Result<(Vec<String>, version::Context), DynamoError> {
        if options.mode == Mode::Linearizable {
            return Err(not_linearizable());
        }
        let deadline = Instant::now() + QUORUM_TIMEOUT;
        let plan = self.plan(&key, &options)?;
        let mut replies = self.ask_reads(&key, &plan, deadline);
        let heard = gather(&mut replies, options.quorum.r).await?;
        let Some(newest) = newest_of(&heard) else {
            return Ok((Vec::new(), version::Context::default()));
        };
        let Data::Siblings(siblings) = &newest.data else {
            return Err(DynamoError::BadOptions(format!(
                "{key:?} was written with put: read it with get"
            )));
        };
        let values = siblings.iter().map(|s| s.value.clone()).collect();
        let context = version::context_of(siblings);
        labrpc::spawn(self.clone().repair_later(key, newest, heard, replies));
        Ok((values, context))
    }

    async fn coordinate_put_with(&self, args: PutWithArgs) -> Result<(), DynamoError> {
        let PutWithArgs {
            key,
            value,
            context,
            options,
            clerk,
            seq,
        } = args;
        if options.mode == Mode::Linearizable {
            return Err(not_linearizable());
        }
        let deadline = Instant::now() + QUORUM_TIMEOUT;
        let plan = self.plan(&key, &options)?;
        let copy = match self.resent(clerk, seq) {
            Some(copy) => copy,
            None => {
                // A new dot: this node's next write of the key, which no context has seen yet.
                let (dot, change) = {
                    let mut st = self.lock();
                    let n = st.dots.entry(key.clone()).or_default();
                    *n += 1;
                    let n = *n;
                    let writer = version::Writer {
                        node: self.inner.me,
                        epoch: st.epoch,
                    };
                    (Dot { writer, n }, self.save(&st))
                };
                // Never reused, even by this node after a crash.
                self.durable(change).await;
                let sibling = Sibling {
                    dot,
                    context: context.clock,
                    written_at: wall_clock(),
                    value,
                };
                let copy = Versioned {
                    n: options.quorum.n,
                    data: Data::Siblings(vec![sibling]),
                };
                (self.inner.recent.lock().unwrap()).insert(clerk, (seq, copy.clone()));
                copy
            }
        };
        (self.write_quorum(&key, copy, &plan, options.quorum.w, deadline)).await
    }

    /// Asks every slot of `plan` for its copy of `key`; the answers arrive as they come.
    fn ask_reads(
        &self,
        key: &str,
        plan: &Plan,
        deadline: Instant,
    ) -> mpsc::UnboundedReceiver<Answer<Option<Versioned>>> {
        let key = key.to_string();
        self.fan_out(plan, deadline, move |node, this, _| {
            let key = key.clone();
            async move {
                if node == this.inner.me {
                    return Some(this.read(ReadArgs { key }).value);
                }
                let end = &this.inner.peers[node];
                let reply = end
                    .call::<_, ReadReply>("Dynamo.Read", &ReadArgs { key })
                    .await;
                reply.ok().map(|r| r.value)
            }
        })
    }

    /// Stores `value` on every slot of `plan`; returns once `w` have it (the others go on in the
    /// background until the deadline), or fails if they cannot be reached in time. In sloppy
    /// mode, a home replica that neither it nor any stand-in could reach by the deadline gets
    /// its copy as a hint kept by this node, so that every write ends up on N nodes (the
    /// coordinator can always reach itself; such a hint does not count towards W).
    async fn write_quorum(
        &self,
        key: &str,
        value: Versioned,
        plan: &Plan,
        w: usize,
        deadline: Instant,
    ) -> Result<(), DynamoError> {
        let key = key.to_string();
        let (owed_key, copy) = (key.clone(), value.clone());
        let mut acks = self.fan_out(plan, deadline, move |node, this, hint| {
            let args = WriteArgs {
                key: key.clone(),
                value: value.clone(),
                hint,
            };
            async move {
                if node == this.inner.me {
                    this.write(args).await;
                    return Some(());
                }
                let end = &this.inner.peers[node];
                end.call::<_, WriteReply>("Dynamo.Write", &args)
                    .await
                    .ok()
                    .map(|_| ())
            }
        });
        let placed = gather(&mut acks, w).await;
        if plan.stand_ins.is_some() {
            let (this, home) = (self.clone(), plan.home.clone());
            let mut placed: Vec<NodeId> = (placed.iter().flatten()).map(|a| a.home).collect();
            labrpc::spawn(async move {
                while let Some(answer) = acks.recv().await {
                    placed.push(answer.home);
                }
                let mut st = this.lock();
                for node in home.into_iter().filter(|h| !placed.contains(h)) {
                    if node != this.inner.me {
                        st.owe(node, &owed_key, copy.clone());
                    }
                }
                this.save(&st);
            });
        }
        placed.map(|_| ())
    }

    /// One task per home replica of `plan`, each asking its slot with `ask(node, self, hint)`
    /// until a node answers or the deadline passes: the home replica, or in sloppy mode, once it
    /// fails to answer, the next free stand-in (`hint` then names the home replica). Answers go
    /// into the returned channel, which closes when every task has ended.
    fn fan_out<R, F, Fut>(
        &self,
        plan: &Plan,
        deadline: Instant,
        ask: F,
    ) -> mpsc::UnboundedReceiver<Answer<R>>
    where
        R: Send + 'static,
        F: Fn(NodeId, DynamoNode, Option<NodeId>) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = Option<R>> + Send,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        // Shared by this request's slots: each stand-in serves one home replica.
        let stand_ins: Option<Arc<Mutex<VecDeque<NodeId>>>> = (plan.stand_ins.as_ref())
            .map(|nodes| Arc::new(Mutex::new(nodes.iter().copied().collect())));
        for &home in &plan.home {
            let (tx, ask, this) = (tx.clone(), ask.clone(), self.clone());
            let stand_ins = stand_ins.clone();
            labrpc::spawn(async move {
                let mut node = home;
                while Instant::now() < deadline {
                    let hint = (node != home).then_some(home);
                    match timeout_at(deadline, ask(node, this.clone(), hint)).await {
                        Ok(Some(reply)) => {
                            let _ = tx.send(Answer { node, home, reply });
                            return;
                        }
                        Ok(None) => {}
                        Err(_) => return,
                    }
                    let next = stand_ins
                        .as_ref()
                        .and_then(|s| s.lock().unwrap().pop_front());
                    match next {
                        Some(stand_in) => node = stand_in,
                        None => {
                            node = home;
                            sleep(RETRY_PAUSE).await;
                        }
                    }
                }
            });
        }
        rx
    }

    /// Read repair in the plain and sloppy modes, after the answer: waits for the replicas that
    /// have not answered yet (until every one has, or [`REPAIR_WAIT`] passed), then brings every
    /// home replica that answered with an older copy up to `newest`.
    async fn repair_later(
        self,
        key: String,
        newest: Versioned,
        mut heard: Vec<Answer<Option<Versioned>>>,
        mut replies: mpsc::UnboundedReceiver<Answer<Option<Versioned>>>,
    ) {
        let until = Instant::now() + REPAIR_WAIT;
        while let Ok(Some(answer)) = timeout_at(until, replies.recv()).await {
            heard.push(answer);
        }
        let stale: Vec<NodeId> = (heard.iter())
            .filter(|a| a.node == a.home)
            .filter(|a| is_behind(&a.reply, &newest))
            .map(|a| a.node)
            .collect();
        for node in stale {
            dlog!(CLNT, "read repair of {key:?} on S{node}");
            let args = WriteArgs {
                key: key.clone(),
                value: newest.clone(),
                hint: None,
            };
            if node == self.inner.me {
                self.write(args).await;
            } else {
                let _ = (self.inner.peers[node])
                    .call::<_, WriteReply>("Dynamo.Write", &args)
                    .await;
            }
        }
    }

    /// The ranges this node and `peer` both replicate, with this node's root of each.
    fn shared_roots(&self, peer: NodeId) -> Vec<(u32, u64)> {
        let st = self.lock();
        (0..st.ring.partitions())
            .filter(|&p| {
                let home = st.ring.walk_from(p);
                let home = &home[..ANTI_ENTROPY_N.min(home.len())];
                home.contains(&self.inner.me) && home.contains(&peer)
            })
            .map(|p| (p as u32, st.root(p)))
            .collect()
    }

    /// The `Dynamo.SyncRoots` handler: the leaves of every range whose root differs.
    fn sync_roots(&self, args: SyncRootsArgs) -> SyncRootsReply {
        let st = self.lock();
        let leaves = (args.roots.into_iter())
            .filter(|&(p, root)| st.root(p as usize) != root)
            .map(|(p, _)| (p, st.leaves.get(&(p as usize)).copied().unwrap_or_default()))
            .collect();
        SyncRootsReply { leaves }
    }

    /// The `Dynamo.SyncKeys` handler: takes the sender's entries and answers with its own under
    /// the same leaves (as they were before).
    async fn sync_keys(&self, args: SyncKeysArgs) -> SyncKeysReply {
        let me = self.inner.me;
        let (entries, change) = {
            let mut st = self.lock();
            let entries = st.entries_under(&args.leaves);
            for (key, value) in args.entries {
                st.accept(me, &key, value);
            }
            (entries, self.save(&st))
        };
        self.durable(change).await;
        SyncKeysReply { entries }
    }

    /// Anti-entropy (6D): every `every`, compares trees with the next other node on the ring,
    /// over the ranges both replicate: the roots first, then the leaves of the ranges whose
    /// roots differ, then the entries under the leaves that differ, both ways.
    async fn anti_entropy(self, every: Duration) {
        let mut turn = 0;
        // Rounds on a fixed beat, not a pause after each: their traffic is steady and countable.
        let mut beat = tokio::time::interval_at(Instant::now() + every, every);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !self.killed() {
            beat.tick().await;
            let peers: Vec<NodeId> = (self.lock().ring.nodes().into_iter())
                .filter(|&n| n != self.inner.me)
                .collect();
            if peers.is_empty() {
                continue;
            }
            let peer = peers[turn % peers.len()];
            turn += 1;
            let roots = self.shared_roots(peer);
            if roots.is_empty() {
                continue;
            }
            let end = self.inner.peers[peer].clone();
            let args = SyncRootsArgs { roots };
            let Ok(differ) = end
                .call::<_, SyncRootsReply>("Dynamo.SyncRoots", &args)
                .await
            else {
                continue;
            };
            let (leaves, entries) = {
                let st = self.lock();
                let mut leaves = Vec::new();
                for (p, theirs) in differ.leaves {
                    let ours = st.leaves.get(&(p as usize)).copied().unwrap_or_default();
                    let differing = (0..LEAVES).filter(|&l| ours[l] != theirs[l]);
                    leaves.extend(differing.map(|l| (p, l as u8)));
                }
                let entries = st.entries_under(&leaves);
                (leaves, entries)
            };
            if leaves.is_empty() {
                continue;
            }
            dlog!(SYNC, "{} leaves differ from S{peer}'s", leaves.len());
            let args = SyncKeysArgs { leaves, entries };
            if let Ok(reply) = end.call::<_, SyncKeysReply>("Dynamo.SyncKeys", &args).await {
                let me = self.inner.me;
                let mut st = self.lock();
                for (key, value) in reply.entries {
                    st.accept(me, &key, value);
                }
                self.save(&st);
            }
        }
    }

    /// Hinted handoff: every [`HANDOFF_INTERVAL`], offers every copy this node owes to its node,
    /// and forgets each one its node stored (unless a newer copy came in meanwhile).
    async fn hand_off(self) {
        while !self.killed() {
            sleep(HANDOFF_INTERVAL).await;
            let owed: Vec<(String, NodeId, Versioned)> = (self.lock().owed.iter())
                .flat_map(|(key, owed)| {
                    (owed.iter()).map(move |(&node, v)| (key.clone(), node, v.clone()))
                })
                .collect();
            if owed.is_empty() {
                continue;
            }
            let offers = owed.into_iter().map(|(key, node, value)| {
                let end = self.inner.peers[node].clone();
                async move {
                    let args = WriteArgs {
                        key,
                        value,
                        hint: None,
                    };
                    let stored = end.call::<_, WriteReply>("Dynamo.Write", &args).await;
                    (node, args, stored.is_ok())
                }
            });
            let offered = futures::future::join_all(offers).await;
            let mut st = self.lock();
            for (node, args, stored) in offered {
                let same = st.owed.get(&args.key).and_then(|o| o.get(&node)) == Some(&args.value);
                if stored && same {
                    dlog!(HINT, "handed {:?} to S{node}", args.key);
                    st.forget(&args.key, node);
                }
            }
            self.save(&st);
        }
    }
    // END SOLUTION
    // STUB:
}
// BEGIN SOLUTION

fn not_linearizable() -> DynamoError {
    DynamoError::BadOptions(
        "versions with siblings are not linearizable: use Mode::Quorum or Mode::Sloppy".into(),
    )
}

/// The first `needed` answers, or the error saying how many came before the channel closed.
async fn gather<R>(
    replies: &mut mpsc::UnboundedReceiver<Answer<R>>,
    needed: usize,
) -> Result<Vec<Answer<R>>, DynamoError> {
    let mut heard = Vec::with_capacity(needed);
    while heard.len() < needed {
        match replies.recv().await {
            Some(answer) => heard.push(answer),
            None => {
                return Err(DynamoError::NotEnoughReplicas {
                    needed,
                    reached: heard.len(),
                });
            }
        }
    }
    Ok(heard)
}

/// The newest copy among the answers (`None`: no replica has the key).
fn newest_of(heard: &[Answer<Option<Versioned>>]) -> Option<Versioned> {
    let mut newest = None;
    for answer in heard {
        if let Some(v) = &answer.reply {
            keep_newer(&mut newest, v.clone());
        }
    }
    newest
}
// END SOLUTION
// STUB:
