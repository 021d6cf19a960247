//! One Raft group: the servers of a replicated service on a shared simulated network, with the
//! operations 6.5840's `config.go` files perform on them (start, shut down, partition, reconnect,
//! find the leader, measure persisted state) and the ends clerks reach them through.

use std::sync::{Arc, Mutex, MutexGuard};

use labrpc::{ClientEnd, Network, Node, Persister, Server};
use raft::Raft;

/// A service replicated with Raft, as the harness starts and stops it. Lab 4's [`KvServer`]
/// is one; Lab 5's shard controller and shard groups are others.
///
/// [`KvServer`]: crate::KvServer
pub trait Replica: Send + Sync + 'static {
    /// The server's Raft peer: the group serves its RPCs and asks it who leads.
    fn raft(&self) -> &Raft;
    /// Adds the service's own RPC services to `server` (the group adds the Raft peer's).
    fn register(&self, server: &Server);
    /// The cooperative stop the harness calls before it crashes the server's node.
    fn kill(&self);
}

/// How a group starts one of its servers: the Raft ends to every member (`ends[me]` is its own
/// peer), its index, and its persister.
pub type StartFn<S> = dyn Fn(Vec<ClientEnd>, usize, Persister) -> S + Send + Sync;

/// The servers of one Raft group. Cheap to clone; clones share everything, so test tasks can hold
/// one.
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
    state: Mutex<State<S>>,
}

struct State<S> {
    servers: Vec<Option<Running<S>>>,
    /// What each server has persisted; a restarted server gets a copy.
    saved: Vec<Persister>,
    /// The Raft end names of each server's current instance: `end_names[i][j]` goes from i to j.
    end_names: Vec<Vec<String>>,
}

struct Running<S> {
    service: Arc<S>,
    node: Node,
}

/// The ends one clerk reaches a group through, with fresh random names. `ends` is shuffled, as in
/// 6.5840, so that a clerk cannot assume `ends[i]` is server `i`; `names[i]` is the end to server
/// `i`, for connecting and disconnecting it.
#[derive(Clone)]
pub struct ClerkEnds {
    pub names: Vec<String>,
    pub ends: Vec<ClientEnd>,
}

/// Makes an end with a fresh random name, routed to the server called `server` (6.5840's
/// `make_end`); it starts disabled.
pub fn fresh_end(net: &Network, server: &str) -> (String, ClientEnd) {
    let name = labrpc::rand::random_string(20);
    let end = net.make_end(&name);
    net.connect(&name, server);
    (name, end)
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
                state: Mutex::new(State {
                    servers: (0..n).map(|_| None).collect(),
                    saved: (0..n).map(|_| Persister::new()).collect(),
                    end_names: vec![Vec::new(); n],
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
    pub fn server(&self, i: usize) -> Option<Arc<S>> {
        self.lock().servers[i].as_ref().map(|r| r.service.clone())
    }

    /// Runs `f` on server `i`'s machine, as that server would: its log lines carry the server's
    /// name and tasks it spawns die with the server. `None` if the server is shut down.
    pub fn on_server<R>(&self, i: usize, f: impl FnOnce(&S) -> R) -> Option<R> {
        let running = self.lock().servers[i]
            .as_ref()
            .map(|r| (r.service.clone(), r.node.clone()));
        running.map(|(service, node)| node.enter(|| f(&service)))
    }

    /// Shuts server `i` down like a crash (6.5840's `ShutdownServer`): cut off from its peers,
    /// removed from the network so no clerk gets a reply from it, its persisted state copied so
    /// the dead instance cannot change what the next one starts from, then killed and every task
    /// of its machine aborted.
    pub fn shutdown_server(&self, i: usize) {
        self.disconnect(i, &self.all());
        self.inner.net.delete_server(&self.server_name(i));
        let running = {
            let mut st = self.lock();
            st.saved[i] = st.saved[i].copy();
            st.servers[i].take()
        };
        if let Some(running) = running {
            running.node.enter(|| running.service.kill());
            running.node.crash();
        }
    }

    /// Starts server `i` from a copy of what it persisted, with fresh Raft ends (6.5840's
    /// `StartServer`). Its links to the other servers stay as they were: see
    /// [`Group::connect_all`]. A server that is running is shut down first.
    pub fn start_server(&self, i: usize) {
        self.shutdown_server(i);
        let net = &self.inner.net;
        let (names, ends): (Vec<String>, Vec<ClientEnd>) = (0..self.inner.n)
            .map(|j| fresh_end(net, &self.server_name(j)))
            .unzip();
        let persister = {
            let mut st = self.lock();
            st.end_names[i] = names;
            st.saved[i] = st.saved[i].copy();
            st.saved[i].clone()
        };
        let node = Node::new(&self.server_name(i));
        let (service, server) = node.enter(|| {
            let service = (self.inner.start)(ends, i, persister);
            let server = Server::new();
            server.add_service(raft::service(service.raft()));
            service.register(&server);
            (Arc::new(service), server)
        });
        self.lock().servers[i] = Some(Running { service, node });
        net.add_server(&self.server_name(i), server);
    }

    /// Enables the links between server `i` and each server of `to`, in both directions.
    pub fn connect(&self, i: usize, to: &[usize]) {
        self.set_links(i, to, true);
    }

    /// Disables the links between server `i` and each server of `from`, in both directions.
    pub fn disconnect(&self, i: usize, from: &[usize]) {
        self.set_links(i, from, false);
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
        let all = self.all();
        for i in 0..self.inner.n {
            self.connect(i, &all);
        }
    }

    /// Splits the servers into two sides that cannot reach each other; each side is fully
    /// connected inside. Clerks' links are not touched.
    pub fn partition(&self, p1: &[usize], p2: &[usize]) {
        for (side, other) in [(p1, p2), (p2, p1)] {
            for &i in side {
                self.disconnect(i, other);
                self.connect(i, side);
            }
        }
    }

    /// The first server whose Raft peer believes it leads, if any (6.5840's `Leader`).
    pub fn leader(&self) -> Option<usize> {
        (0..self.inner.n).find(|&i| self.on_server(i, |s| s.raft().get_state().1) == Some(true))
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

    /// What server `i` has persisted (shared with the running instance, if any): tests that
    /// check how a server copes with damaged storage write into it before a restart.
    pub fn persister(&self, i: usize) -> Persister {
        self.lock().saved[i].clone()
    }

    /// Ends for a new clerk to every server, each with a fresh random name, enabled to the
    /// servers in `to` only (6.5840's `makeClient`).
    pub fn make_clerk_ends(&self, to: &[usize]) -> ClerkEnds {
        let net = &self.inner.net;
        let (names, mut ends): (Vec<String>, Vec<ClientEnd>) = (0..self.inner.n)
            .map(|j| fresh_end(net, &self.server_name(j)))
            .unzip();
        shuffle(&mut ends);
        let clerk = ClerkEnds { names, ends };
        self.connect_clerk(&clerk, to);
        clerk
    }

    /// Enables a clerk's ends to the servers in `to` and disables the others.
    pub fn connect_clerk(&self, clerk: &ClerkEnds, to: &[usize]) {
        for (j, name) in clerk.names.iter().enumerate() {
            self.inner.net.enable(name, to.contains(&j));
        }
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
