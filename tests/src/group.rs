//! One replica group: the servers of a replicated service on the simulated network, and what
//! 6.5840's testers do to them (start and crash servers with persister copies, cut and restore
//! links, find the leader, measure persisted state, hand clerks their ends). It knows nothing of
//! Raft: a lab's harness says what its servers are by implementing [`Replica`] on its own type,
//! and every replicated lab (Raft itself, the key/value service on Raft, the shard controller and
//! shard groups, a leaderless store) runs under this one group.
//!
//! ```text
//! let net = Network::new();
//! let group = Group::new(&net, "", 3, |ends, me, persister| Peer::new(ends, me, persister));
//! group.shutdown_server(1);                 // a crash: cut off, deleted, persister copied
//! group.start_server(1);                    // a restart from that copy, with fresh ends
//! group.connect(1, &group.all());           // a new instance starts with its links cut
//! group.partition(&[&[0, 1], &[2]]);
//! let clerk = group.make_clerk_ends(&group.all());
//! ```
//!
//! What the group does to its servers is also noted on the run view (`labrpc::view`), once for
//! every lab: shutdowns, starts, links cut and restored, partitions.
//!
//! Names are readable in logs and in the network trace that `LAB_CHECK_DETERMINISM` compares: the
//! servers of a group with prefix `server-100-` are `server-100-S0`, `server-100-S1`, ...; the
//! end from S2's third instance to S0 is `S2->S0#3`; a clerk's ends are `C7->S0`, `C7->S1`, ...
//! Several groups share a network when their prefixes differ.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use labrpc::{ClientEnd, Held, Network, Node, Persister, Server, view};

use crate::events;

/// A server of a replicated service, as the group starts and stops it: implemented by each lab's
/// harness on its own server type.
pub trait Replica: Send + Sync + 'static {
    /// Adds every RPC service of the server to `server` (a Raft-backed server adds its peer's).
    fn register(&self, server: &Server);
    /// Whether the server believes it leads its group; a leaderless service leaves it `false`.
    fn is_leader(&self) -> bool {
        false
    }
    /// The cooperative stop the group asks for before it crashes the server's machine.
    fn kill(&self);
}

/// How a group starts one of its servers: ends to every member (`ends[j]` reaches server `j`,
/// `ends[me]` the server itself), its index, and its persister. Called on the server's machine,
/// so that the tasks it spawns belong to it.
pub type StartFn<S> = dyn Fn(Vec<ClientEnd>, usize, Persister) -> S + Send + Sync;

/// The servers of one group. Cheap to clone; clones share everything, so test tasks can hold one.
pub struct Group<S> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for Group<S> {
    fn clone(&self) -> Self {
        Group {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<S> {
    net: Network,
    prefix: String,
    n: usize,
    start: Box<StartFn<S>>,
    /// Clerks given ends so far, for their names.
    clerks: AtomicU64,
    state: Mutex<State<S>>,
}

struct State<S> {
    servers: Vec<Option<Member<S>>>,
    /// What each server has persisted; a restarted server gets a copy.
    saved: Vec<Persister>,
    /// The end names of each server's current instance: `end_names[i][j]` goes from i to j.
    end_names: Vec<Vec<String>>,
    /// How many times each server has been started.
    instances: Vec<u64>,
}

/// A running server and the machine it runs on.
pub struct Member<S> {
    service: Arc<S>,
    node: Node,
}

impl<S> Clone for Member<S> {
    fn clone(&self) -> Self {
        Member {
            service: self.service.clone(),
            node: self.node.clone(),
        }
    }
}

impl<S> Member<S> {
    /// Runs `f` on the server's machine, as the server itself would: log lines carry its name,
    /// and tasks `f` spawns die with it.
    pub fn enter<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        self.node.enter(|| f(&self.service))
    }

    pub fn service(&self) -> &Arc<S> {
        &self.service
    }
}

/// The ends one clerk reaches a group through. `ends` is shuffled, as in 6.5840, so that a clerk
/// cannot assume `ends[i]` is server `i`; `names[i]` is the end to server `i`, for connecting and
/// disconnecting it.
#[derive(Clone)]
pub struct ClerkEnds {
    pub names: Vec<String>,
    pub ends: Vec<ClientEnd>,
}

impl<S: Replica> Group<S> {
    /// Starts the `n` servers of a group on `net`, each with an empty persister, all connected to
    /// each other. The servers and their machines are called `<prefix>S0`, `<prefix>S1`, ...
    pub fn new(
        net: &Network,
        prefix: &str,
        n: usize,
        start: impl Fn(Vec<ClientEnd>, usize, Persister) -> S + Send + Sync + 'static,
    ) -> Group<S> {
        let group = Group {
            inner: Arc::new(Inner {
                net: net.clone(),
                prefix: prefix.to_string(),
                n,
                start: Box::new(start),
                clerks: AtomicU64::new(0),
                state: Mutex::new(State {
                    servers: (0..n).map(|_| None).collect(),
                    saved: (0..n).map(|_| Persister::new()).collect(),
                    end_names: vec![Vec::new(); n],
                    instances: vec![0; n],
                }),
            }),
        };
        for i in 0..n {
            group.start_server(i);
        }
        group.connect_all();
        group
    }

    fn lock(&self) -> MutexGuard<'_, State<S>> {
        self.inner.state.lock().unwrap()
    }

    pub fn net(&self) -> &Network {
        &self.inner.net
    }

    pub fn n(&self) -> usize {
        self.inner.n
    }

    /// Every member's index: `0..n`.
    pub fn all(&self) -> Vec<usize> {
        (0..self.inner.n).collect()
    }

    /// The network name (and machine name) of server `i`.
    pub fn server_name(&self, i: usize) -> String {
        format!("{}S{i}", self.inner.prefix)
    }

    /// The running instance of server `i` (`None` while it is shut down).
    pub fn member(&self, i: usize) -> Option<Member<S>> {
        self.lock().servers[i].clone()
    }

    /// Runs `f` on server `i`'s machine (see [`Member::enter`]); `None` if it is shut down.
    pub fn on_server<R>(&self, i: usize, f: impl FnOnce(&S) -> R) -> Option<R> {
        self.member(i).map(|m| m.enter(f))
    }

    /// Shuts server `i` down like a crash (6.5840's `ShutdownServer`): cut off from its peers,
    /// removed from the network so no clerk gets a reply from it, its persisted state copied so
    /// the dead instance cannot change what the next one starts from, then killed and every task
    /// of its machine aborted.
    pub fn shutdown_server(&self, i: usize) {
        self.set_links(i, &self.all(), false);
        self.inner.net.delete_server(&self.server_name(i));
        let running = {
            let mut st = self.lock();
            st.saved[i] = st.saved[i].copy();
            st.servers[i].take()
        };
        if let Some(running) = running {
            view::note("crash", || format!("shut down {}", self.server_name(i)));
            running.enter(|s| s.kill());
            running.node.crash();
        }
    }

    /// Starts server `i` from a copy of what it persisted, with fresh ends (6.5840's
    /// `StartServer`). The new instance's links are all cut until [`Group::connect`]. A server
    /// that is running is shut down first.
    pub fn start_server(&self, i: usize) {
        self.shutdown_server(i);
        let net = &self.inner.net;
        let (ends, persister) = {
            let mut st = self.lock();
            st.instances[i] += 1;
            if st.instances[i] > 1 {
                events::happened(events::SERVER_RESTARTED);
                if st.saved[i].snapshot_size() > 0 {
                    events::happened(events::RESTARTED_FROM_SNAPSHOT);
                }
            }
            let from = self.server_name(i);
            let names: Vec<String> = (0..self.inner.n)
                .map(|j| format!("{from}->{}#{}", self.server_name(j), st.instances[i]))
                .collect();
            let ends = names
                .iter()
                .enumerate()
                .map(|(j, name)| {
                    let end = net.make_end(name);
                    net.connect(name, &self.server_name(j));
                    end
                })
                .collect();
            st.end_names[i] = names;
            st.saved[i] = st.saved[i].copy();
            (ends, st.saved[i].clone())
        };
        view::note("start", || format!("start {}", self.server_name(i)));
        let node = Node::new(&self.server_name(i));
        let (service, server) = node.enter(|| {
            let service = (self.inner.start)(ends, i, persister);
            let server = Server::new();
            service.register(&server);
            (Arc::new(service), server)
        });
        self.lock().servers[i] = Some(Member { service, node });
        net.add_server(&self.server_name(i), server);
    }

    /// Enables the links between server `i` and each server of `to`, in both directions.
    pub fn connect(&self, i: usize, to: &[usize]) {
        view::note("connect", || {
            format!("connect {} to {}", self.server_name(i), self.names(to))
        });
        self.set_links(i, to, true);
    }

    /// Disables the links between server `i` and each server of `from`, in both directions.
    pub fn disconnect(&self, i: usize, from: &[usize]) {
        view::note("disconnect", || {
            format!("cut {} off from {}", self.server_name(i), self.names(from))
        });
        self.set_links(i, from, false);
    }

    /// `S0 S2`, for notes.
    fn names(&self, servers: &[usize]) -> String {
        let names: Vec<String> = servers.iter().map(|&j| self.server_name(j)).collect();
        names.join(" ")
    }

    fn set_links(&self, i: usize, others: &[usize], enabled: bool) {
        let st = self.lock();
        for &j in others {
            for (a, b) in [(i, j), (j, i)] {
                if let Some(name) = st.end_names[a].get(b) {
                    self.inner.net.enable(name, enabled);
                }
            }
        }
    }

    /// Every server can reach every other (clerks' links are not touched).
    pub fn connect_all(&self) {
        view::note("connect", || {
            format!("connect all of {}", self.names(&self.all()))
        });
        let all = self.all();
        for i in 0..self.inner.n {
            self.set_links(i, &all, true);
        }
    }

    /// Splits the servers into `sides` that cannot reach each other, each fully connected inside;
    /// a server on no side is cut off from everyone. Clerks' links are not touched.
    pub fn partition(&self, sides: &[&[usize]]) {
        let minority = |side: &&[usize]| 2 * side.len() <= self.inner.n;
        if let Some(leader) = self.leader()
            && sides
                .iter()
                .find(|side| side.contains(&leader))
                .is_none_or(minority)
        {
            events::happened(events::LEADER_ISOLATED);
        }
        view::note("partition", || {
            let sides: Vec<String> = sides.iter().map(|side| self.names(side)).collect();
            format!("partition {}", sides.join(" | "))
        });
        let all = self.all();
        for i in 0..self.inner.n {
            match sides.iter().find(|side| side.contains(&i)) {
                Some(side) => {
                    let others: Vec<usize> =
                        all.iter().copied().filter(|j| !side.contains(j)).collect();
                    self.set_links(i, &others, false);
                    self.set_links(i, side, true);
                }
                None => self.set_links(i, &all, false),
            }
        }
    }

    /// The first server that believes it leads, if any (6.5840's `Leader`).
    pub fn leader(&self) -> Option<usize> {
        (0..self.inner.n).find(|&i| self.on_server(i, |s| s.is_leader()) == Some(true))
    }

    /// RPCs dispatched to server `i`'s current instance.
    pub fn rpc_count(&self, i: usize) -> u64 {
        self.inner.net.count(&self.server_name(i))
    }

    /// The largest persisted Raft state of any server, shut-down ones included.
    pub fn log_size(&self) -> usize {
        self.largest(Persister::raft_state_size)
    }

    /// The largest persisted snapshot of any server, shut-down ones included.
    pub fn snapshot_size(&self) -> usize {
        self.largest(Persister::snapshot_size)
    }

    fn largest(&self, size: fn(&Persister) -> usize) -> usize {
        self.lock().saved.iter().map(size).max().unwrap_or(0)
    }

    /// 6.5840's `checklogs` for services on Raft: with snapshots every `maxraftstate` bytes, no
    /// server's persisted Raft state may exceed `factor` times that; without, no server may
    /// have a snapshot. Fails the test otherwise.
    pub fn check_persisted_sizes(&self, maxraftstate: Option<usize>, factor: usize) {
        let who = match self.inner.prefix.trim_end_matches('-') {
            "" => "a server".to_string(),
            prefix => format!("a server of {prefix}"),
        };
        view::note("check", || format!("sizes of what {who} persisted"));
        match maxraftstate {
            Some(max) => {
                let size = self.log_size();
                labrpc::sim::bound("Raft state bytes", size as f64, (factor * max) as f64);
                assert!(
                    size <= factor * max,
                    "logs were not trimmed: {who} persisted {size} bytes of Raft state, more than \
                     {factor} x maxraftstate ({max})"
                );
            }
            None => {
                let size = self.snapshot_size();
                assert!(
                    size == 0,
                    "{who} persisted a snapshot of {size} bytes, but maxraftstate is None: a \
                     service snapshots only when given a maxraftstate"
                );
            }
        }
    }

    /// What server `i` has persisted (shared with the running instance, if any): tests that
    /// check how a server copes with damaged storage write into it before a restart.
    pub fn persister(&self, i: usize) -> Persister {
        self.lock().saved[i].clone()
    }

    /// Ends for a new clerk to every server, enabled to the servers in `to` only (6.5840's
    /// `makeClient`).
    pub fn make_clerk_ends(&self, to: &[usize]) -> ClerkEnds {
        let net = &self.inner.net;
        let clerk = self.inner.clerks.fetch_add(1, Ordering::Relaxed);
        let (names, mut ends): (Vec<String>, Vec<ClientEnd>) = (0..self.inner.n)
            .map(|j| {
                let server = self.server_name(j);
                let name = format!("C{clerk}->{server}");
                let end = net.make_end(&name);
                net.connect(&name, &server);
                (name, end)
            })
            .unzip();
        shuffle(&mut ends);
        let clerk = ClerkEnds { names, ends };
        self.connect_clerk(&clerk, to);
        clerk
    }

    /// One enabled end to server `i`, for a test that calls the server itself.
    pub fn make_end(&self, i: usize) -> ClientEnd {
        let clerk = self.inner.clerks.fetch_add(1, Ordering::Relaxed);
        let (server, net) = (self.server_name(i), &self.inner.net);
        let name = format!("C{clerk}->{server}");
        let end = net.make_end(&name);
        net.connect(&name, &server);
        net.enable(&name, true);
        end
    }

    /// Enables a clerk's ends to the servers in `to` and disables the others.
    pub fn connect_clerk(&self, clerk: &ClerkEnds, to: &[usize]) {
        for (j, name) in clerk.names.iter().enumerate() {
            self.inner.net.enable(name, to.contains(&j));
        }
    }

    /// Counts, as [`events::CLIENT_REPLY_LOST`], the replies to clerks of this group that the
    /// network lost after a server had handled the request (at the end of a test).
    pub fn count_lost_clerk_replies(&self) {
        let servers = format!("->{}S", self.inner.prefix);
        let lost = (self.inner.net)
            .replies(|end| end.starts_with('C') && end.contains(&servers))
            .lost;
        events::at_least(events::CLIENT_REPLY_LOST, lost);
    }

    /// Holds back the next `up_to` requests the clerk sends (its calls see them lost), so that a
    /// test can deliver them late with [`Group::deliver_late`].
    pub fn hold_clerk(&self, clerk: &ClerkEnds, up_to: usize) -> Held {
        let names = clerk.names.clone();
        view::note("hold", || format!("hold the next request of {}", names[0]));
        (self.inner.net).hold(up_to, move |m| names.iter().any(|n| n == m.end))
    }

    /// Delivers what `held` kept to server `i` now, long after its sender moved on; counts each
    /// delivered copy as [`events::LATE_COPY_DELIVERED`]. Returns how many it delivered.
    pub fn deliver_late(&self, held: &Held, i: usize) -> usize {
        let server = self.server_name(i);
        view::note("late", || format!("deliver held requests to {server}"));
        let delivered = held.release_to(&server);
        for _ in 0..delivered {
            events::happened(events::LATE_COPY_DELIVERED);
        }
        delivered
    }

    /// Removes a clerk's ends from the network (clerks come and go by the thousand).
    pub fn delete_clerk(&self, clerk: &ClerkEnds) {
        for name in &clerk.names {
            self.inner.net.delete_end(name);
        }
    }
}

/// A uniformly random order, from the harness's random stream (Fisher-Yates).
fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, labrpc::rand::random_range(0..=i));
    }
}
