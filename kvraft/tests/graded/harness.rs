//! Lab 4's configuration (6.5840's kvraft `config.go`) on the shared replica-group harness
//! ([`tests::group`]): a group of key/value servers, clerks whose operations are counted and
//! recorded, timeline annotations for partitions and restarts, and the summary line.

use std::future::Future;
use std::sync::{Arc, Mutex};

use kvraft::{Clerk, KvServer};
use labrpc::Network;
use tests::events;
use tests::expected::Expected;
use tests::group::{ClerkEnds, Group, Replica};
use tests::kvtest::Ops;
use tests::lincheck::Span;
use tests::lincheck::kv::{KvInput, KvOutput};
use tests::summary::{Summary, Tally};
use tokio::time::Duration;

/// "Generously allows solutions to complete elections in one second."
pub const ELECTION_TIMEOUT: Duration = Duration::from_secs(1);

/// The bound on a persisted Raft state, as a multiple of maxraftstate. Both sides of the
/// comparison are in the same encoding (the service snapshots when its own Raft state reaches
/// maxraftstate bytes), so Go's factor carries over unchanged.
pub const LOG_BOUND_FACTOR: usize = 8;

/// Lab 4 for the test prologue: what usually keeps a key/value test from finishing.
const LAB: tests::Lab = tests::Lab {
    package: "kvraft",
    hang_suspects: &[
        "a handler that waits for its log index without a timeout: a leader cut off from the \
         majority never sees its entry committed, and its clerk waits with it (give up after a \
         while and answer ErrTimeout)",
        "a clerk that stops trying, or keeps asking one server that will never answer Ok",
        "an apply task that stopped reading the apply channel (it returned, or waits for a lock a \
         handler holds across an .await), which stops every handler and Raft itself",
    ],
    // A random partition leaves the leader in a minority in only about 19 of 20 runs of the
    // partition tests (docs/PERFORMANCE.md), so only the test that puts it there names that event.
    events: &[
        ("unreliable_4a", &[LOST]),
        ("unreliable_one_key_4a", &[LOST]),
        ("one_partition_4a", &[ISOLATED]),
        ("persist_one_client_4a", &[RESTARTED]),
        ("persist_concurrent_4a", &[RESTARTED]),
        ("persist_concurrent_unreliable_4a", &[RESTARTED, LOST]),
        ("persist_partition_4a", &[RESTARTED]),
        ("persist_partition_unreliable_4a", &[RESTARTED, LOST]),
        (
            "persist_partition_unreliable_linearizable_4a",
            &[RESTARTED, LOST],
        ),
        ("snapshot_recover_4b", &[FROM_SNAPSHOT]),
        ("snapshot_recover_many_clients_4b", &[FROM_SNAPSHOT]),
        ("snapshot_unreliable_4b", &[LOST]),
        ("snapshot_unreliable_recover_4b", &[FROM_SNAPSHOT, LOST]),
        (
            "snapshot_unreliable_recover_concurrent_partition_4b",
            &[FROM_SNAPSHOT, LOST],
        ),
        (
            "snapshot_unreliable_recover_concurrent_partition_linearizable_4b",
            &[FROM_SNAPSHOT, LOST],
        ),
        ("late_request_after_leader_change_4x", &[LATE, ISOLATED]),
        ("late_request_after_snapshot_4x", &[LATE, FROM_SNAPSHOT]),
    ],
};

// The events of Lab 4's tests, in short.
use events::{
    CLIENT_REPLY_LOST as LOST, LATE_COPY_DELIVERED as LATE, LEADER_ISOLATED as ISOLATED,
    RESTARTED_FROM_SNAPSHOT as FROM_SNAPSHOT, SERVER_RESTARTED as RESTARTED,
};

/// Runs one graded test on a fresh group of `servers` key/value servers.
pub fn run<F, Fut>(servers: usize, unreliable: bool, maxraftstate: Option<usize>, test: F)
where
    F: Fn(Config) -> Fut,
    Fut: Future<Output = ()>,
{
    tests::run(&LAB, |name| {
        test(Config::new(name, servers, unreliable, maxraftstate))
    });
}

/// A key/value server as the group runs it: its Raft peer's service and its own.
pub struct KvReplica(pub KvServer);

impl Replica for KvReplica {
    fn register(&self, server: &labrpc::Server) {
        server.add_service(raft::service(self.0.raft()));
        server.add_service(kvraft::service(&self.0));
    }

    fn is_leader(&self) -> bool {
        self.0.raft().get_state().1
    }

    fn kill(&self) {
        self.0.kill();
    }
}

/// The service under test. Cheap to clone; clones share everything, so client tasks can use it.
#[derive(Clone)]
pub struct Config {
    inner: Arc<Inner>,
}

struct Inner {
    test: String,
    net: Network,
    group: Group<KvReplica>,
    maxraftstate: Option<usize>,
    /// Every clerk operation, counted, and recorded with the partitions and restarts for the
    /// timeline.
    ops: Ops,
    summary: Mutex<Option<Begun>>,
    partition: Mutex<Option<Span<KvInput, KvOutput>>>,
}

struct Begun {
    summary: Summary,
    rpcs: u64,
    clients: usize,
}

impl Config {
    fn new(test: &str, servers: usize, unreliable: bool, maxraftstate: Option<usize>) -> Config {
        let net = Network::new();
        net.set_reliable(!unreliable);
        let group = Group::new(&net, "", servers, move |ends, me, persister| {
            KvReplica(KvServer::new(ends, me, persister, maxraftstate))
        });
        Config {
            inner: Arc::new(Inner {
                test: test.to_string(),
                net,
                group,
                maxraftstate,
                ops: Ops::new(),
                summary: Mutex::new(None),
                partition: Mutex::new(None),
            }),
        }
    }

    pub fn group(&self) -> &Group<KvReplica> {
        &self.inner.group
    }

    pub fn n(&self) -> usize {
        self.inner.group.n()
    }

    pub fn all(&self) -> Vec<usize> {
        self.inner.group.all()
    }

    /// 6.5840's `checklogs`: the persisted state within its bound (see [`LOG_BOUND_FACTOR`]).
    pub fn check_logs(&self) {
        (self.inner.group).check_persisted_sizes(self.inner.maxraftstate, LOG_BOUND_FACTOR);
    }

    /// Fails the test unless the recorded history is linearizable (writing the timeline if not).
    pub fn check_linearizable(&self) {
        self.inner.ops.log().check(&self.inner.test);
    }

    /// A new clerk with ends to every server, enabled to those in `to`.
    pub fn make_client(&self, to: &[usize]) -> Client {
        let ends = self.inner.group.make_clerk_ends(to);
        Client {
            clerk: Clerk::new(ends.ends.clone()),
            ends,
            ops: self.inner.ops.clone(),
        }
    }

    /// Points a clerk's links at the servers in `to` only.
    pub fn connect_client(&self, ends: &ClerkEnds, to: &[usize]) {
        self.inner.group.connect_clerk(ends, to);
    }

    pub fn delete_client(&self, client: Client) {
        self.inner.group.delete_clerk(&client.ends);
    }

    /// Splits the servers into two sides (clerks keep their links), marking it on the timeline.
    pub fn partition(&self, p1: &[usize], p2: &[usize]) {
        self.inner.group.partition(&[p1, p2]);
        let text = format!("partition {p1:?} | {p2:?}");
        let span = self.inner.ops.log().begin_span("partition", &text);
        if let Some(previous) = self.inner.partition.lock().unwrap().replace(span) {
            previous.end();
        }
    }

    /// Reconnects every server to every other, ending the current partition.
    pub fn connect_all(&self) {
        self.inner.group.connect_all();
        if let Some(span) = self.inner.partition.lock().unwrap().take() {
            span.end();
        }
    }

    pub fn shutdown_server(&self, i: usize) {
        self.inner.group.shutdown_server(i);
        (self.inner.ops.log()).annotate("crash", &format!("S{i} shut down"));
    }

    pub fn start_server(&self, i: usize) {
        self.inner.group.start_server(i);
        (self.inner.ops.log()).annotate("restart", &format!("S{i} restarted"));
    }

    /// Starts the part of a test that the summary line describes as `description`.
    pub fn begin(&self, description: &str, clients: usize) {
        self.inner.ops.reset_count();
        *self.inner.summary.lock().unwrap() = Some(Begun {
            summary: Summary::begin(description),
            rpcs: self.inner.net.total_count(),
            clients,
        });
    }

    /// Prints the summary line of the part started by [`Config::begin`].
    pub fn end(&self) {
        let begun = self.inner.summary.lock().unwrap().take();
        let begun = begun.expect("begin() was called");
        self.inner.group.count_lost_clerk_replies();
        begun.summary.passed(Tally {
            peers: self.n(),
            clients: begun.clients,
            rpcs: self.inner.net.total_count() - begun.rpcs,
            ops: self.inner.ops.count(),
            bytes: None,
        });
    }
}

/// A clerk as the tests use it: every operation is counted, and recorded in the history under
/// the row `Some(client)` when asked (see [`Ops`]).
pub struct Client {
    clerk: Clerk,
    ends: ClerkEnds,
    ops: Ops,
}

impl Client {
    /// The clerk's links, for reconnecting it while an operation of its runs in another task.
    pub fn ends(&self) -> ClerkEnds {
        self.ends.clone()
    }

    pub async fn get(&mut self, key: &str, record: Option<usize>) -> String {
        self.ops.get(record, key, self.clerk.get(key)).await
    }

    pub async fn put(&mut self, key: &str, value: &str, record: Option<usize>) {
        self.ops
            .put(record, key, value, self.clerk.put(key, value))
            .await
    }

    pub async fn append(&mut self, key: &str, value: &str, record: Option<usize>) {
        (self.ops)
            .append(record, key, value, self.clerk.append(key, value))
            .await
    }

    /// Fails the test unless `key` reads as `value` (6.5840's `check`).
    pub async fn check(&mut self, key: &str, value: &str) {
        let got = self.get(key, None).await;
        Expected::put("the value written", value).check(&format!("Get({key:?})"), &got);
    }
}
