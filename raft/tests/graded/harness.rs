//! The Raft tester: a simulated cluster of peers that tests crash, restart, partition and check.
//!
//! It mirrors 6.5840's `config.go`: every committed entry a peer applies is checked against what
//! every other peer applied at that index, applies must come in order, and in snapshot mode the
//! tester snapshots every 10 entries the way a service would. Checks marked "beyond 6.5840"
//! reject what a correct Raft never does but the original lets pass.
//!
//! Every change the tester makes to the world (connect, disconnect, crash, restart, a `start`, an
//! agreement through `one`) is logged as a `TEST` line, so a log shows what the tester did when.
//!
//! The peers run as a replica group of the shared harness ([`tests::group`]); what this file adds
//! is Raft's: the service that reads each peer's apply channel and checks it, the connected set of
//! 6.5840's `connect`/`disconnect`, leader and agreement checks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use labrpc::{ClientEnd, Network, Persister, codec, dlog, sim};
use raft::{ApplyMsg, Raft};
use serde::{Deserialize, Serialize};
use tests::events;
use tests::group::{Group, Member, Replica};
use tests::summary::{Summary, Tally};
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant, sleep};

mod scenario;

/// "Generously allows solutions to complete elections in one second."
pub const ELECTION_TIMEOUT: Duration = Duration::from_millis(1000);

/// The service snapshots every this many applied entries (3D).
pub const SNAPSHOT_INTERVAL: u64 = 10;

/// A command the tester replicates: an integer, or a string (the RPC byte test uses 5000-byte
/// strings). Raft sees only its encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmd {
    Int(i64),
    Str(String),
}

impl Cmd {
    pub fn encode(&self) -> Vec<u8> {
        codec::encode(self).expect("commands encode")
    }

    fn decode(bytes: &[u8]) -> Option<Cmd> {
        codec::decode(bytes).ok()
    }

    /// A random non-negative 63-bit integer command, like Go's `rand.Int()`.
    pub fn random() -> Cmd {
        Cmd::Int(random_int())
    }
}

impl From<i64> for Cmd {
    fn from(v: i64) -> Cmd {
        Cmd::Int(v)
    }
}

impl std::fmt::Display for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cmd::Int(v) => write!(f, "{v}"),
            Cmd::Str(s) if s.len() > 20 => write!(f, "{:?}... ({} bytes)", &s[..20], s.len()),
            Cmd::Str(s) => write!(f, "{s:?}"),
        }
    }
}

fn show(bytes: &[u8]) -> String {
    Cmd::decode(bytes).map_or_else(|| format!("{bytes:?}"), |c| c.to_string())
}

/// A random non-negative 63-bit integer from the tester's random stream.
pub fn random_int() -> i64 {
    (labrpc::rand::random::<u64>() >> 1) as i64
}

/// Lab 3 for the test prologue: what usually keeps a Raft test from finishing.
const LAB: tests::Lab = tests::Lab {
    package: "raft",
    hang_suspects: &[
        "an applier that stopped sending on the apply channel (it returned, or waits for the lock \
         while another task holds it across an .await), so the tester waits for entries that are \
         committed but never applied",
        "a peer that never answers an RPC: a handler waiting for something (a lock, a channel) \
         that never comes",
    ],
    events: &[
        ("re_election_3a", &[events::LEADER_CHANGED]),
        ("many_elections_3a", &[events::LEADER_CHANGED]),
        ("leader_failure_3b", &[events::LEADER_CHANGED]),
        ("rejoin_3b", &[events::LEADER_CHANGED]),
        ("backup_3b", &[events::LEADER_CHANGED]),
        ("persist1_3c", &[events::SERVER_RESTARTED]),
        ("persist2_3c", &[events::SERVER_RESTARTED]),
        (
            "persist3_3c",
            &[events::SERVER_RESTARTED, events::LEADER_CHANGED],
        ),
        (
            "figure8_3c",
            &[events::SERVER_RESTARTED, events::LEADER_CHANGED],
        ),
        ("figure8_unreliable_3c", &[events::LEADER_CHANGED]),
        (
            "reliable_churn_3c",
            &[events::SERVER_RESTARTED, events::LEADER_CHANGED],
        ),
        (
            "unreliable_churn_3c",
            &[events::SERVER_RESTARTED, events::LEADER_CHANGED],
        ),
        ("snapshot_basic_3d", &[events::SNAPSHOT_TAKEN]),
        ("snapshot_install_3d", &[events::SNAPSHOT_INSTALLED]),
        (
            "snapshot_install_unreliable_3d",
            &[events::SNAPSHOT_INSTALLED],
        ),
        (
            "snapshot_install_crash_3d",
            &[events::RESTARTED_FROM_SNAPSHOT],
        ),
        (
            "snapshot_install_uncrash_3d",
            &[events::RESTARTED_FROM_SNAPSHOT],
        ),
        ("snapshot_all_crash_3d", &[events::RESTARTED_FROM_SNAPSHOT]),
        ("snapshot_init_3d", &[events::RESTARTED_FROM_SNAPSHOT]),
        ("figure8_scripted_3x", &[events::LEADER_CHANGED]),
        ("restarted_voter_3x", &[events::SERVER_RESTARTED]),
        ("deposed_leader_steps_down_3x", &[events::LEADER_CHANGED]),
        ("late_vote_replies_3x", &[events::LEADER_CHANGED]),
        ("late_install_snapshot_3x", &[events::LATE_COPY_DELIVERED]),
        ("late_append_entries_3x", &[events::LATE_COPY_DELIVERED]),
    ],
};

/// Runs one graded test on a fresh simulated cluster of `servers` peers.
pub fn run<F, Fut>(servers: usize, unreliable: bool, snapshot: bool, desc: &str, test: F)
where
    F: Fn(Config) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    tests::run(&LAB, |_| async {
        let cfg = Config::new(servers, unreliable, snapshot);
        cfg.begin(desc);
        test(cfg.clone()).await;
        cfg.end();
    });
}

/// A Raft peer as the group runs it: the peer's RPC service is its only one.
pub struct RaftPeer {
    rf: Raft,
}

impl Replica for RaftPeer {
    fn register(&self, server: &labrpc::Server) {
        server.add_service(raft::service(&self.rf));
    }

    fn is_leader(&self) -> bool {
        self.rf.get_state().1
    }

    fn kill(&self) {
        self.rf.kill();
    }
}

/// A running peer as the tests see it. Calls into it run as the peer's node, as if the service on
/// that machine made them: log lines carry the peer's name, and tasks the call spawns die with the
/// peer when it crashes.
#[derive(Clone)]
pub struct Peer {
    me: usize,
    member: Member<RaftPeer>,
}

impl Peer {
    pub fn start(&self, command: Vec<u8>) -> Option<(u64, u64)> {
        // A copy for the log line, which formats it only when logging is on.
        let started = self.member.enter(|p| p.rf.start(command.clone()));
        match started {
            Some((index, term)) => dlog!(
                TEST,
                "start({}) on S{}: index {index}, term {term}",
                show(&command),
                self.me
            ),
            None => dlog!(
                TEST,
                "start({}) on S{}: not the leader",
                show(&command),
                self.me
            ),
        }
        started
    }

    pub fn get_state(&self) -> (u64, bool) {
        self.member.enter(|p| p.rf.get_state())
    }
}

/// The cluster under test. Cheap to clone; clones share everything, so test tasks can use it.
#[derive(Clone)]
pub struct Config {
    inner: Arc<Inner>,
}

struct Inner {
    net: Network,
    group: Group<RaftPeer>,
    applied: Arc<Applied>,
    /// The peers 6.5840's `connect`/`disconnect` have connected.
    connected: Mutex<Vec<bool>>,
    summary: Mutex<Option<Begun>>,
    /// The latest term in which the tester saw a leader (for [`events::LEADER_CHANGED`]).
    leader_term: Mutex<Option<u64>>,
}

/// What `begin` recorded, for the summary line.
struct Begun {
    summary: Summary,
    rpcs: u64,
    bytes: u64,
    max_index: u64,
}

/// The service above every peer: what each has applied, checked as it arrives. Shared by the
/// peers' appliers, which run on the peers' machines.
struct Applied {
    n: usize,
    snapshot: bool,
    state: Mutex<State>,
}

struct State {
    /// The committed entries each peer has applied, by index.
    logs: Vec<HashMap<u64, Vec<u8>>>,
    last_applied: Vec<u64>,
    /// The index of the last snapshot the service gave each peer's current instance.
    snapshot_given: Vec<Option<u64>>,
    max_index: u64,
    /// What each peer has persisted (the group's persisters, shared).
    saved: Vec<Option<Persister>>,
}

impl Config {
    /// Starts `n` connected peers; the network is reliable or not, and always has long delays.
    pub fn new(n: usize, unreliable: bool, snapshot: bool) -> Config {
        let net = Network::new();
        net.set_reliable(!unreliable);
        net.set_long_delays(true);
        let applied = Arc::new(Applied {
            n,
            snapshot,
            state: Mutex::new(State {
                logs: vec![HashMap::new(); n],
                last_applied: vec![0; n],
                snapshot_given: vec![None; n],
                max_index: 0,
                saved: vec![None; n],
            }),
        });
        for i in 0..n {
            dlog!(TEST, "start S{i} from its persisted state");
        }
        let service = applied.clone();
        let group = Group::new(&net, "", n, move |ends, me, persister| {
            service.start_peer(ends, me, persister)
        });
        dlog!(TEST, "connect every peer; {}", partition(&vec![true; n]));
        Config {
            inner: Arc::new(Inner {
                net,
                group,
                applied,
                connected: Mutex::new(vec![true; n]),
                summary: Mutex::new(None),
                leader_term: Mutex::new(None),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.applied.state.lock().unwrap()
    }

    fn connected(&self) -> MutexGuard<'_, Vec<bool>> {
        self.inner.connected.lock().unwrap()
    }

    pub fn n(&self) -> usize {
        self.inner.applied.n
    }

    /// The running instance of peer `i` (`None` while it is crashed).
    pub fn raft(&self, i: usize) -> Option<Peer> {
        let member = self.inner.group.member(i)?;
        Some(Peer { me: i, member })
    }

    pub fn is_connected(&self, i: usize) -> bool {
        self.connected()[i]
    }

    /// Crashes peer `i`: it is cut off and removed from the network, every task of its node is
    /// aborted, and its persisted state is copied so the dead instance cannot change it.
    pub fn crash1(&self, i: usize) {
        self.connected()[i] = false;
        if self.inner.group.member(i).is_some() {
            dlog!(TEST, "crash S{i}");
        }
        self.inner.group.shutdown_server(i);
    }

    /// Starts (or restarts, after crashing) peer `i` from its persisted state, with fresh RPC ends.
    /// It is not connected: tests call [`Config::connect`].
    pub fn start1(&self, i: usize) {
        self.crash1(i);
        dlog!(TEST, "start S{i} from its persisted state");
        self.inner.group.start_server(i);
    }

    /// Crashes every peer, then restarts and reconnects them all.
    pub fn crash_and_restart_all(&self) {
        for i in 0..self.n() {
            self.crash1(i);
        }
        for i in 0..self.n() {
            self.start1(i);
            self.connect(i);
        }
    }

    /// Reconnects peer `i` to every connected peer, in both directions.
    pub fn connect(&self, i: usize) {
        let mut connected = self.connected();
        connected[i] = true;
        let to: Vec<usize> = (0..self.n()).filter(|&j| connected[j]).collect();
        self.inner.group.connect(i, &to);
        dlog!(TEST, "connect S{i}; {}", partition(&connected));
    }

    /// Cuts peer `i` off from every peer, in both directions.
    pub fn disconnect(&self, i: usize) {
        let mut connected = self.connected();
        connected[i] = false;
        self.inner.group.disconnect(i, &self.inner.group.all());
        dlog!(TEST, "disconnect S{i}; {}", partition(&connected));
    }

    pub fn set_unreliable(&self, unreliable: bool) {
        dlog!(
            TEST,
            "network {}",
            if unreliable { "unreliable" } else { "reliable" }
        );
        self.inner.net.set_reliable(!unreliable);
    }

    pub fn set_long_reordering(&self, long_reordering: bool) {
        dlog!(
            TEST,
            "long reordering {}",
            if long_reordering { "on" } else { "off" }
        );
        self.inner.net.set_long_reordering(long_reordering);
    }

    /// RPCs dispatched to peer `i`'s current server.
    pub fn rpc_count(&self, i: usize) -> u64 {
        self.inner.group.rpc_count(i)
    }

    pub fn rpc_total(&self) -> u64 {
        self.inner.net.total_count()
    }

    pub fn bytes_total(&self) -> u64 {
        self.inner.net.total_bytes()
    }

    /// The largest persisted Raft state of any peer, crashed ones included.
    pub fn log_size(&self) -> usize {
        self.inner.group.log_size()
    }

    /// Notes that the tester saw a leader of `term`: a later term than the last one it saw a
    /// leader of means leadership changed hands.
    pub fn saw_leader(&self, term: u64) {
        let mut seen = self.inner.leader_term.lock().unwrap();
        match *seen {
            Some(last) if term > last => events::happened(events::LEADER_CHANGED),
            _ => {}
        }
        *seen = Some(seen.map_or(term, |last| last.max(term)));
    }

    /// Waits for exactly one connected peer to claim leadership and returns it; fails if some
    /// term has two leaders, or if none appears in about five seconds.
    pub async fn check_one_leader(&self) -> usize {
        for _ in 0..10 {
            sleep(Duration::from_millis(labrpc::rand::random_range(450..550))).await;
            let mut leaders: std::collections::BTreeMap<u64, Vec<usize>> = Default::default();
            for i in 0..self.n() {
                if let (true, Some(rf)) = (self.is_connected(i), self.raft(i)) {
                    let (term, leader) = rf.get_state();
                    if leader {
                        leaders.entry(term).or_default().push(i);
                    }
                }
            }
            for (term, ls) in &leaders {
                assert!(
                    ls.len() <= 1,
                    "term {term} has {} leaders ({}): a term may have at most one",
                    ls.len(),
                    names(ls.iter().copied())
                );
            }
            if let Some((&term, ls)) = leaders.last_key_value() {
                self.saw_leader(term);
                labrpc::view::note("check", || format!("one leader: S{} in term {term}", ls[0]));
                return ls[0];
            }
        }
        panic!(
            "no leader: after about 5 s of checking, no connected peer claimed to be the leader \
             (connected: {})",
            names((0..self.n()).filter(|&i| self.is_connected(i)))
        );
    }

    /// The term all connected peers agree on (`None` if none is connected).
    pub fn check_terms(&self) -> Option<u64> {
        let mut term = None;
        for i in 0..self.n() {
            if let (true, Some(rf)) = (self.is_connected(i), self.raft(i)) {
                let (t, _) = rf.get_state();
                match term {
                    None => term = Some((i, t)),
                    Some((first, term)) => assert_eq!(
                        term, t,
                        "connected peers are in different terms once the election has settled: \
                         S{first} in term {term}, S{i} in term {t}"
                    ),
                }
            }
        }
        term.map(|(_, t)| t)
    }

    /// Fails if any connected peer claims to be the leader.
    pub fn check_no_leader(&self) {
        for i in 0..self.n() {
            if let (true, Some(rf)) = (self.is_connected(i), self.raft(i)) {
                assert!(
                    !rf.get_state().1,
                    "expected no leader among connected servers, but {i} claims to be leader"
                );
            }
        }
    }

    /// How many peers have applied an entry at `index`, and that entry (all must agree).
    pub fn n_committed(&self, index: u64) -> (usize, Option<Cmd>) {
        let st = self.lock();
        let mut count = 0;
        let mut cmd: Option<&Vec<u8>> = None;
        for log in &st.logs {
            if let Some(c) = log.get(&index) {
                if let Some(prev) = cmd {
                    assert!(
                        prev == c,
                        "peers applied different commands at index {index}: {} and {}",
                        show(prev),
                        show(c)
                    );
                }
                cmd = Some(c);
                count += 1;
            }
        }
        (
            count,
            cmd.map(|c| Cmd::decode(c).expect("tester commands decode")),
        )
    }

    /// Waits for at least `n` peers to commit `index`, backing off up to about 30 s. Returns
    /// `None` if some peer has moved past `start_term` (the caller retries); fails if too few
    /// peers committed.
    pub async fn wait(&self, index: u64, n: usize, start_term: Option<u64>) -> Option<Cmd> {
        let mut to = Duration::from_millis(10);
        for _ in 0..30 {
            let (nd, _) = self.n_committed(index);
            if nd >= n {
                break;
            }
            sleep(to).await;
            if to < Duration::from_secs(1) {
                to *= 2;
            }
            if let Some(start_term) = start_term {
                for i in 0..self.n() {
                    if let Some(rf) = self.raft(i)
                        && rf.get_state().0 > start_term
                    {
                        // Someone has moved on; can no longer guarantee that we'll "win".
                        return None;
                    }
                }
            }
        }
        let (nd, cmd) = self.n_committed(index);
        assert!(
            nd >= n,
            "only {nd} peers applied index {index} within about 30 s; the test needs {n}"
        );
        cmd
    }

    /// Submits `cmd` to whichever connected peer is leader and waits until `expected` peers have
    /// committed it, retrying for up to 10 s; returns its index. Without `retry`, a first attempt
    /// that does not commit in 2 s fails the test.
    pub async fn one(&self, cmd: impl Into<Cmd>, expected: usize, retry: bool) -> u64 {
        let cmd = cmd.into();
        let encoded = cmd.encode();
        dlog!(TEST, "one({cmd}): agreement of {expected} peers wanted");
        let t0 = Instant::now();
        let mut starts = 0;
        // What became of the last attempt, for the failure message.
        let mut last_attempt = "no connected peer accepted it as the leader".to_string();
        while t0.elapsed() < Duration::from_secs(10) {
            // Try all the servers; maybe one is the leader.
            let mut index = None;
            for _ in 0..self.n() {
                starts = (starts + 1) % self.n();
                let rf = if self.is_connected(starts) {
                    self.raft(starts)
                } else {
                    None
                };
                if let Some(rf) = rf
                    && let Some((i, term)) = rf.start(encoded.clone())
                {
                    self.saw_leader(term);
                    index = Some((starts, i));
                    break;
                }
            }
            if let Some((leader, index)) = index {
                // Somebody claimed to be the leader and to have submitted our command; wait a
                // while for agreement.
                let t1 = Instant::now();
                while t1.elapsed() < Duration::from_secs(2) {
                    let (nd, cmd1) = self.n_committed(index);
                    if nd > 0 && nd >= expected && cmd1.as_ref() == Some(&cmd) {
                        dlog!(TEST, "one({cmd}): committed at index {index} on {nd} peers");
                        labrpc::view::note("check", || {
                            format!("one({cmd}) committed at index {index} on {nd} peers")
                        });
                        return index; // committed, and it was the command we submitted
                    }
                    sleep(Duration::from_millis(20)).await;
                }
                let (nd, cmd1) = self.n_committed(index);
                last_attempt = match cmd1 {
                    Some(other) if other != cmd => format!(
                        "S{leader} accepted it at index {index}, but {nd} peers applied {other} \
                         there instead"
                    ),
                    _ => format!(
                        "S{leader} accepted it at index {index}, and 2 s later {nd} of the \
                         {expected} peers needed had applied it"
                    ),
                };
                assert!(retry, "command {cmd} was not committed: {last_attempt}");
            } else {
                sleep(Duration::from_millis(50)).await;
            }
        }
        panic!(
            "command {cmd} was not committed within 10 s of retries; last attempt: {last_attempt}"
        );
    }

    /// Beyond 6.5840, which crashes only some peers (or none) in most 3C tests, so that a Raft
    /// persisting nothing passes several: crashes and restarts every peer on a reliable network
    /// and checks that a new command commits after everything committed before.
    pub async fn check_survives_restart(&self) {
        let committed = self.lock().max_index;
        dlog!(
            TEST,
            "restart every peer: the {committed} committed entries must survive"
        );
        // The check is about what survived, not about the network the test left behind.
        self.set_unreliable(false);
        self.set_long_reordering(false);
        self.crash_and_restart_all();
        let index = self.one(random_int(), self.n(), true).await;
        assert!(
            index > committed,
            "after every peer restarted, a new command was committed at index {index}, though \
             {committed} entries had been committed before: the restarted peers lost their logs"
        );
    }

    /// Records the start of the test proper, for the summary line.
    pub fn begin(&self, desc: &str) {
        dlog!(TEST, "{desc}");
        *self.inner.summary.lock().unwrap() = Some(Begun {
            summary: Summary::begin(desc),
            rpcs: self.rpc_total(),
            bytes: self.bytes_total(),
            max_index: self.lock().max_index,
        });
    }

    /// Prints the 6.5840-style summary line of a passed test.
    pub fn end(&self) {
        let begun = self.inner.summary.lock().unwrap().take();
        let begun = begun.expect("begin() was called");
        begun.summary.passed(Tally {
            peers: self.n(),
            clients: 0,
            rpcs: self.rpc_total() - begun.rpcs,
            ops: self.lock().max_index - begun.max_index,
            bytes: Some(self.bytes_total() - begun.bytes),
        });
    }
}

impl Applied {
    /// Starts peer `me` on its machine as a service would: the service restores its snapshot, then
    /// creates Raft and reads its apply channel.
    fn start_peer(
        self: &Arc<Self>,
        ends: Vec<ClientEnd>,
        me: usize,
        persister: Persister,
    ) -> RaftPeer {
        {
            let mut st = self.state.lock().unwrap();
            st.last_applied[me] = 0;
            st.snapshot_given[me] = None;
            st.saved[me] = Some(persister.clone());
            let snapshot = persister.read_snapshot();
            if !snapshot.is_empty()
                && let Err(e) = ingest_snapshot(&mut st, me, &snapshot, None)
            {
                panic!("{e}");
            }
        }
        let (apply_tx, apply_rx) = mpsc::channel(1);
        let rf = Raft::new(ends, me, persister, apply_tx);
        labrpc::spawn(self.clone().applier(me, rf.clone(), apply_rx));
        RaftPeer { rf }
    }

    /// Reads peer `i`'s applies and checks each (the service above Raft, running on i's node).
    async fn applier(self: Arc<Self>, i: usize, rf: Raft, mut apply_rx: mpsc::Receiver<ApplyMsg>) {
        while let Some(msg) = apply_rx.recv().await {
            let result = match msg {
                ApplyMsg::Command { index, command } => self.apply_command(i, index, command),
                ApplyMsg::Snapshot {
                    index, snapshot, ..
                } if self.snapshot => {
                    events::happened(events::SNAPSHOT_INSTALLED);
                    self.apply_snapshot(i, index, &snapshot).map(|()| None)
                }
                // Beyond 6.5840, which ignores it: without a service that snapshots, a correct
                // Raft has no snapshot to deliver.
                ApplyMsg::Snapshot { index, .. } => Err(format!(
                    "server {i} delivered a snapshot through index {index}, but no service in this \
                     test ever made a snapshot (Raft may only pass on snapshots that came from a \
                     service's Raft::snapshot)"
                )),
            };
            match result {
                Ok(Some((index, snapshot))) => {
                    events::happened(events::SNAPSHOT_TAKEN);
                    rf.snapshot(index, snapshot)
                }
                Ok(None) => {}
                Err(e) => {
                    sim::fail(e);
                    return;
                }
            }
        }
    }

    /// Checks one applied command; in snapshot mode returns the snapshot to give Raft.
    fn apply_command(
        &self,
        i: usize,
        index: u64,
        command: Vec<u8>,
    ) -> Result<Option<(u64, Vec<u8>)>, String> {
        let mut st = self.state.lock().unwrap();
        if self.snapshot && index != st.last_applied[i] + 1 {
            return Err(format!(
                "server {i} applied index {index}, but the next index to apply was {}: commands \
                 must reach the apply channel in index order, without gaps, and continue right \
                 after any snapshot delivered before them",
                st.last_applied[i] + 1
            ));
        }
        for j in 0..self.n {
            if let Some(other) = st.logs[j].get(&index)
                && *other != command
            {
                let (new, old) = (show(&command), show(other));
                return Err(if j == i {
                    format!(
                        "server {i} applied {new} at index {index}, but before it restarted it \
                         had applied {old} there: a committed entry must survive a restart"
                    )
                } else {
                    format!(
                        "server {i} applied {new} at index {index}, but server {j} applied {old} \
                         there: two peers committed different commands at the same index"
                    )
                });
            }
        }
        let prev_ok = st.logs[i].contains_key(&(index - 1));
        st.logs[i].insert(index, command);
        st.max_index = st.max_index.max(index);
        if index > 1 && !prev_ok {
            return Err(format!(
                "server {i} applied index {index} before index {}: commands must reach the apply \
                 channel in index order",
                index - 1
            ));
        }
        st.last_applied[i] = index;
        if !self.snapshot || !(index + 1).is_multiple_of(SNAPSHOT_INTERVAL) {
            return Ok(None);
        }
        if let Some(given) = st.snapshot_given[i] {
            check_snapshot_saved(&st, i, given)?;
        }
        st.snapshot_given[i] = Some(index);
        let xlog = (0..=index).map(|j| st.logs[i].get(&j).cloned()).collect();
        let snapshot: TesterSnapshot = (index, xlog);
        let snapshot = codec::encode(&snapshot).expect("snapshots encode");
        Ok(Some((index, snapshot)))
    }

    /// Checks a snapshot from the apply channel and makes it what peer `i` has applied.
    fn apply_snapshot(&self, i: usize, index: u64, snapshot: &[u8]) -> Result<(), String> {
        let mut st = self.state.lock().unwrap();
        // Beyond 6.5840: the original takes any snapshot, even one that undoes applied commands.
        if index < st.last_applied[i] {
            return Err(format!(
                "server {i} delivered a snapshot through index {index} after it had applied index \
                 {}: a snapshot must not take the service back to an earlier state",
                st.last_applied[i]
            ));
        }
        ingest_snapshot(&mut st, i, snapshot, Some(index))
    }
}

/// Replaces what peer `i` has applied with the contents of a snapshot the tester made.
fn ingest_snapshot(
    st: &mut State,
    i: usize,
    snapshot: &[u8],
    index: Option<u64>,
) -> Result<(), String> {
    let (last_included, xlog) = decode_snapshot(snapshot).map_err(|e| {
        format!(
            "server {i} delivered a snapshot the service cannot read ({e}): Raft must pass on \
             the service's snapshot unchanged"
        )
    })?;
    if let Some(index) = index.filter(|&index| index != last_included) {
        return Err(format!(
            "server {i} delivered a snapshot as covering index {index}, but the snapshot the \
             service made covers index {last_included}"
        ));
    }
    st.logs[i] = xlog
        .into_iter()
        .enumerate()
        .filter_map(|(j, c)| c.map(|c| (j as u64, c)))
        .collect();
    st.last_applied[i] = last_included;
    Ok(())
}

/// A snapshot the tester makes: its last index, then every command up to it (by index; `None`
/// where the peer had applied nothing, as at index 0).
type TesterSnapshot = (u64, Vec<Option<Vec<u8>>>);

fn decode_snapshot(snapshot: &[u8]) -> Result<TesterSnapshot, codec::CodecError> {
    codec::decode(snapshot)
}

/// Beyond 6.5840, where nothing checks that a snapshot is saved, so a Raft persisting nothing
/// passed most 3D tests: by the time the service makes its next snapshot, the one it gave peer
/// `i` through index `given` (or a later one) must be in the peer's persisted state.
fn check_snapshot_saved(st: &State, i: usize, given: u64) -> Result<(), String> {
    let saved = st.saved[i]
        .as_ref()
        .map(Persister::read_snapshot)
        .unwrap_or_default();
    let covers = match decode_snapshot(&saved) {
        Ok((last_included, _)) if last_included >= given => return Ok(()),
        Ok((last_included, _)) => format!("covers only index {last_included}"),
        Err(_) if saved.is_empty() => "is empty".to_string(),
        Err(e) => format!("cannot be read ({e})"),
    };
    Err(format!(
        "server {i} was given the service's snapshot through index {given} {SNAPSHOT_INTERVAL} \
         entries ago, but its persisted snapshot {covers}: Raft::snapshot must save the snapshot \
         with the Persister, so that a restart does not lose it"
    ))
}

/// Which peers are connected, for TEST lines: `connected S0 S1 S3, cut off S2 S4`.
fn partition(connected: &[bool]) -> String {
    let side = |c: bool| names((0..connected.len()).filter(|&i| connected[i] == c));
    format!("connected {}, cut off {}", side(true), side(false))
}

/// Peers by name: `S0 S2`, or `none`.
fn names(peers: impl Iterator<Item = usize>) -> String {
    let names: Vec<String> = peers.map(|i| format!("S{i}")).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(" ")
    }
}
