//! A replicated state machine on Raft: the layer the controller and the shard groups share.
//! A server hands it operations; it puts each through the Raft log, applies the log in order to
//! the server's [`StateMachine`] on every replica, answers the submitter with the outcome of its
//! own entry, and snapshots the machine when the Raft state grows too large.
//!
//! This file is yours, and optional: both servers may use it (as the reference does), or you may
//! write the same logic into each of them as in Lab 4.
//!
//! Rules of the simulator (see docs/labrpc.md): time only from `tokio::time`, randomness only from
//! `labrpc::rand`, tasks only through `labrpc::spawn`, and never hold a `std::sync::Mutex` guard
//! across an `.await`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use labrpc::{ClientEnd, Persister};
use raft::Raft;
use serde::Serialize;
use serde::de::DeserializeOwned;
// BEGIN SOLUTION
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use labrpc::{codec, dlog};
use raft::ApplyMsg;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Duration;
// END SOLUTION
// STUB:

/// The state a service replicates: it changes only by applying operations in log order, and it
/// is its own snapshot (serialized whole).
pub trait StateMachine: Serialize + DeserializeOwned + Send + 'static {
    /// An operation, as it goes into the log.
    type Op: Serialize + DeserializeOwned + Send;
    /// What applying an operation gives its submitter.
    type Outcome: Send + 'static;

    /// Applies one committed operation. Every replica applies the same operations in the same
    /// order, so this must be deterministic (no randomness, no map iteration order).
    fn apply(&mut self, op: Self::Op) -> Self::Outcome;
}

/// Why a submitted operation has no outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotApplied {
    /// This replica is not the leader, or its entry lost its place in the log to another
    /// leader's: try another server.
    WrongLeader,
    /// Accepted, but not seen applied in time (the leader may be cut off): try another server.
    /// The operation may still take effect later.
    Timeout,
}

/// One replica. Clones refer to the same replica, so tasks and RPC handlers each hold one.
pub struct Rsm<M: StateMachine> {
    inner: Arc<Inner<M>>,
}

impl<M: StateMachine> Clone for Rsm<M> {
    fn clone(&self) -> Self {
        Rsm {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<M: StateMachine> {
    rf: Raft,
    dead: AtomicBool,
    // BEGIN SOLUTION
    me: usize,
    /// Snapshot when the persisted Raft state reaches this many bytes (`None`: never).
    maxraftstate: Option<usize>,
    persister: Persister,
    state: Mutex<State<M>>,
    // END SOLUTION
    // STUB: // Your data here.
    // STUB: machine: std::marker::PhantomData<M>,
}

// BEGIN SOLUTION
/// How long a leader waits to see its entry applied before it gives up. Long enough for a commit
/// over a lossy network (a lost AppendEntries is resent within a heartbeat, 100 ms); short enough
/// that a caller stuck on a leader cut off from the majority moves on quickly.
const COMMIT_WAIT: Duration = Duration::from_millis(500);

struct State<M: StateMachine> {
    machine: M,
    /// Index of the last log entry applied.
    applied: u64,
    /// Submitters waiting for the entry at an index: the entry they put there, and where to send
    /// its outcome. (Ordered, so that submitters dropped together wake in a replayable order.)
    waiting: BTreeMap<u64, Waiter<M::Outcome>>,
}

struct Waiter<O> {
    /// The encoded operation: the outcome is the submitter's only if the entry applied at its
    /// index is this operation.
    command: Vec<u8>,
    done: oneshot::Sender<O>,
}

/// A snapshot: the machine and the index of the last entry it reflects.
fn encode_snapshot<M: StateMachine>(applied: u64, machine: &M) -> Vec<u8> {
    codec::encode(&(applied, machine)).expect("the state machine encodes")
}

fn decode_snapshot<M: StateMachine>(me: usize, snapshot: &[u8]) -> (u64, M) {
    codec::decode(snapshot).unwrap_or_else(|e| {
        panic!(
            "server {me}: the snapshot ({} bytes) is not this service's snapshot: {e}",
            snapshot.len()
        )
    })
}
// END SOLUTION
// STUB:

impl<M: StateMachine> Rsm<M> {
    /// Starts replica `me` of a group whose Raft ends are `servers`, restoring what `persister`
    /// holds (else starting from `machine`). With `maxraftstate` set, snapshots when the
    /// persisted Raft state reaches that many bytes. Returns at once; applying runs in a task.
    pub fn new(
        servers: Vec<ClientEnd>,
        me: usize,
        persister: Persister,
        maxraftstate: Option<usize>,
        machine: M,
    ) -> Rsm<M> {
        // BEGIN SOLUTION
        // Restore before Raft starts: its first delivery is the entry right after the snapshot.
        let saved = persister.read_snapshot();
        let (applied, machine) = if saved.is_empty() {
            (0, machine)
        } else {
            decode_snapshot(me, &saved)
        };
        let (apply_tx, apply_rx) = mpsc::channel(1);
        let rf = Raft::new(servers, me, persister.clone(), apply_tx);
        let rsm = Rsm {
            inner: Arc::new(Inner {
                rf,
                dead: AtomicBool::new(false),
                me,
                maxraftstate,
                persister,
                state: Mutex::new(State {
                    machine,
                    applied,
                    waiting: BTreeMap::new(),
                }),
            }),
        };
        labrpc::spawn(rsm.clone().applier(apply_rx));
        rsm
        // END SOLUTION
        // STUB: let (apply_tx, apply_rx) = tokio::sync::mpsc::channel(1);
        // STUB: let rf = Raft::new(servers, me, persister.clone(), apply_tx);
        // STUB: // Your code here: restore the snapshot, start the applier task.
        // STUB: let _ = (maxraftstate, machine, apply_rx, persister);
        // STUB: Rsm {
        // STUB:     inner: Arc::new(Inner {
        // STUB:         rf,
        // STUB:         dead: AtomicBool::new(false),
        // STUB:         machine: std::marker::PhantomData,
        // STUB:     }),
        // STUB: }
    }

    /// This replica's Raft peer.
    pub fn raft(&self) -> &Raft {
        &self.inner.rf
    }

    /// Whether this replica's Raft peer believes it leads.
    pub fn is_leader(&self) -> bool {
        self.inner.rf.get_state().1
    }

    pub fn kill(&self) {
        self.inner.dead.store(true, Ordering::SeqCst);
        self.inner.rf.kill();
    }

    pub fn killed(&self) -> bool {
        self.inner.dead.load(Ordering::SeqCst)
    }

    /// Runs `f` on the state as this replica has applied it so far (it may lag the leader's).
    pub fn read<R>(&self, f: impl FnOnce(&M) -> R) -> R {
        // BEGIN SOLUTION
        f(&self.lock().machine)
        // END SOLUTION
        // STUB: let _ = f;
        // STUB: todo!("Rsm::read")
    }

    /// Puts `op` into the log and waits until this replica has applied the entry at the index
    /// Raft gave it: the outcome of applying `op` there, or why there is none.
    pub async fn submit(&self, op: &M::Op) -> Result<M::Outcome, NotApplied> {
        // BEGIN SOLUTION
        let command = codec::encode(op).expect("operations encode");
        let (index, done) = {
            // Start and register under the lock, so the applier cannot apply the entry before its
            // waiter is in place.
            let mut st = self.lock();
            let Some((index, term)) = self.inner.rf.start(command.clone()) else {
                return Err(NotApplied::WrongLeader);
            };
            dlog!(CLNT, "T{term} operation started at {index}");
            let (tx, rx) = oneshot::channel();
            // A submitter already waiting at this index started under an earlier term, and its
            // entry has been replaced: dropping its sender tells it so.
            let waiter = Waiter {
                command: command.clone(),
                done: tx,
            };
            st.waiting.insert(index, waiter);
            (index, rx)
        };
        match tokio::time::timeout(COMMIT_WAIT, done).await {
            Ok(Ok(outcome)) => Ok(outcome),
            // The waiter was dropped: the index went to another entry, or a snapshot covered it.
            Ok(Err(_)) => Err(NotApplied::WrongLeader),
            Err(_) => {
                let mut st = self.lock();
                if st.waiting.get(&index).is_some_and(|w| w.command == command) {
                    st.waiting.remove(&index);
                }
                Err(NotApplied::Timeout)
            }
        }
        // END SOLUTION
        // STUB: let _ = op;
        // STUB: todo!("Rsm::submit")
    }

    // BEGIN SOLUTION
    fn lock(&self) -> MutexGuard<'_, State<M>> {
        self.inner.state.lock().unwrap()
    }

    /// Applies what Raft delivers, in log order, and answers the submitters waiting for it.
    async fn applier(self, mut apply_rx: mpsc::Receiver<ApplyMsg>) {
        while let Some(msg) = apply_rx.recv().await {
            if self.killed() {
                return;
            }
            let mut st = self.lock();
            match msg {
                ApplyMsg::Command { index, command } => self.apply(&mut st, index, command),
                ApplyMsg::Snapshot {
                    index, snapshot, ..
                } => self.install(&mut st, index, &snapshot),
            }
        }
    }

    fn apply(&self, st: &mut State<M>, index: u64, command: Vec<u8>) {
        if index <= st.applied {
            return; // already in the state, through a snapshot
        }
        let op: M::Op = codec::decode(&command).unwrap_or_else(|e| {
            panic!(
                "server {}: log entry {index} is not an operation of this service: {e}",
                self.inner.me
            )
        });
        let outcome = st.machine.apply(op);
        st.applied = index;
        if let Some(waiter) = st.waiting.remove(&index)
            && waiter.command == command
        {
            // The submitter may have given up waiting; then nobody needs the outcome.
            let _ = waiter.done.send(outcome);
        }
        if let Some(max) = self.inner.maxraftstate
            && self.inner.persister.raft_state_size() >= max
        {
            let snapshot = encode_snapshot(index, &st.machine);
            dlog!(SNAP, "snapshot through {index}: {} bytes", snapshot.len());
            self.inner.rf.snapshot(index, snapshot);
        }
    }

    /// Replaces the state with a snapshot the leader sent, if it is newer.
    fn install(&self, st: &mut State<M>, index: u64, snapshot: &[u8]) {
        if index <= st.applied {
            return;
        }
        (st.applied, st.machine) = decode_snapshot(self.inner.me, snapshot);
        // Submitters waiting at covered indices cannot learn whether their entry survived: they
        // are told to retry, and duplicate detection makes the retry safe.
        st.waiting.retain(|&i, _| i > index);
        dlog!(SNAP, "installed snapshot through {index}");
    }
    // END SOLUTION
    // STUB:
}
