//! The key/value server: one replica of the service. Each server has a Raft peer; every client
//! request goes through the Raft log, and every server executes the log's operations in order on
//! its own copy of the key/value map.
//!
//! Rules of the simulator (see docs/labrpc.md): time only from `tokio::time`, randomness only from
//! `labrpc::rand`, tasks only through `labrpc::spawn`, and never hold a `std::sync::Mutex` guard
//! across an `.await`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use labrpc::{ClientEnd, Persister, Service};
use raft::Raft;

use crate::common::{GetArgs, GetReply, PutAppendArgs, PutAppendReply};
// BEGIN SOLUTION
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use labrpc::{codec, dlog};
use raft::ApplyMsg;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Duration;

use crate::common::{Error, PutAppendOp};
// END SOLUTION
// STUB: // Lab 4: import what you need (e.g. raft::ApplyMsg, crate::common::Error).

/// The RPC service of a server, registered by the tester as `KVServer.Get` and
/// `KVServer.PutAppend` (beside the Raft peer's own service).
pub fn service(kv: &KvServer) -> Service<KvServer> {
    Service::new("KVServer", kv.clone())
        .handle("Get", |kv, args: GetArgs| async move { kv.get(args).await })
        .handle("PutAppend", |kv, args: PutAppendArgs| async move {
            kv.put_append(args).await
        })
}

/// A handle to one server. Clones refer to the same server, so tasks and RPC handlers each hold
/// one.
#[derive(Clone)]
pub struct KvServer {
    inner: Arc<Inner>,
}

struct Inner {
    rf: Raft,
    dead: AtomicBool,
    // BEGIN SOLUTION
    me: usize,
    /// Snapshot when the persisted Raft state reaches this many bytes (`None`: never).
    maxraftstate: Option<usize>,
    persister: Persister,
    state: Mutex<State>,
    // END SOLUTION
    // STUB: // Your data here (4A, 4B).
}

// BEGIN SOLUTION
/// How long a leader waits to see its entry applied before it tells the clerk to try elsewhere.
/// Long enough for a commit over a lossy network (a lost AppendEntries is resent within a
/// heartbeat, 100 ms); short enough that a clerk stuck on a leader cut off from the majority
/// moves on well within the tests' windows.
const COMMIT_WAIT: Duration = Duration::from_millis(500);

/// A client request as an entry of the Raft log.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Op {
    client_id: u64,
    seq: u64,
    action: Action,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Action {
    Get { key: String },
    Put { key: String, value: String },
    Append { key: String, value: String },
}

/// What executing an operation gave: a Get's value (empty for writes), or why there is none.
type Outcome = Result<String, Error>;

/// Everything a snapshot must hold for a restarted or lagging server to carry on exactly where
/// the log left off.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Store {
    /// Index of the last log entry executed.
    applied: u64,
    data: BTreeMap<String, String>,
    /// Per clerk, the number of its latest executed write. A clerk sends a request only after
    /// its previous one was answered, so any write numbered no higher is a retransmission of
    /// one already executed. (BTreeMaps, so that equal states give equal snapshot bytes.)
    latest: BTreeMap<u64, u64>,
}

struct State {
    store: Store,
    /// RPC handlers waiting for the entry at an index: which request they put there, and where
    /// to send its outcome. (Ordered, so that handlers dropped together wake in a replayable
    /// order.)
    waiting: BTreeMap<u64, Waiter>,
}

struct Waiter {
    client_id: u64,
    seq: u64,
    done: oneshot::Sender<Outcome>,
}

impl Store {
    /// Decodes a snapshot this server's kind wrote (empty: a fresh server).
    fn restore(me: usize, snapshot: &[u8]) -> Store {
        if snapshot.is_empty() {
            return Store::default();
        }
        codec::decode(snapshot).unwrap_or_else(|e| {
            panic!(
                "KvServer {me}: the snapshot ({} bytes) is not a key/value snapshot: {e}",
                snapshot.len()
            )
        })
    }

    fn execute(&mut self, op: Op) -> Outcome {
        let (key, value, put) = match op.action {
            Action::Get { key } => return self.data.get(&key).cloned().ok_or(Error::ErrNoKey),
            Action::Put { key, value } => (key, value, true),
            Action::Append { key, value } => (key, value, false),
        };
        if self.latest.get(&op.client_id).is_some_and(|&s| s >= op.seq) {
            return Ok(String::new());
        }
        self.latest.insert(op.client_id, op.seq);
        let stored = self.data.entry(key).or_default();
        if put {
            *stored = value;
        } else {
            stored.push_str(&value);
        }
        Ok(String::new())
    }
}
// END SOLUTION
// STUB: // Your types here (4A, 4B): for example the operation that goes into the Raft log.

impl KvServer {
    /// Starts server `me` of a cluster whose Raft ends are `servers` (`servers[me]` is this
    /// server's own peer), restoring whatever `persister` holds. With `maxraftstate` set, the
    /// server snapshots when the persisted Raft state nears that many bytes, so that Raft can
    /// discard its log. Must return quickly: long-running work goes into tasks started with
    /// `labrpc::spawn`.
    pub fn new(
        servers: Vec<ClientEnd>,
        me: usize,
        persister: Persister,
        maxraftstate: Option<usize>,
    ) -> KvServer {
        // BEGIN SOLUTION
        // Restore before Raft starts: its first delivery is the entry right after the snapshot.
        let store = Store::restore(me, &persister.read_snapshot());
        let (apply_tx, apply_rx) = mpsc::channel(1);
        let rf = Raft::new(servers, me, persister.clone(), apply_tx);
        let kv = KvServer {
            inner: Arc::new(Inner {
                rf,
                dead: AtomicBool::new(false),
                me,
                maxraftstate,
                persister,
                state: Mutex::new(State {
                    store,
                    waiting: BTreeMap::new(),
                }),
            }),
        };
        labrpc::spawn(kv.clone().applier(apply_rx));
        kv
        // END SOLUTION
        // STUB: // Your code here (4B): restore persister.read_snapshot() before Raft starts.
        // STUB: let (apply_tx, apply_rx) = tokio::sync::mpsc::channel(1);
        // STUB: let rf = Raft::new(servers, me, persister.clone(), apply_tx);
        // STUB: // Your code here (4A): start a task (labrpc::spawn) that reads apply_rx and
        // STUB: // executes what Raft delivers; keep maxraftstate and persister for snapshots (4B).
        // STUB: // The run view (docs/labrpc.md) shows your server's state if your task annotates
        // STUB: // it after each entry: labrpc::state!(KV, "applied {} keys {}", index, keys);
        // STUB: let _ = (maxraftstate, apply_rx, persister);
        // STUB: KvServer {
        // STUB:     inner: Arc::new(Inner {
        // STUB:         rf,
        // STUB:         dead: AtomicBool::new(false),
        // STUB:     }),
        // STUB: }
    }

    /// This server's Raft peer (the tester asks it who leads, and serves its RPCs).
    pub fn raft(&self) -> &Raft {
        &self.inner.rf
    }

    /// Stops the server. The tester calls it when it shuts a server down (it also aborts the
    /// server's tasks); long-running tasks should check [`KvServer::killed`] and finish.
    pub fn kill(&self) {
        self.inner.dead.store(true, Ordering::SeqCst);
        self.inner.rf.kill();
    }

    pub fn killed(&self) -> bool {
        self.inner.dead.load(Ordering::SeqCst)
    }

    /// The `KVServer.Get` handler.
    pub async fn get(&self, args: GetArgs) -> GetReply {
        // BEGIN SOLUTION
        let op = Op {
            client_id: args.client_id,
            seq: args.seq,
            action: Action::Get { key: args.key },
        };
        match self.submit(op).await {
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
        // STUB: // Your code here (4A).
        // STUB: let _ = args;
        // STUB: GetReply::default()
    }

    /// The `KVServer.PutAppend` handler.
    pub async fn put_append(&self, args: PutAppendArgs) -> PutAppendReply {
        // BEGIN SOLUTION
        let (key, value) = (args.key, args.value);
        let action = match args.op {
            PutAppendOp::Put => Action::Put { key, value },
            PutAppendOp::Append => Action::Append { key, value },
        };
        let op = Op {
            client_id: args.client_id,
            seq: args.seq,
            action,
        };
        PutAppendReply {
            err: self.submit(op).await.err().unwrap_or(Error::Ok),
        }
        // END SOLUTION
        // STUB: // Your code here (4A).
        // STUB: let _ = args;
        // STUB: PutAppendReply::default()
    }

    // BEGIN SOLUTION
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap()
    }

    /// Puts `op` into the log through this server's Raft peer and waits until the server has
    /// executed the entry at the index Raft gave it. The outcome counts only if that entry is
    /// `op`: a leader that lost its place in the log sees another leader's entry land there.
    async fn submit(&self, op: Op) -> Outcome {
        let (client_id, seq) = (op.client_id, op.seq);
        let command = codec::encode(&op).expect("operations encode");
        let (index, done) = {
            // Start and register under the lock, so the applier cannot execute the entry before
            // its waiter is in place.
            let mut st = self.lock();
            let Some((index, term)) = self.inner.rf.start(command) else {
                return Err(Error::ErrWrongLeader);
            };
            dlog!(
                CLNT,
                "T{term} client {client_id:x} #{seq} started at {index}"
            );
            let (tx, rx) = oneshot::channel();
            // A handler already waiting at this index submitted under an earlier term, and its
            // entry has been replaced: dropping its sender tells it so.
            let waiter = Waiter {
                client_id,
                seq,
                done: tx,
            };
            st.waiting.insert(index, waiter);
            (index, rx)
        };
        match tokio::time::timeout(COMMIT_WAIT, done).await {
            Ok(Ok(outcome)) => outcome,
            // The waiter was dropped: the index went to another entry, or a snapshot covered it.
            Ok(Err(_)) => Err(Error::ErrWrongLeader),
            Err(_) => {
                let mut st = self.lock();
                if st
                    .waiting
                    .get(&index)
                    .is_some_and(|w| (w.client_id, w.seq) == (client_id, seq))
                {
                    st.waiting.remove(&index);
                }
                Err(Error::ErrTimeout)
            }
        }
    }

    /// Executes what Raft delivers, in log order, and answers the handlers waiting for it.
    async fn applier(self, mut apply_rx: mpsc::Receiver<ApplyMsg>) {
        while let Some(msg) = apply_rx.recv().await {
            if self.killed() {
                return;
            }
            let mut st = self.lock();
            match msg {
                ApplyMsg::Command { index, command } => self.apply(&mut st, index, &command),
                ApplyMsg::Snapshot {
                    index, snapshot, ..
                } => self.install(&mut st, index, &snapshot),
            }
            let store = &st.store;
            labrpc::state!(KV, "applied {} keys {}", store.applied, store.data.len());
        }
    }

    fn apply(&self, st: &mut State, index: u64, command: &[u8]) {
        if index <= st.store.applied {
            return; // already in the state, through a snapshot
        }
        let op: Op = codec::decode(command).unwrap_or_else(|e| {
            panic!(
                "KvServer {}: log entry {index} is not a key/value operation: {e}",
                self.inner.me
            )
        });
        let (client_id, seq) = (op.client_id, op.seq);
        let outcome = st.store.execute(op);
        st.store.applied = index;
        if let Some(waiter) = st.waiting.remove(&index) {
            let answer = if (waiter.client_id, waiter.seq) == (client_id, seq) {
                outcome
            } else {
                Err(Error::ErrWrongLeader)
            };
            // The handler may have given up waiting; then nobody needs the answer.
            let _ = waiter.done.send(answer);
        }
        if let Some(max) = self.inner.maxraftstate
            && self.inner.persister.raft_state_size() >= max
        {
            let snapshot = codec::encode(&st.store).expect("the store encodes");
            dlog!(SNAP, "snapshot through {index}: {} bytes", snapshot.len());
            self.inner.rf.snapshot(index, snapshot);
        }
    }

    /// Replaces the state with a snapshot the leader sent, if it is newer.
    fn install(&self, st: &mut State, index: u64, snapshot: &[u8]) {
        if index <= st.store.applied {
            return;
        }
        st.store = Store::restore(self.inner.me, snapshot);
        // Handlers waiting at covered indices cannot learn whether their entry survived: they
        // tell their clerks to retry, and duplicate detection makes the retry safe.
        st.waiting.retain(|&i, _| i > index);
        dlog!(SNAP, "installed snapshot through {index}");
    }
    // END SOLUTION
    // STUB: // Lab 4: add helper methods if you like (e.g. your apply task).
}
