//! A Raft peer: state, the API the service and the tester call, and the background tasks that
//! run elections, replicate the log and deliver committed entries.
//!
//! Rules of the simulator (see docs/labrpc.md): time only from `tokio::time`, randomness only from
//! `labrpc::rand`, tasks only through `labrpc::spawn`, and never hold a `std::sync::Mutex` guard
//! across an `.await`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use labrpc::{ClientEnd, Persister};
use tokio::time::Duration;

use crate::ApplySender;
// BEGIN SOLUTION
use std::sync::{Mutex, MutexGuard};

use labrpc::{codec, dlog};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::ApplyMsg;
use crate::rpc::{
    AppendEntriesArgs, AppendEntriesReply, InstallSnapshotArgs, InstallSnapshotReply,
    RequestVoteArgs, RequestVoteReply,
};

/// The lab allows at most ten heartbeats per second.
const HEARTBEAT: Duration = Duration::from_millis(100);
// END SOLUTION
// STUB:

/// A handle to one Raft peer. Clones refer to the same peer, so tasks and RPC handlers each hold
/// one.
#[derive(Clone)]
pub struct Raft {
    pub(crate) peer: Arc<Peer>,
}

// STUB ONLY: // Your code will read every field; until it does, the compiler would warn.
// STUB ONLY: #[allow(dead_code)]
pub(crate) struct Peer {
    /// RPC ends to every peer, this one included; `peers[me]` is this peer.
    pub(crate) peers: Vec<ClientEnd>,
    pub(crate) me: usize,
    pub(crate) persister: Persister,
    pub(crate) apply_tx: ApplySender,
    dead: AtomicBool,
    // BEGIN SOLUTION
    pub(crate) state: Mutex<State>,
    /// Wakes the applier task when there is something new to deliver.
    pub(crate) apply_ready: Notify,
    /// One per peer: wakes that peer's replicator to send now instead of at the next heartbeat.
    pub(crate) replicate: Vec<Notify>,
    // END SOLUTION
    // STUB: // Your data here (3A, 3B, 3C, 3D): for example a Mutex<State> holding the term, the
    // STUB: // vote and the log, and tokio::sync::Notify handles to wake your background tasks.
}

// BEGIN SOLUTION
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Follower,
    Candidate,
    Leader,
}

/// One log entry: the term it was created in and the service's encoded command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub term: u64,
    #[serde(with = "labrpc::codec::bytes")]
    pub command: Vec<u8>,
}

/// The log after compaction. `entries[k]` holds index `base + k`; `entries[0]` stands for the last
/// entry covered by the snapshot (index `base`) and keeps only its term, so the consistency check
/// works right after the snapshot too.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Log {
    base: u64,
    entries: Vec<Entry>,
}

impl Log {
    fn new() -> Log {
        Log {
            base: 0,
            entries: vec![Entry {
                term: 0,
                command: Vec::new(),
            }],
        }
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn base_term(&self) -> u64 {
        self.entries[0].term
    }

    pub fn last_index(&self) -> u64 {
        self.base + self.entries.len() as u64 - 1
    }

    pub fn last_term(&self) -> u64 {
        self.entries[self.entries.len() - 1].term
    }

    /// The term of the entry at `index`, if the log still has it (the snapshot's last one counts).
    pub fn term(&self, index: u64) -> Option<u64> {
        let k = index.checked_sub(self.base)?;
        self.entries.get(k as usize).map(|e| e.term)
    }

    /// The command at `index`, which must be after the snapshot and in the log.
    pub fn command(&self, index: u64) -> &[u8] {
        &self.entries[(index - self.base) as usize].command
    }

    /// Every entry from `index` (after the snapshot) to the end.
    pub fn entries_from(&self, index: u64) -> Vec<Entry> {
        self.entries[(index - self.base) as usize..].to_vec()
    }

    pub fn append(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// Drops every entry after `index`.
    pub fn truncate_after(&mut self, index: u64) {
        self.entries.truncate((index - self.base + 1) as usize);
    }

    /// The first index of the run of entries that share the term of the entry at `index`
    /// (never before the snapshot): where a follower suggests the leader back up to.
    pub fn first_index_of_term_at(&self, index: u64) -> u64 {
        let term = self.term(index).expect("index in the log");
        let mut first = index;
        while first > self.base + 1 && self.term(first - 1) == Some(term) {
            first -= 1;
        }
        first
    }

    /// The last index holding an entry of `term`, if any.
    pub fn last_index_of_term(&self, term: u64) -> Option<u64> {
        let k = self.entries.iter().rposition(|e| e.term == term)?;
        Some(self.base + k as u64)
    }

    /// Makes `index` (of term `term`) the snapshot's last entry. Entries after it are kept when the
    /// log agrees with the snapshot there, and dropped otherwise.
    pub fn compact(&mut self, index: u64, term: u64) {
        if self.term(index) == Some(term) {
            self.entries.drain(..(index - self.base) as usize);
            self.entries[0].command = Vec::new();
        } else {
            self.entries = vec![Entry {
                term,
                command: Vec::new(),
            }];
        }
        self.base = index;
    }
}

/// Everything about a peer that the mutex protects.
pub(crate) struct State {
    pub term: u64,
    pub voted_for: Option<usize>,
    pub log: Log,
    pub role: Role,
    /// Votes received in the current election (as candidate).
    pub votes: usize,
    pub commit_index: u64,
    /// Highest index handed to the applier task (it may still be sending it).
    pub last_applied: u64,
    /// The snapshot whose last entry is `log.base()`, saved with every persist.
    pub snapshot: Vec<u8>,
    /// A snapshot received from the leader that the service has not been given yet.
    pub snapshot_unapplied: bool,
    pub next_index: Vec<u64>,
    pub match_index: Vec<u64>,
    pub election_deadline: Instant,
}

/// The locked state. Releasing it shows the run view the peer's state, so every change made
/// under the lock appears there (a value equal to the last one adds nothing).
pub(crate) struct Locked<'a>(MutexGuard<'a, State>);

impl std::ops::Deref for Locked<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.0
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.0
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let st = &self.0;
        let role = match st.role {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        };
        let snapshot = match st.log.base() {
            0 => String::new(),
            base => format!(" snapshot {base}"),
        };
        labrpc::state!(
            RAFT,
            "T{} {role} commit {} last {}{snapshot}",
            st.term,
            st.commit_index,
            st.log.last_index()
        );
    }
}

/// A message a leader sends to bring one follower up to date.
enum Replication {
    Append(AppendEntriesArgs),
    Snapshot(InstallSnapshotArgs),
}

/// A random election timeout. Long enough for a few heartbeats (100 ms apart) to arrive, short
/// enough that a new leader is elected well within the 5 s the tests allow, even after a split
/// vote or two.
fn election_timeout() -> Duration {
    Duration::from_millis(labrpc::rand::random_range(300..600))
}
// END SOLUTION
// STUB: // Your types here (3A, 3B, 3C, 3D): for example the peer's role, a log entry, the log.

impl Raft {
    /// Creates the peer `me` of a cluster whose RPC ends are `peers` (`peers[me]` is this peer),
    /// restoring whatever `persister` holds. Must return quickly: long-running work goes into
    /// tasks started with `labrpc::spawn`. Committed entries go to `apply_tx`, in order.
    pub fn new(
        peers: Vec<ClientEnd>,
        me: usize,
        persister: Persister,
        apply_tx: ApplySender,
    ) -> Raft {
        // BEGIN SOLUTION
        let n = peers.len();
        let mut state = State {
            term: 0,
            voted_for: None,
            log: Log::new(),
            role: Role::Follower,
            votes: 0,
            commit_index: 0,
            last_applied: 0,
            snapshot: persister.read_snapshot(),
            snapshot_unapplied: false,
            next_index: vec![1; n],
            match_index: vec![0; n],
            election_deadline: Instant::now() + election_timeout(),
        };
        let saved = persister.read_raft_state();
        if !saved.is_empty() {
            let (term, voted_for, log): (u64, Option<usize>, Log) =
                codec::decode(&saved).expect("the persisted Raft state cannot be decoded");
            state.term = term;
            state.voted_for = voted_for;
            state.log = log;
        }
        // The service restores its own snapshot before creating Raft; what the snapshot covers
        // counts as applied, and the first command delivered is the one right after it.
        state.commit_index = state.log.base();
        state.last_applied = state.log.base();
        let rf = Raft {
            peer: Arc::new(Peer {
                replicate: (0..n).map(|_| Notify::new()).collect(),
                peers,
                me,
                persister,
                apply_tx,
                dead: AtomicBool::new(false),
                state: Mutex::new(state),
                apply_ready: Notify::new(),
            }),
        };
        labrpc::spawn(rf.clone().ticker());
        labrpc::spawn(rf.clone().applier());
        for p in (0..n).filter(|&p| p != me) {
            labrpc::spawn(rf.clone().replicator(p));
        }
        rf
        // END SOLUTION
        // STUB: let rf = Raft {
        // STUB:     peer: Arc::new(Peer {
        // STUB:         peers,
        // STUB:         me,
        // STUB:         persister,
        // STUB:         apply_tx,
        // STUB:         dead: AtomicBool::new(false),
        // STUB:     }),
        // STUB: };
        // STUB: rf.read_persist(&rf.peer.persister.read_raft_state());
        // STUB: // Your code here (3A): start the background task that runs elections.
        // STUB: labrpc::spawn(rf.clone().ticker());
        // STUB: rf
    }

    /// Asks the peer to append `command` to the log. Returns `None` at once if this peer is not the
    /// leader; otherwise the index the command will have if it is ever committed, and the current
    /// term. There is no guarantee it will be committed: the leader may fail or lose an election.
    pub fn start(&self, command: Vec<u8>) -> Option<(u64, u64)> {
        // BEGIN SOLUTION
        let mut st = self.lock();
        if st.role != Role::Leader || self.killed() {
            return None;
        }
        let term = st.term;
        st.log.append(Entry { term, command });
        let index = st.log.last_index();
        self.persist(&st);
        dlog!(LOG1, "T{term} start: appended index {index}");
        // Send it now rather than at the next heartbeat. Commands started in the same instant go
        // out together: a replicator woken twice before it runs sends once.
        self.replicate_now();
        Some((index, term))
        // END SOLUTION
        // STUB: let _ = command;
        // STUB: // Your code here (3B).
        // STUB: None
    }

    /// The current term, and whether this peer believes it is the leader.
    pub fn get_state(&self) -> (u64, bool) {
        // BEGIN SOLUTION
        let st = self.lock();
        (st.term, st.role == Role::Leader)
        // END SOLUTION
        // STUB: // Your code here (3A).
        // STUB: (0, false)
    }

    /// The service has a snapshot of its state covering every entry up to and including `index`:
    /// Raft may discard those entries. Called by the service (the tester) from its apply task.
    pub fn snapshot(&self, index: u64, snapshot: Vec<u8>) {
        // BEGIN SOLUTION
        let mut st = self.lock();
        if index <= st.log.base() || index > st.last_applied {
            return;
        }
        let term = st.log.term(index).expect("applied entries are in the log");
        st.log.compact(index, term);
        st.snapshot = snapshot;
        self.persist(&st);
        dlog!(SNAP, "T{} snapshot through {index}", st.term);
        // END SOLUTION
        // STUB: let _ = (index, snapshot);
        // STUB: // Your code here (3D).
    }

    /// Stops the peer. The tester calls it when it crashes or shuts down a peer (it also aborts the
    /// peer's tasks); long-running tasks should check [`Raft::killed`] and finish.
    pub fn kill(&self) {
        self.peer.dead.store(true, Ordering::SeqCst);
        // BEGIN SOLUTION
        self.peer.apply_ready.notify_one();
        self.replicate_now();
        // END SOLUTION
        // STUB: // Your code here, if anything must be woken up to notice.
    }

    pub fn killed(&self) -> bool {
        self.peer.dead.load(Ordering::SeqCst)
    }

    // BEGIN SOLUTION
    pub(crate) fn lock(&self) -> Locked<'_> {
        Locked(self.peer.state.lock().unwrap())
    }

    pub(crate) fn majority(&self) -> usize {
        self.peer.peers.len() / 2 + 1
    }

    /// Saves term, vote and log, together with the current snapshot: `save` replaces both.
    pub(crate) fn persist(&self, st: &State) {
        let state = codec::encode(&(st.term, st.voted_for, &st.log)).expect("encodable state");
        self.peer.persister.save(&state, &st.snapshot);
    }

    /// Wakes every replicator: a leader sends what it has now instead of at the next heartbeat.
    pub(crate) fn replicate_now(&self) {
        for (p, notify) in self.peer.replicate.iter().enumerate() {
            if p != self.peer.me {
                notify.notify_one();
            }
        }
    }

    /// Moves to `term` as a follower with no vote yet; the caller persists.
    pub(crate) fn become_follower(&self, st: &mut State, term: u64) {
        dlog!(TERM, "T{} -> T{term} follower", st.term);
        st.term = term;
        st.voted_for = None;
        st.role = Role::Follower;
    }

    pub(crate) fn reset_election_timer(&self, st: &mut State) {
        st.election_deadline = Instant::now() + election_timeout();
    }

    /// Starts elections when no leader has been heard from for an election timeout.
    async fn ticker(self) {
        while !self.killed() {
            let deadline = self.lock().election_deadline;
            tokio::time::sleep_until(deadline).await;
            let mut st = self.lock();
            if st.role == Role::Leader {
                // A leader has no election to run; look again after another timeout.
                self.reset_election_timer(&mut st);
            } else if Instant::now() >= st.election_deadline && !self.killed() {
                self.start_election(&mut st);
            }
        }
    }

    fn start_election(&self, st: &mut State) {
        st.term += 1;
        st.role = Role::Candidate;
        st.voted_for = Some(self.peer.me);
        st.votes = 1;
        self.reset_election_timer(st);
        self.persist(st);
        dlog!(VOTE, "T{} election timeout: asking for votes", st.term);
        if st.votes >= self.majority() {
            self.become_leader(st);
            return;
        }
        let args = RequestVoteArgs {
            term: st.term,
            candidate: self.peer.me,
            last_log_index: st.log.last_index(),
            last_log_term: st.log.last_term(),
        };
        for p in (0..self.peer.peers.len()).filter(|&p| p != self.peer.me) {
            let (rf, args) = (self.clone(), args.clone());
            labrpc::spawn(async move {
                let reply = rf.peer.peers[p].call("Raft.RequestVote", &args).await;
                if let Ok(reply) = reply {
                    rf.on_vote(args.term, reply);
                }
            });
        }
    }

    fn on_vote(&self, term: u64, reply: RequestVoteReply) {
        let mut st = self.lock();
        if reply.term > st.term {
            self.become_follower(&mut st, reply.term);
            self.persist(&st);
            return;
        }
        if st.role != Role::Candidate || st.term != term || !reply.vote_granted {
            return;
        }
        st.votes += 1;
        if st.votes >= self.majority() {
            self.become_leader(&mut st);
        }
    }

    fn become_leader(&self, st: &mut State) {
        dlog!(LEAD, "T{} elected leader with {} votes", st.term, st.votes);
        st.role = Role::Leader;
        let next = st.log.last_index() + 1;
        st.next_index.iter_mut().for_each(|n| *n = next);
        st.match_index.iter_mut().for_each(|m| *m = 0);
        // An immediate round of heartbeats tells the others about the new leader.
        self.replicate_now();
    }

    /// Keeps one follower up to date while this peer leads: sends on every kick (new entries,
    /// commit progress, a rejected append to retry) and at least once per heartbeat interval.
    /// Each RPC goes out in its own task, so an unreachable follower delays nothing.
    async fn replicator(self, peer: usize) {
        while !self.killed() {
            let message = {
                let st = self.lock();
                (st.role == Role::Leader).then(|| self.replication_for(&st, peer))
            };
            let Some(message) = message else {
                self.peer.replicate[peer].notified().await;
                continue;
            };
            let rf = self.clone();
            labrpc::spawn(async move { rf.send_replication(peer, message).await });
            tokio::select! {
                biased;
                _ = self.peer.replicate[peer].notified() => {}
                _ = tokio::time::sleep(HEARTBEAT) => {}
            }
        }
    }

    fn replication_for(&self, st: &State, peer: usize) -> Replication {
        let next = st.next_index[peer];
        if next <= st.log.base() {
            return Replication::Snapshot(InstallSnapshotArgs {
                term: st.term,
                leader: self.peer.me,
                last_included_index: st.log.base(),
                last_included_term: st.log.base_term(),
                data: st.snapshot.clone(),
            });
        }
        Replication::Append(AppendEntriesArgs {
            term: st.term,
            leader: self.peer.me,
            prev_log_index: next - 1,
            prev_log_term: st.log.term(next - 1).expect("next_index is in the log"),
            entries: st.log.entries_from(next),
            leader_commit: st.commit_index,
        })
    }

    async fn send_replication(self, peer: usize, message: Replication) {
        match message {
            Replication::Append(args) => {
                let reply = self.peer.peers[peer]
                    .call("Raft.AppendEntries", &args)
                    .await;
                if let Ok(reply) = reply {
                    self.on_append_reply(peer, &args, reply);
                }
            }
            Replication::Snapshot(args) => {
                let reply = self.peer.peers[peer]
                    .call("Raft.InstallSnapshot", &args)
                    .await;
                if let Ok(reply) = reply {
                    self.on_snapshot_reply(peer, &args, reply);
                }
            }
        }
    }

    /// Steps down if a reply shows a higher term; otherwise whether this peer still leads the term
    /// the request was sent in (a reply to an earlier term's request is stale).
    fn still_leading(&self, st: &mut State, sent_in: u64, reply_term: u64) -> bool {
        if reply_term > st.term {
            self.become_follower(st, reply_term);
            self.persist(st);
            return false;
        }
        st.role == Role::Leader && st.term == sent_in
    }

    fn on_append_reply(&self, peer: usize, args: &AppendEntriesArgs, reply: AppendEntriesReply) {
        let mut st = self.lock();
        if !self.still_leading(&mut st, args.term, reply.term) {
            return;
        }
        if reply.success {
            let matched = args.prev_log_index + args.entries.len() as u64;
            st.match_index[peer] = st.match_index[peer].max(matched);
            st.next_index[peer] = st.next_index[peer].max(matched + 1);
            self.advance_commit(&mut st);
            return;
        }
        // Back up over the whole conflicting term at once (the XTerm/XIndex/XLen scheme).
        let next = match reply.conflict_term {
            None => reply.conflict_index,
            Some(term) => match st.log.last_index_of_term(term) {
                Some(last) => last + 1,
                None => reply.conflict_index,
            },
        };
        st.next_index[peer] = next.max(st.match_index[peer] + 1);
        dlog!(
            LOG2,
            "T{} S{peer} rejected append: next {}",
            st.term,
            st.next_index[peer]
        );
        drop(st);
        self.peer.replicate[peer].notify_one();
    }

    fn on_snapshot_reply(
        &self,
        peer: usize,
        args: &InstallSnapshotArgs,
        reply: InstallSnapshotReply,
    ) {
        let mut st = self.lock();
        if !self.still_leading(&mut st, args.term, reply.term) {
            return;
        }
        st.match_index[peer] = st.match_index[peer].max(args.last_included_index);
        st.next_index[peer] = st.next_index[peer].max(args.last_included_index + 1);
    }

    /// Commits the highest entry of the current term that a majority holds. Entries of earlier
    /// terms are committed only indirectly, through it (Figure 8 of the paper).
    fn advance_commit(&self, st: &mut State) {
        let mut index = st.log.last_index();
        while index > st.commit_index && st.log.term(index) == Some(st.term) {
            let holders = 1 + st
                .match_index
                .iter()
                .enumerate()
                .filter(|&(p, &m)| p != self.peer.me && m >= index)
                .count();
            if holders >= self.majority() {
                dlog!(CMIT, "T{} commit through {index}", st.term);
                st.commit_index = index;
                self.peer.apply_ready.notify_one();
                // Followers learn the new commit index right away rather than at the next heartbeat.
                self.replicate_now();
                return;
            }
            index -= 1;
        }
    }

    /// Delivers committed entries, and snapshots from the leader, to the service in order. Sends
    /// happen without the lock: the service may call back into Raft (`snapshot`) before taking
    /// the next message.
    async fn applier(self) {
        while !self.killed() {
            let batch = {
                let mut st = self.lock();
                if st.snapshot_unapplied {
                    st.snapshot_unapplied = false;
                    vec![ApplyMsg::Snapshot {
                        index: st.log.base(),
                        term: st.log.base_term(),
                        snapshot: st.snapshot.clone(),
                    }]
                } else {
                    let from = st.last_applied + 1;
                    st.last_applied = st.commit_index;
                    (from..=st.commit_index)
                        .map(|index| ApplyMsg::Command {
                            index,
                            command: st.log.command(index).to_vec(),
                        })
                        .collect()
                }
            };
            if batch.is_empty() {
                self.peer.apply_ready.notified().await;
                continue;
            }
            for msg in batch {
                if self.peer.apply_tx.send(msg).await.is_err() {
                    return; // the service is gone
                }
            }
        }
    }
    // END SOLUTION
    // STUB: /// Restores state saved by a previous instance (`data` is empty if there is none).
    // STUB: fn read_persist(&self, data: &[u8]) {
    // STUB:     // Your code here (3C): unless `data` is empty (nothing saved yet), restore your
    // STUB:     // fields from it, decoding it with labrpc::codec::decode. `data` is whatever you
    // STUB:     // last saved: write a persist() that encodes your state with
    // STUB:     // labrpc::codec::encode and saves it with self.peer.persister.save(&state, &snapshot).
    // STUB:     let _ = data;
    // STUB: }
    // STUB:
    // STUB: /// Starts an election when no leader has been heard from for a while.
    // STUB: async fn ticker(self) {
    // STUB:     while !self.killed() {
    // STUB:         // Your code here (3A): check whether a leader election should be started.
    // STUB:         // Whenever your state changes, show it in the run view (docs/labrpc.md):
    // STUB:         //     labrpc::state!(RAFT, "T{} {:?} commit {}", term, role, commit_index);
    // STUB:
    // STUB:         // Pause for a random amount of time between 50 and 350 milliseconds.
    // STUB:         let ms = labrpc::rand::random_range(50..350);
    // STUB:         tokio::time::sleep(Duration::from_millis(ms)).await;
    // STUB:     }
    // STUB: }
}
