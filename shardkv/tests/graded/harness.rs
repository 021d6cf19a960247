//! Lab 5's configuration (6.5840's shardkv `config.go`) on the shared replica-group harness
//! ([`tests::group`]): a controller group and three shard groups (gids 100, 101, 102) of three
//! servers each on one network, joins and leaves through a controller clerk, whole-group shutdowns
//! and restarts, clerks whose operations are counted and recorded, and the persisted-size checks.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use labrpc::{ClientEnd, Network};
use shardkv::ctrler::{self, CtrlerServer, Gid};
use shardkv::{Clerk, MakeEnd, ShardKv};
use tests::events;
use tests::expected::Expected;
use tests::group::{Group, Replica};
use tests::kvtest::Ops;
use tests::summary::{Summary, Tally};

/// Servers per group, controller included.
pub const SERVERS: usize = 3;
/// The shard groups' ids, as in 6.5840.
pub const GIDS: [Gid; 3] = [100, 101, 102];
/// The bound on a server's persisted Raft state, as a multiple of maxraftstate. Both sides are
/// in this project's encoding (a server snapshots when its own Raft state reaches maxraftstate
/// bytes), so Go's factor carries over unchanged.
pub const LOG_BOUND_FACTOR: usize = 8;

/// Lab 5 for the test prologue: what usually keeps a sharded test from finishing.
pub const LAB: tests::Lab = tests::Lab {
    package: "shardkv",
    hang_suspects: &[
        "a configuration skipped or never applied: a group must apply every configuration in \
         order, num + 1 after num, through its log (log each one with its number: a group stuck \
         below the controller's latest is the culprit)",
        "a shard waiting for a pull that never comes: the new owner must ask the group that held \
         the shard in the previous configuration, and that group must answer once it has \
         reached the configuration asked about",
        "a group that never leaves a migrating state: a shard frozen for hand-over, or waiting to \
         arrive, that no step ever clears, so the group never takes the next configuration",
        "a handler that waits for its log index without a timeout, or a clerk that stops asking \
         the controller for a newer configuration",
    ],
    events: &[
        ("static_shards_5a", &[RESTARTED]),
        ("join_leave_5b", &[MOVED]),
        ("snapshot_5b", &[MOVED, FROM_SNAPSHOT]),
        ("miss_change_5b", &[MOVED, RESTARTED]),
        ("concurrent1_5b", &[MOVED, RESTARTED]),
        ("concurrent2_5b", &[MOVED, RESTARTED]),
        ("concurrent3_5b", &[MOVED, RESTARTED]),
        ("unreliable1_5b", &[MOVED, LOST]),
        ("unreliable2_5b", &[MOVED, LOST]),
        ("unreliable3_5b", &[MOVED, LOST]),
        ("challenge1_delete_5b", &[MOVED]),
        ("challenge2_unaffected_5b", &[MOVED]),
        ("challenge2_partial_5b", &[MOVED]),
        ("late_request_after_move_5x", &[LATE, MOVED]),
    ],
};

// The events of Lab 5's tests, in short.
use events::{
    CLIENT_REPLY_LOST as LOST, GROUPS_TALKED as MOVED, LATE_COPY_DELIVERED as LATE,
    RESTARTED_FROM_SNAPSHOT as FROM_SNAPSHOT, SERVER_RESTARTED as RESTARTED,
};

/// Runs one graded test on a fresh controller and three shard groups, none of them joined yet.
pub fn run<F, Fut>(unreliable: bool, maxraftstate: Option<usize>, test: F)
where
    F: Fn(Cluster) -> Fut,
    Fut: Future<Output = ()>,
{
    tests::run(&LAB, |name| {
        test(Cluster::new(name, unreliable, maxraftstate))
    });
}

/// A controller server as a group runs it: its Raft peer's service and its own.
pub struct CtrlerReplica(pub CtrlerServer);

impl Replica for CtrlerReplica {
    fn register(&self, server: &labrpc::Server) {
        server.add_service(raft::service(self.0.raft()));
        server.add_service(ctrler::service(&self.0));
    }

    fn is_leader(&self) -> bool {
        self.0.raft().get_state().1
    }

    fn kill(&self) {
        self.0.kill();
    }
}

/// A shard group's server as its group runs it: its Raft peer's service and its own.
pub struct ShardReplica(pub ShardKv);

impl Replica for ShardReplica {
    fn register(&self, server: &labrpc::Server) {
        server.add_service(raft::service(self.0.raft()));
        server.add_service(shardkv::service(&self.0));
    }

    fn is_leader(&self) -> bool {
        self.0.raft().get_state().1
    }

    fn kill(&self) {
        self.0.kill();
    }
}

/// 6.5840's `make_end`: a new end to the server called `server`, enabled. Its name says which
/// server it reaches, and which server asked for it, if one did: `E17->server-101-S2` for a
/// clerk of the tester's, `server-100-S0:E18->server-101-S2` for a server of group 100.
pub fn make_end(net: &Network) -> MakeEnd {
    let net = net.clone();
    let made = Arc::new(AtomicU64::new(0));
    Arc::new(move |server: &str| -> ClientEnd {
        let caller = labrpc::sim::machine().map_or_else(String::new, |m| format!("{m}:"));
        let name = format!(
            "{caller}E{}->{server}",
            made.fetch_add(1, Ordering::Relaxed)
        );
        let end = net.make_end(&name);
        net.connect(&name, server);
        net.enable(&name, true);
        end
    })
}

/// A controller group: three controller servers called `<prefix>S<i>`.
pub fn ctrler_group(net: &Network, prefix: &str) -> Group<CtrlerReplica> {
    Group::new(net, prefix, SERVERS, |ends, me, p| {
        CtrlerReplica(CtrlerServer::new(ends, me, p))
    })
}

/// A clerk of a controller group, with fresh ends to all of its servers.
pub fn ctrler_clerk(ctrler: &Group<CtrlerReplica>) -> ctrler::Clerk {
    ctrler::Clerk::new(ctrler.make_clerk_ends(&ctrler.all()).ends)
}

/// The system under test. Cheap to clone; clones share everything, so client tasks can use it.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    test: String,
    net: Network,
    ctrler: Group<CtrlerReplica>,
    groups: Vec<Group<ShardReplica>>,
    maxraftstate: Option<usize>,
    /// The tester's own controller clerk (6.5840's `mck`), one request at a time.
    mck: tokio::sync::Mutex<ctrler::Clerk>,
    make_end: MakeEnd,
    /// Every clerk operation, counted, and recorded with the joins, leaves, shutdowns and
    /// restarts for the timeline.
    ops: Ops,
    summary: Mutex<Option<Summary>>,
}

impl Cluster {
    fn new(test: &str, unreliable: bool, maxraftstate: Option<usize>) -> Cluster {
        let net = Network::new();
        net.set_reliable(!unreliable);
        let ctrler = ctrler_group(&net, "ctlr-");
        let make_end = make_end(&net);
        let groups = GIDS
            .iter()
            .map(|&gid| {
                let (ctrler, make_end) = (ctrler.clone(), make_end.clone());
                Group::new(
                    &net,
                    &format!("server-{gid}-"),
                    SERVERS,
                    move |ends, me, p| {
                        let ctrlers = ctrler.make_clerk_ends(&ctrler.all()).ends;
                        let make_end = make_end.clone();
                        ShardReplica(ShardKv::new(
                            ends,
                            me,
                            p,
                            maxraftstate,
                            gid,
                            ctrlers,
                            make_end,
                        ))
                    },
                )
            })
            .collect();
        let mck = ctrler_clerk(&ctrler);
        Cluster {
            inner: Arc::new(Inner {
                test: test.to_string(),
                net,
                ctrler,
                groups,
                maxraftstate,
                mck: tokio::sync::Mutex::new(mck),
                make_end,
                ops: Ops::new(),
                summary: Mutex::new(None),
            }),
        }
    }

    pub fn net(&self) -> &Network {
        &self.inner.net
    }

    pub fn make_end(&self) -> MakeEnd {
        self.inner.make_end.clone()
    }

    pub fn ctrler(&self) -> &Group<CtrlerReplica> {
        &self.inner.ctrler
    }

    pub fn group(&self, gi: usize) -> &Group<ShardReplica> {
        &self.inner.groups[gi]
    }

    /// The tester's controller clerk.
    pub async fn mck(&self) -> tokio::sync::MutexGuard<'_, ctrler::Clerk> {
        self.inner.mck.lock().await
    }

    /// A new clerk of the sharded service, with fresh ends to the controller.
    pub fn make_client(&self) -> Client {
        let ctrler = self.ctrler();
        let ctrlers = ctrler.make_clerk_ends(&ctrler.all()).ends;
        self.client_of(ctrlers)
    }

    /// A new clerk that asks the controller through `ctrlers` (the rejection test's second one).
    pub fn client_of(&self, ctrlers: Vec<ClientEnd>) -> Client {
        Client {
            clerk: Clerk::new(ctrlers, self.make_end()),
            ops: self.inner.ops.clone(),
        }
    }

    /// Holds back the next request a tester's clerk sends to a shard group (the clerk sees it
    /// lost), for [`Group::deliver_late`](tests::group::Group::deliver_late).
    pub fn hold_clerk_request(&self) -> labrpc::Held {
        (self.inner.net).hold(1, |m| {
            m.end.starts_with('E') && m.server.starts_with("server-")
        })
    }

    /// Group `gi`'s servers, as a controller Join lists them.
    pub fn servers_of(&self, gi: usize) -> (Gid, Vec<String>) {
        let group = self.group(gi);
        (
            GIDS[gi],
            group.all().iter().map(|&i| group.server_name(i)).collect(),
        )
    }

    /// Joins groups `gis` to the controller in one request (6.5840's `joinm`).
    pub async fn joinm(&self, gis: &[usize]) {
        let servers: BTreeMap<_, _> = gis.iter().map(|&gi| self.servers_of(gi)).collect();
        self.annotate("join", &format!("join {:?}", servers.keys()));
        self.mck().await.join(servers).await;
    }

    pub async fn join(&self, gi: usize) {
        self.joinm(&[gi]).await;
    }

    /// Removes groups `gis` from the controller in one request (6.5840's `leavem`).
    pub async fn leavem(&self, gis: &[usize]) {
        let gids: Vec<Gid> = gis.iter().map(|&gi| GIDS[gi]).collect();
        self.annotate("leave", &format!("leave {gids:?}"));
        self.mck().await.leave(gids).await;
    }

    pub async fn leave(&self, gi: usize) {
        self.leavem(&[gi]).await;
    }

    pub fn shutdown_server(&self, gi: usize, i: usize) {
        self.group(gi).shutdown_server(i);
        self.annotate("crash", &format!("G{} S{i} shut down", GIDS[gi]));
    }

    /// Restarts one server from its persisted state and reconnects it to its group.
    pub fn start_server(&self, gi: usize, i: usize) {
        let group = self.group(gi);
        group.start_server(i);
        group.connect(i, &group.all());
        self.annotate("restart", &format!("G{} S{i} restarted", GIDS[gi]));
    }

    pub fn shutdown_group(&self, gi: usize) {
        for i in 0..SERVERS {
            self.shutdown_server(gi, i);
        }
    }

    pub fn start_group(&self, gi: usize) {
        for i in 0..SERVERS {
            self.start_server(gi, i);
        }
    }

    fn annotate(&self, tag: &str, text: &str) {
        self.inner.ops.log().annotate(tag, text);
    }

    /// 6.5840's `checklogs`: with snapshots, no server's Raft state exceeds 8 × maxraftstate;
    /// without, no server has a snapshot.
    pub fn check_logs(&self) {
        for group in &self.inner.groups {
            group.check_persisted_sizes(self.inner.maxraftstate, LOG_BOUND_FACTOR);
        }
    }

    /// What all servers of all groups have persisted: Raft state plus snapshot.
    pub fn total_persisted(&self) -> usize {
        let mut total = 0;
        for group in &self.inner.groups {
            for i in group.all() {
                let saved = group.persister(i);
                total += saved.raft_state_size() + saved.snapshot_size();
            }
        }
        total
    }

    /// Fails the test unless the recorded history is linearizable (writing the timeline if not).
    pub fn check_linearizable(&self) {
        self.inner.ops.log().check(&self.inner.test);
    }

    /// Starts the test's summary line, titled as in 6.5840.
    pub fn begin(&self, title: &str) {
        self.inner.ops.reset_count();
        *self.inner.summary.lock().unwrap() = Some(Summary::begin(title));
    }

    /// Prints the summary line started by [`Cluster::begin`].
    pub fn end(&self) {
        self.count_network_events();
        let summary = self.inner.summary.lock().unwrap().take();
        summary.expect("begin() was called").passed(Tally {
            peers: SERVERS * GIDS.len(),
            clients: 0,
            rpcs: self.inner.net.total_count(),
            ops: self.inner.ops.count(),
            bytes: None,
        });
    }
}

impl Cluster {
    /// Counts what only the network saw: replies one group's servers gave another's (a shard or
    /// its deletion moving), and replies to the tester's clerks lost after a server handled them.
    fn count_network_events(&self) {
        fn group(server: &str) -> Option<&str> {
            server.rsplit_once("-S").map(|(group, _)| group)
        }
        let net = &self.inner.net;
        // A server's ends are named `<caller>:E<n>-><server>`; a group is a server's name
        // without its `-S<i>`.
        let between_groups = net.replies(|end| {
            let Some((caller, rest)) = end.split_once(':') else {
                return false;
            };
            let target = rest.split_once("->").map(|(_, target)| target);
            group(caller).is_some() && group(caller) != target.and_then(group)
        });
        events::at_least(events::GROUPS_TALKED, between_groups.sent);
        let lost = net.replies(|end| end.starts_with('E')).lost;
        events::at_least(events::CLIENT_REPLY_LOST, lost);
    }
}

/// A clerk as the tests use it: every operation is counted, and recorded in the history under
/// the row `Some(client)` when asked (see [`Ops`]).
pub struct Client {
    clerk: Clerk,
    ops: Ops,
}

impl Client {
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
        self.check_written(key, &Expected::put("the value written", value))
            .await
    }

    /// Fails the test unless `key` reads as `expected`, naming the first wrong piece if not.
    pub async fn check_written(&mut self, key: &str, expected: &Expected) {
        let got = self.get(key, None).await;
        expected.check(&format!("Get({key:?})"), &got);
    }
}

/// `n` keys `"0"`, `"1"`, ...: the first ten cover every shard.
pub fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

/// A random value of `len` characters.
pub fn randstring(len: usize) -> String {
    labrpc::rand::random_string(len)
}
