//! Lab 6's configuration on the shared replica-group harness ([`tests::group`]): the store's nodes
//! as one group on a network with 1-10 ms of latency per message, the ring the tester keeps and
//! hands to every node (joins and leaves change it), clerks whose operations are counted and
//! recorded (a history for the linearizability check, every write for the convergence check),
//! crashes, restarts and partitions marked on the timeline, and the summary line.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use dynamo::version::Context;
use dynamo::{
    Cart, Clerk, DynamoError, DynamoNode, NodeId, NodeOptions, Options, PARTITIONS, Ring,
};
use labrpc::Network;
use tests::convergence::{Holding, WriteLog, assert_converged, assert_replicas_agree};
use tests::events;
use tests::group::{Group, Replica};
use tests::kvtest::KvLog;
use tests::lincheck::Span;
use tests::lincheck::kv::{KvInput, KvOutput};
use tests::siblings::{ReadId, VersionLog, assert_cart_complete, assert_no_dominated_siblings};
use tests::summary::{Summary, Tally};
use tokio::time::Duration;

/// Every message's latency range, in ms: a store spread over machines, as Dynamo's.
pub const LATENCY_MS: (u64, u64) = (1, 10);

/// How a test's cluster starts.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    /// Nodes started (ids `0..nodes`).
    pub nodes: usize,
    /// How many of them are on the ring at the start (the first ones); the others can join.
    pub on_ring: usize,
    pub unreliable: bool,
    /// Whether the nodes run Merkle-tree anti-entropy (6D), every [`ANTI_ENTROPY_EVERY`].
    pub anti_entropy: bool,
}

/// How often a node exchanges trees with another, when the test turns anti-entropy on.
pub const ANTI_ENTROPY_EVERY: Duration = Duration::from_millis(200);

impl Setup {
    pub const fn ring(nodes: usize) -> Setup {
        Setup {
            nodes,
            on_ring: nodes,
            unreliable: false,
            anti_entropy: false,
        }
    }
}

/// Lab 6 for the test prologue: what usually keeps a test of the store from finishing.
const LAB: tests::Lab = tests::Lab {
    package: "dynamo",
    hang_suspects: &[
        "a coordinator that waits for a replica with no deadline: a replica that crashed or is \
         cut off may never answer, and every request must end within QUORUM_TIMEOUT (1 s), with \
         NotEnoughReplicas if the quorum was not reached",
        "a clerk that keeps retrying one node: it must move on to its other nodes, and return \
         NoCoordinator once none can be reached",
        "a lock (the store, the hints) held across an .await, which stops every handler and the \
         handoff task of that node",
    ],
    // Only what the harness sees for itself: restarts, and replies to clerks that the network
    // lost after a node handled the request. Stand-ins, handoffs and repairs happen inside the
    // store, in messages whose meaning the tester cannot read; their tests check their outcome.
    // (churn_6b's random crashes restarted nobody in 2 of 200 runs: below 99%, so not named.)
    events: &[
        ("unreliable_linearizable_6a", &[events::CLIENT_REPLY_LOST]),
        ("one_replica_down_6a", &[events::SERVER_RESTARTED]),
        ("hint_holder_crash_6b", &[events::SERVER_RESTARTED]),
        ("no_dominated_siblings_6c", &[events::CLIENT_REPLY_LOST]),
        ("wiped_replica_converges_6d", &[events::SERVER_RESTARTED]),
    ],
};

/// Runs one graded test on a fresh cluster.
pub fn run<F, Fut>(setup: Setup, test: F)
where
    F: Fn(Cluster) -> Fut,
    Fut: Future<Output = ()>,
{
    tests::run(&LAB, |name| test(Cluster::new(name, setup)));
}

/// A node of the store as the group runs it.
pub struct NodeReplica(pub DynamoNode);

impl Replica for NodeReplica {
    fn register(&self, server: &labrpc::Server) {
        server.add_service(dynamo::service(&self.0));
    }

    fn kill(&self) {
        self.0.kill();
    }
}

/// The store under test. Cheap to clone; clones share everything, so client tasks can use it.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    test: String,
    net: Network,
    group: Group<NodeReplica>,
    /// The ring as the tester last gave it to the nodes (restarted nodes get it too).
    ring: Arc<Mutex<Ring>>,
    /// Every recorded operation, for the linearizability check and its timeline.
    log: KvLog,
    /// Every write, for the convergence check.
    writes: WriteLog,
    /// Every read and write of versions, for the domination check.
    versions: VersionLog,
    /// The cart adds tried and acknowledged, for the cart check.
    adds: Mutex<(BTreeSet<String>, BTreeSet<String>)>,
    ops: AtomicU64,
    clients: AtomicUsize,
    summary: Mutex<Option<Begun>>,
    partition: Mutex<Option<Span<KvInput, KvOutput>>>,
}

struct Begun {
    summary: Summary,
    rpcs: u64,
    clients: usize,
}

impl Cluster {
    pub fn new(test: &str, setup: Setup) -> Cluster {
        let net = Network::new();
        net.set_reliable(!setup.unreliable);
        net.set_latency(LATENCY_MS.0, LATENCY_MS.1);
        let members: Vec<NodeId> = (0..setup.on_ring).collect();
        let ring = Arc::new(Mutex::new(Ring::new(&members, PARTITIONS)));
        let current = ring.clone();
        let options = NodeOptions {
            anti_entropy_every: setup.anti_entropy.then_some(ANTI_ENTROPY_EVERY),
        };
        let group = Group::new(&net, "", setup.nodes, move |ends, me, persister| {
            let ring = current.lock().unwrap().clone();
            NodeReplica(DynamoNode::new(ends, me, persister, ring, options))
        });
        Cluster {
            inner: Arc::new(Inner {
                test: test.to_string(),
                net,
                group,
                ring,
                log: KvLog::new(),
                writes: WriteLog::new(),
                versions: VersionLog::new(),
                adds: Mutex::new(Default::default()),
                ops: AtomicU64::new(0),
                clients: AtomicUsize::new(0),
                summary: Mutex::new(None),
                partition: Mutex::new(None),
            }),
        }
    }

    pub fn net(&self) -> &Network {
        &self.inner.net
    }

    pub fn group(&self) -> &Group<NodeReplica> {
        &self.inner.group
    }

    pub fn all(&self) -> Vec<usize> {
        self.inner.group.all()
    }

    pub fn ring(&self) -> Ring {
        self.inner.ring.lock().unwrap().clone()
    }

    /// `key`'s home replicas: its preference list of `n` nodes.
    pub fn home(&self, key: &str, n: usize) -> Vec<NodeId> {
        self.ring().preference_list(key, n)
    }

    /// A new clerk with ends to the nodes in `to`, the ones it can reach (whatever partition
    /// the nodes are in). Its ends are called `K<row>->S<i>`.
    pub fn make_client(&self, options: Options, to: &[usize]) -> Client {
        let (clerk, row, links) = self.clerk(options, to);
        Client {
            clerk,
            row,
            links,
            cluster: self.clone(),
        }
    }

    /// A clerk with ends to the nodes in `to`, its row in the history, and its ends' names.
    fn clerk(&self, options: Options, to: &[usize]) -> (Clerk, usize, Vec<String>) {
        let row = self.inner.clients.fetch_add(1, Ordering::Relaxed);
        let (net, group) = (&self.inner.net, &self.inner.group);
        let (links, ends) = (to.iter())
            .map(|&i| {
                let (name, server) = (format!("K{row}->S{i}"), group.server_name(i));
                let end = net.make_end(&name);
                net.connect(&name, &server);
                net.enable(&name, true);
                (name, end)
            })
            .unzip();
        (Clerk::new(ends, options), row, links)
    }

    /// A clerk of versions with siblings (6C), recorded for the domination check.
    pub fn make_versions_client(&self, options: Options, to: &[usize]) -> VersionsClient {
        VersionsClient {
            clerk: self.clerk(options, to).0,
            cluster: self.clone(),
        }
    }

    /// A shopping cart under `key` (6C), its adds recorded for the cart check.
    pub fn make_cart(&self, options: Options, to: &[usize], key: &str) -> CartClient {
        CartClient {
            cart: Cart::new(self.clerk(options, to).0, key),
            cluster: self.clone(),
        }
    }

    /// Skews the nodes' clocks (6C): offsets up to `max_offset`, drift up to `max_drift_ppm`.
    pub fn skew_clocks(&self, max_offset: Duration, max_drift_ppm: u32) {
        labrpc::clock::set_skew(max_offset, max_drift_ppm);
        (self.inner.log).annotate("clocks", &format!("clocks skewed by up to {max_offset:?}"));
    }

    /// Cuts (or restores) a clerk's links to its nodes, as if the clerk were cut off: an answer
    /// on its way back is lost, and its requests fail until the links come back.
    pub fn link_client(&self, links: &[String], up: bool) {
        for name in links {
            self.inner.net.enable(name, up);
        }
    }

    /// Crashes node `i` (its persisted state survives).
    pub fn crash(&self, i: usize) {
        self.inner.group.shutdown_server(i);
        self.inner.log.annotate("crash", &format!("S{i} crashed"));
    }

    /// Crashes node `i` and restarts it with an empty disk (6D), connected to every node of
    /// `to`: what it held comes back only from the other replicas.
    pub fn wipe(&self, i: usize, to: &[usize]) {
        self.inner.group.shutdown_server(i);
        self.inner.group.persister(i).save(&[], &[]);
        self.inner.group.start_server(i);
        self.inner.group.connect(i, to);
        self.inner
            .log
            .annotate("wipe", &format!("S{i} restarted with an empty disk"));
    }

    /// Restarts node `i` from what it persisted, with the current ring, connected to every node
    /// of `to`.
    pub fn restart(&self, i: usize, to: &[usize]) {
        self.inner.group.start_server(i);
        self.inner.group.connect(i, to);
        self.inner
            .log
            .annotate("restart", &format!("S{i} restarted"));
    }

    /// Splits the nodes into `sides` that cannot reach each other (clerks keep their links).
    pub fn partition(&self, sides: &[&[usize]]) {
        self.inner.group.partition(sides);
        let span = (self.inner.log).begin_span("partition", &format!("partition {sides:?}"));
        if let Some(previous) = self.inner.partition.lock().unwrap().replace(span) {
            previous.end();
        }
    }

    /// Every node reaches every other again.
    pub fn heal(&self) {
        self.inner.group.connect_all();
        if let Some(span) = self.inner.partition.lock().unwrap().take() {
            span.end();
        }
    }

    /// Node `i` joins the ring; every running node learns the new ring.
    pub fn join(&self, i: usize) {
        self.change_ring(|ring| ring.join(i));
        self.inner.log.annotate("join", &format!("S{i} joined"));
    }

    /// Node `i` leaves the ring (it keeps running, and hands its keys over).
    pub fn leave(&self, i: usize) {
        self.change_ring(|ring| ring.leave(i));
        self.inner.log.annotate("leave", &format!("S{i} left"));
    }

    fn change_ring(&self, change: impl FnOnce(&mut Ring)) {
        let ring = {
            let mut ring = self.inner.ring.lock().unwrap();
            change(&mut ring);
            ring.clone()
        };
        for i in self.all() {
            self.inner
                .group
                .on_server(i, |node| node.0.set_ring(ring.clone()));
        }
    }

    /// Node `i`'s own copy of `key` (`None` if it holds none, or is down).
    pub fn stored(&self, i: usize, key: &str) -> Option<String> {
        self.inner
            .group
            .on_server(i, |node| node.0.stored(key))
            .flatten()
    }

    /// Copies the running nodes still keep for others.
    pub fn hints_left(&self) -> usize {
        (self.all().into_iter())
            .filter_map(|i| self.inner.group.on_server(i, |node| node.0.hint_count()))
            .sum()
    }

    /// Fails the test unless the recorded history is linearizable (writing the timeline if not).
    pub fn check_linearizable(&self) {
        self.inner.log.check(&self.inner.test);
    }

    /// The recorded history, for tests that expect it not to be linearizable.
    pub fn history(&self) -> &KvLog {
        &self.inner.log
    }

    /// Fails the test unless every home replica (of `n`) of every key written holds a copy no
    /// acknowledged write followed, and no node keeps a copy for another.
    pub fn check_converged(&self, n: usize) {
        let keys: std::collections::BTreeSet<String> = self
            .inner
            .writes
            .writes()
            .into_iter()
            .map(|w| w.key)
            .collect();
        let held: BTreeMap<String, Vec<Holding>> = (keys.into_iter())
            .map(|key| {
                let holdings = (self.home(&key, n).into_iter())
                    .map(|i| Holding {
                        replica: format!("S{i}"),
                        value: self.stored(i, &key),
                    })
                    .collect();
                (key, holdings)
            })
            .collect();
        assert_converged(&self.inner.test, &self.inner.writes, &held);
        let left = self.hints_left();
        assert_eq!(
            left, 0,
            "{left} copies are still kept for other nodes (hints, or keys a ring change moved) \
             after the faults stopped: every one must be handed to its node, then forgotten"
        );
    }

    /// How many writes made with a read's context were acknowledged (6C).
    pub fn acknowledged_with_context(&self) -> usize {
        self.inner.versions.acknowledged_with_context()
    }

    /// Fails the test if a read returned a version beside one that supersedes it.
    pub fn check_siblings(&self) {
        assert_no_dominated_siblings(&self.inner.test, &self.inner.versions);
    }

    /// Fails the test unless `items` (a cart's final read) holds every acknowledged add and
    /// nothing nobody added.
    pub fn check_cart(&self, items: &BTreeSet<String>) {
        let (attempted, acknowledged) = self.inner.adds.lock().unwrap().clone();
        assert_cart_complete(&self.inner.test, &acknowledged, &attempted, items);
    }

    /// Fails the test unless the home replicas (of `n`) of every key in `keys` hold the same copy.
    pub fn check_replicas_agree(&self, keys: &[String], n: usize) {
        let held: BTreeMap<String, Vec<Holding>> = (keys.iter())
            .map(|key| {
                let holdings = (self.home(key, n).into_iter())
                    .map(|i| Holding {
                        replica: format!("S{i}"),
                        value: self.stored(i, key),
                    })
                    .collect();
                (key.clone(), holdings)
            })
            .collect();
        assert_replicas_agree(&self.inner.test, &held);
    }

    /// Starts the part of a test that the summary line describes as `description`.
    pub fn begin(&self, description: &str, clients: usize) {
        self.inner.ops.store(0, Ordering::SeqCst);
        *self.inner.summary.lock().unwrap() = Some(Begun {
            summary: Summary::begin(description),
            rpcs: self.inner.net.total_count(),
            clients,
        });
    }

    /// Prints the summary line of the part started by [`Cluster::begin`].
    pub fn end(&self) {
        let begun = self.inner.summary.lock().unwrap().take();
        let begun = begun.expect("begin() was called");
        // A clerk's ends are `K<row>->S<i>`.
        let lost = self.inner.net.replies(|end| end.starts_with('K')).lost;
        events::at_least(events::CLIENT_REPLY_LOST, lost);
        begun.summary.passed(Tally {
            peers: self.inner.group.n(),
            clients: begun.clients,
            rpcs: self.inner.net.total_count() - begun.rpcs,
            ops: self.inner.ops.load(Ordering::SeqCst),
            bytes: None,
        });
    }
}

/// A clerk as the tests use it: every operation counted and recorded, under its own row of the
/// history.
pub struct Client {
    clerk: Clerk,
    row: usize,
    /// Its ends' names, for [`Cluster::link_client`].
    links: Vec<String>,
    cluster: Cluster,
}

impl Client {
    pub fn links(&self) -> Vec<String> {
        self.links.clone()
    }

    pub async fn get(&mut self, key: &str) -> Result<String, DynamoError> {
        let inner = &self.cluster.inner;
        inner.ops.fetch_add(1, Ordering::SeqCst);
        inner
            .log
            .get_fallible(self.row, key, self.clerk.get(key))
            .await
    }

    pub async fn put(&mut self, key: &str, value: &str) -> Result<(), DynamoError> {
        let inner = &self.cluster.inner;
        inner.ops.fetch_add(1, Ordering::SeqCst);
        let op = self.clerk.put(key, value);
        let recorded = inner.log.put_fallible(self.row, key, value, op);
        inner.writes.record(key, value, recorded).await
    }

    /// `get`, failing the test on an error.
    pub async fn must_get(&mut self, key: &str) -> String {
        let got = self.get(key).await;
        got.unwrap_or_else(|e| panic!("Get({key:?}) failed: {e}"))
    }

    /// `put`, failing the test on an error.
    pub async fn must_put(&mut self, key: &str, value: &str) {
        let put = self.put(key, value).await;
        put.unwrap_or_else(|e| panic!("Put({key:?}, {value:?}) failed: {e}"));
    }

    /// Fails the test unless `key` reads as `value`.
    pub async fn check(&mut self, key: &str, value: &str) {
        let got = self.must_get(key).await;
        assert_eq!(
            got, value,
            "Get({key:?}): expected {value:?}, received {got:?}"
        );
    }
}

/// Node ids as a list for messages: `S0 S3`.
pub fn names(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(|i| format!("S{i}")).collect();
    names.join(" ")
}

/// How long after the last fault the store must have converged: hints and moved keys are
/// offered every 100 ms (`dynamo::HANDOFF_INTERVAL`), so 2 s is twenty rounds.
pub const CONVERGE_WITHIN: Duration = Duration::from_secs(2);

/// A clerk of versions with siblings, as the tests use it: every operation counted and recorded.
pub struct VersionsClient {
    clerk: Clerk,
    cluster: Cluster,
}

impl VersionsClient {
    pub async fn get_versions(
        &mut self,
        key: &str,
    ) -> Result<(Vec<String>, Context, ReadId), DynamoError> {
        let inner = &self.cluster.inner;
        inner.ops.fetch_add(1, Ordering::SeqCst);
        let (mut values, context, read) = inner
            .versions
            .get_versions(key, self.clerk.get_versions(key))
            .await?;
        values.sort();
        Ok((values, context, read))
    }

    /// Writes `value` with the context of `read` (`None`: an empty one).
    pub async fn put_with(
        &mut self,
        key: &str,
        value: &str,
        read: Option<(&Context, ReadId)>,
    ) -> Result<(), DynamoError> {
        let inner = &self.cluster.inner;
        inner.ops.fetch_add(1, Ordering::SeqCst);
        let empty = Context::default();
        let context = read.map_or(&empty, |(c, _)| c);
        let op = self.clerk.put_with(key, value, context);
        inner
            .versions
            .put_with(key, value, read.map(|(_, r)| r), op)
            .await
    }

    /// `get_versions`, failing the test on an error.
    pub async fn must_get_versions(&mut self, key: &str) -> (Vec<String>, Context, ReadId) {
        let got = self.get_versions(key).await;
        got.unwrap_or_else(|e| panic!("GetVersions({key:?}) failed: {e}"))
    }
}

/// A shopping cart as the tests use it: every add recorded as tried, and as acknowledged when it
/// succeeds.
pub struct CartClient {
    cart: Cart,
    cluster: Cluster,
}

impl CartClient {
    pub async fn add(&mut self, item: &str) -> Result<(), DynamoError> {
        let inner = &self.cluster.inner;
        inner.ops.fetch_add(1, Ordering::SeqCst);
        inner.adds.lock().unwrap().0.insert(item.to_string());
        let added = self.cart.add(item).await;
        if added.is_ok() {
            inner.adds.lock().unwrap().1.insert(item.to_string());
        }
        added
    }

    pub async fn remove(&mut self, item: &str) -> Result<(), DynamoError> {
        self.cluster.inner.ops.fetch_add(1, Ordering::SeqCst);
        self.cart.remove(item).await
    }

    pub async fn items(&mut self) -> Result<BTreeSet<String>, DynamoError> {
        self.cluster.inner.ops.fetch_add(1, Ordering::SeqCst);
        self.cart.items().await
    }
}
