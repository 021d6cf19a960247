//! Lab 2's graded tests without memory bounds: the ports of 6.5840's TestBasic2,
//! TestConcurrent2, TestUnreliable2 and TestUnreliableOneKey2. Every history is checked for
//! linearizability.

mod harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use harness::Config;
use kvsrv::Clerk;
use labrpc::sim;
use tests::expected::Expected;
use tests::kvtest::{KvLog, append_element, check_client_appends, check_concurrent_appends};
use tests::summary::{Summary, Tally};
use tokio::time::sleep;

/// Rounds of client activity per test, and the length of each (as in 6.5840).
const ITERATIONS: usize = 3;
const ITERATION: Duration = Duration::from_secs(1);
/// A client's pause between two operations. In Go, each RPC takes real time; on the simulated
/// reliable network it takes none, so without a pause a client loop would never let virtual time
/// reach the end of the round. One millisecond gives about a thousand operations per client per
/// round, enough to exercise the server while keeping histories (every value read is recorded)
/// small enough to check quickly.
const CLIENT_PAUSE: Duration = Duration::from_millis(1);

/// What one client does in a round: `Put(key, "")`, then until told to stop, half the time an
/// Append of its next element (the old value it returns must hold the previous element and not
/// the new one), otherwise a Get that must return exactly what it has appended. Returns the
/// number of appends.
async fn run_client(client: usize, mut ck: Clerk, log: KvLog, stop: Arc<AtomicBool>) -> usize {
    let key = client.to_string();
    let mut last = Expected::put(format!("client {client}'s first put"), "");
    log.put(client, &key, "", ck.put(&key, "")).await;
    let mut appended = 0;
    while !stop.load(Ordering::SeqCst) {
        sleep(CLIENT_PAUSE).await;
        if labrpc::rand::random_range(0..1000) < 500 {
            let new = append_element(client, appended);
            let old = log
                .append_returning_old(client, &key, &new, ck.append(&key, &new))
                .await;
            if appended > 0 {
                let previous = append_element(client, appended - 1);
                assert!(
                    old.contains(&previous),
                    "client {client}: Append({key:?}, {new:?}) returned an old value of {} bytes \
                     without the client's previous append {} ({previous:?})\n  returned: {old:?}",
                    old.len(),
                    appended - 1
                );
            }
            assert!(
                !old.contains(&new),
                "client {client}: Append({key:?}, {new:?}) returned an old value that already \
                 holds the new element: was the append executed twice?\n  returned: {old:?}"
            );
            last.append(format!("client {client}'s append {appended}"), &new);
            appended += 1;
        } else {
            let value = log.get(client, &key, ck.get(&key)).await;
            last.check(
                &format!("client {client}: Get({key:?}) returned the wrong value"),
                &value,
            );
        }
    }
    appended
}

/// 6.5840's GenericTest: `nclients` clients, each on its own key, for three rounds of one
/// second; after each round the tester reads every key back and checks every client's appends.
async fn generic_test(test: &str, description: &str, nclients: usize, unreliable: bool) {
    let cfg = Arc::new(Config::new(unreliable));
    let log = KvLog::new();
    let (mut ck, _) = cfg.make_clerk();
    let summary = Summary::begin(description);
    for _ in 0..ITERATIONS {
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..nclients)
            .map(|client| {
                let (cfg, log, stop) = (cfg.clone(), log.clone(), stop.clone());
                labrpc::spawn(async move {
                    let (clerk, end) = cfg.make_clerk();
                    let appended = run_client(client, clerk, log, stop).await;
                    cfg.delete_clerk(&end);
                    appended
                })
            })
            .collect();
        sleep(ITERATION).await;
        stop.store(true, Ordering::SeqCst);
        for (client, task) in clients.into_iter().enumerate() {
            let appended = task.await.expect("a client task failed");
            let key = client.to_string();
            // The tester's reads are logged as client 0's, as in 6.5840: they follow its ops.
            let value = log.get(0, &key, ck.get(&key)).await;
            check_client_appends(client, &value, appended);
        }
    }
    log.check(test);
    summary.passed(Tally {
        peers: 1,
        clients: nclients,
        rpcs: cfg.rpcs(),
        ops: log.len() as u64,
        bytes: None,
    });
}

#[test]
fn basic_2() {
    sim::run("basic_2", || {
        generic_test("basic_2", "Test: one client (2)", 1, false)
    });
}

#[test]
fn concurrent_2() {
    sim::run("concurrent_2", || {
        generic_test("concurrent_2", "Test: many clients (2)", 5, false)
    });
}

#[test]
fn unreliable_2() {
    sim::run("unreliable_2", || {
        generic_test(
            "unreliable_2",
            "Test: unreliable net, many clients (2)",
            5,
            true,
        )
    });
}

/// Five clients append ten elements each to one key over a lossy network: every element must
/// land exactly once, in each client's order, and no Append may return its own element.
#[test]
fn unreliable_one_key_2() {
    const CLIENTS: usize = 5;
    const APPENDS: usize = 10;
    sim::run("unreliable_one_key_2", || async {
        let cfg = Arc::new(Config::new(true));
        let log = KvLog::new();
        let (mut ck, _) = cfg.make_clerk();
        let summary = Summary::begin("Test: concurrent append to same key, unreliable (2)");
        // The tester's own clerk gets the row after the clients'.
        let tester = CLIENTS;
        log.put(tester, "k", "", ck.put("k", "")).await;
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (cfg, log) = (cfg.clone(), log.clone());
                labrpc::spawn(async move {
                    let (mut ck, end) = cfg.make_clerk();
                    for n in 0..APPENDS {
                        let new = append_element(client, n);
                        let old = log
                            .append_returning_old(client, "k", &new, ck.append("k", &new))
                            .await;
                        assert!(
                            !old.contains(&new),
                            "client {client}: Append(\"k\", {new:?}) returned an old value that \
                             already holds the new element: was the append executed twice?\n  \
                             returned: {old:?}"
                        );
                    }
                    cfg.delete_clerk(&end);
                })
            })
            .collect();
        for task in clients {
            task.await.expect("a client task failed");
        }
        let value = log.get(tester, "k", ck.get("k")).await;
        check_concurrent_appends(&value, &[APPENDS; CLIENTS]);
        log.check("unreliable_one_key_2");
        summary.passed(Tally {
            peers: 1,
            clients: CLIENTS,
            rpcs: cfg.rpcs(),
            ops: log.len() as u64,
            bytes: None,
        });
    });
}
