//! Lab 4's configuration (6.5840's kvraft `config.go`) on the shared Raft-group harness: a group
//! of key/value servers, clerks that count and record their operations, timeline annotations for
//! partitions and restarts, and the summary line.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kvraft::tester::{ClerkEnds, Group};
use kvraft::{Clerk, KvServer};
use labrpc::{Network, sim};
use tests::kvtest::KvLog;
use tests::lincheck::Span;
use tests::lincheck::kv::{KvInput, KvOutput};
use tests::summary::{Summary, Tally};
use tokio::time::Duration;

/// "Generously allows solutions to complete elections in one second."
pub const ELECTION_TIMEOUT: Duration = Duration::from_secs(1);

/// Runs one graded test on a fresh group of `servers` key/value servers. The test's name (for
/// messages, the timeline file and the rerun command) is the libtest thread name.
pub fn run<F, Fut>(servers: usize, unreliable: bool, maxraftstate: Option<usize>, test: F)
where
    F: Fn(Config) -> Fut,
    Fut: Future<Output = ()>,
{
    let thread = std::thread::current();
    let path = thread.name().unwrap_or("kvraft test");
    let name = path.rsplit("::").next().unwrap_or(path).to_string();
    sim::Builder::new(path).package("kvraft").run(|| async {
        test(Config::new(&name, servers, unreliable, maxraftstate)).await;
    });
}

/// The service under test. Cheap to clone; clones share everything, so client tasks can use it.
#[derive(Clone)]
pub struct Config {
    inner: Arc<Inner>,
}

struct Inner {
    test: String,
    net: Network,
    group: Group<KvServer>,
    maxraftstate: Option<usize>,
    /// Every recorded operation, and the partitions and restarts, for the timeline.
    log: KvLog,
    /// Clerk operations since `begin`, recorded or not.
    ops: AtomicU64,
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
            KvServer::new(ends, me, persister, maxraftstate)
        });
        Config {
            inner: Arc::new(Inner {
                test: test.to_string(),
                net,
                group,
                maxraftstate,
                log: KvLog::new(),
                ops: AtomicU64::new(0),
                summary: Mutex::new(None),
                partition: Mutex::new(None),
            }),
        }
    }

    pub fn group(&self) -> &Group<KvServer> {
        &self.inner.group
    }

    pub fn n(&self) -> usize {
        self.inner.group.n()
    }

    pub fn all(&self) -> Vec<usize> {
        self.inner.group.all()
    }

    pub fn maxraftstate(&self) -> Option<usize> {
        self.inner.maxraftstate
    }

    /// Fails the test unless the recorded history is linearizable (writing the timeline if not).
    pub fn check_linearizable(&self) {
        self.inner.log.check(&self.inner.test);
    }

    /// A new clerk with ends to every server, enabled to those in `to`.
    pub fn make_client(&self, to: &[usize]) -> Client {
        let ends = self.inner.group.make_clerk_ends(to);
        Client {
            clerk: Clerk::new(ends.ends.clone()),
            ends,
            cfg: self.clone(),
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
        self.inner.group.partition(p1, p2);
        let text = format!("partition {p1:?} | {p2:?}");
        let span = self.inner.log.begin_span("partition", &text);
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
        self.inner.log.annotate("crash", &format!("S{i} shut down"));
    }

    pub fn start_server(&self, i: usize) {
        self.inner.group.start_server(i);
        self.inner
            .log
            .annotate("restart", &format!("S{i} restarted"));
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

    /// Prints the summary line of the part started by [`Config::begin`].
    pub fn end(&self) {
        let begun = self.inner.summary.lock().unwrap().take();
        let begun = begun.expect("begin() was called");
        begun.summary.passed(Tally {
            peers: self.n(),
            clients: begun.clients,
            rpcs: self.inner.net.total_count() - begun.rpcs,
            ops: self.inner.ops.load(Ordering::SeqCst),
            bytes: None,
        });
    }
}

/// A clerk as the tests use it: every operation is counted, and recorded in the history under
/// the row `Some(client)` (6.5840's `Get(cfg, ck, key, log, cli)` with a non-nil log).
pub struct Client {
    clerk: Clerk,
    ends: ClerkEnds,
    cfg: Config,
}

impl Client {
    /// The clerk's links, for reconnecting it while an operation of its runs in another task.
    pub fn ends(&self) -> ClerkEnds {
        self.ends.clone()
    }

    pub async fn get(&mut self, key: &str, record: Option<usize>) -> String {
        self.cfg.inner.ops.fetch_add(1, Ordering::SeqCst);
        match record {
            Some(client) => {
                let op = self.clerk.get(key);
                self.cfg.inner.log.get(client, key, op).await
            }
            None => self.clerk.get(key).await,
        }
    }

    pub async fn put(&mut self, key: &str, value: &str, record: Option<usize>) {
        self.cfg.inner.ops.fetch_add(1, Ordering::SeqCst);
        match record {
            Some(client) => {
                let op = self.clerk.put(key, value);
                self.cfg.inner.log.put(client, key, value, op).await
            }
            None => self.clerk.put(key, value).await,
        }
    }

    pub async fn append(&mut self, key: &str, value: &str, record: Option<usize>) {
        self.cfg.inner.ops.fetch_add(1, Ordering::SeqCst);
        match record {
            Some(client) => {
                let op = self.clerk.append(key, value);
                self.cfg.inner.log.append(client, key, value, op).await
            }
            None => self.clerk.append(key, value).await,
        }
    }

    /// Fails the test unless `key` reads as `value` (6.5840's `check`).
    pub async fn check(&mut self, key: &str, value: &str) {
        let got = self.get(key, None).await;
        assert_eq!(
            got, value,
            "Get({key:?}): expected {value:?}, received {got:?}"
        );
    }
}
