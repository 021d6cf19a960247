//! 4A: the key/value service without snapshots.

use tests::kvtest::{append_element, check_concurrent_appends};
use tokio::time::{Duration, sleep, timeout};

use crate::generic::{Setup, generic_test, generic_test_speed};
use crate::harness::{ELECTION_TIMEOUT, run};

/// `GenericTest` for part 4A (no snapshots, keys of their own).
fn generic(clients: usize, unreliable: bool, crash: bool, partitions: bool) {
    generic_test(Setup {
        part: "4A",
        clients,
        servers: 5,
        unreliable,
        crash,
        partitions,
        maxraftstate: None,
        random_keys: false,
    });
}

#[test]
fn basic_4a() {
    generic(1, false, false, false);
}

#[test]
fn speed_4a() {
    generic_test_speed("4A", None);
}

#[test]
fn concurrent_4a() {
    generic(5, false, false, false);
}

#[test]
fn unreliable_4a() {
    generic(5, true, false, false);
}

/// Five clients append ten elements each to one key over a lossy network: every element must
/// land exactly once, in each client's order. (As in the original, no history is checked: with
/// every client on one key and appends that return nothing, the number of orders to consider
/// grows too fast; the element checks catch what this test is about.)
#[test]
fn unreliable_one_key_4a() {
    const CLIENTS: usize = 5;
    const APPENDS: usize = 10;
    run(3, true, None, |cfg| async move {
        let mut ck = cfg.make_client(&cfg.all());
        cfg.begin(
            "Test: concurrent append to same key, unreliable (4A)",
            CLIENTS,
        );
        ck.put("k", "", None).await;
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let cfg = cfg.clone();
                labrpc::spawn(async move {
                    let mut myck = cfg.make_client(&cfg.all());
                    for n in 0..APPENDS {
                        myck.append("k", &append_element(client, n), None).await;
                    }
                    cfg.delete_client(myck);
                })
            })
            .collect();
        for task in clients {
            task.await.expect("a client task failed");
        }
        let value = ck.get("k", None).await;
        check_concurrent_appends(&value, &[APPENDS; CLIENTS]);
        cfg.end();
    });
}

/// How long requests in the minority may not finish, and how long the Put gets after the heal.
const NO_PROGRESS: Duration = Duration::from_secs(1);
const AFTER_HEAL: Duration = Duration::from_millis(30 * 100);

/// Submits requests in a minority that holds the old leader: they must not go through until the
/// partition heals, and then they must.
///
/// Stricter than the original: there, the minority Get is not required to finish after the heal
/// (its `select` has a `default:` branch); here it must finish within the same 3 s as the Put.
#[test]
fn one_partition_4a() {
    run(5, false, None, |cfg| async move {
        let mut ck = cfg.make_client(&cfg.all());
        ck.put("1", "13", None).await;

        cfg.begin("Test: progress in majority (4A)", 1);
        let (p1, p2) = make_partition(&cfg);
        cfg.partition(&p1, &p2);
        let mut ckp1 = cfg.make_client(&p1);
        let mut ckp2a = cfg.make_client(&p2);
        let mut ckp2b = cfg.make_client(&p2);
        let (ends2a, ends2b) = (ckp2a.ends(), ckp2b.ends());
        ckp1.put("1", "14", None).await;
        ckp1.check("1", "14").await;
        cfg.end();

        cfg.begin("Test: no progress in minority (4A)", 3);
        let mut put = labrpc::spawn(async move { ckp2a.put("1", "15", None).await });
        let mut get = labrpc::spawn(async move { ckp2b.get("1", None).await });
        tokio::select! {
            _ = &mut put => panic!("{}", minority_completed("Put")),
            _ = &mut get => panic!("{}", minority_completed("Get")),
            _ = sleep(NO_PROGRESS) => {}
        }
        ckp1.check("1", "14").await;
        ckp1.put("1", "16", None).await;
        ckp1.check("1", "16").await;
        cfg.end();

        cfg.begin("Test: completion after heal (4A)", 3);
        cfg.connect_all();
        cfg.connect_client(&ends2a, &cfg.all());
        cfg.connect_client(&ends2b, &cfg.all());
        sleep(ELECTION_TIMEOUT).await;
        let healed = timeout(AFTER_HEAL, async {
            put.await.expect("the minority Put failed");
            get.await.expect("the minority Get failed");
        });
        assert!(
            healed.await.is_ok(),
            "Put or Get in the old minority did not complete within {AFTER_HEAL:?} of the heal"
        );
        ck.check("1", "15").await;
        cfg.end();

        // Beyond 6.5840: a request the cut-off leader accepted at an index the majority never
        // reaches. A handler that waits for that index without a timeout waits forever (in the
        // original, the majority's writes always reach the minority's indices, so it passes).
        cfg.begin(
            "Test: a cut-off leader answers once the partition heals (4A)",
            1,
        );
        let (p1, p2) = make_partition(&cfg);
        cfg.partition(&p1, &p2);
        let mut ckp2 = cfg.make_client(&p2);
        let ends2 = ckp2.ends();
        let mut put = labrpc::spawn(async move { ckp2.put("1", "17", None).await });
        tokio::select! {
            _ = &mut put => panic!("{}", minority_completed("Put")),
            _ = sleep(NO_PROGRESS) => {}
        }
        cfg.connect_all();
        cfg.connect_client(&ends2, &cfg.all());
        let healed = timeout(AFTER_HEAL, put).await;
        assert!(
            healed.is_ok(),
            "a Put sent to a leader cut off from the majority did not complete within \
             {AFTER_HEAL:?} of the heal: does the handler wait for its index without a timeout? \
             Its entry is never committed (the majority never reached that index), so the handler \
             must give up (answer ErrTimeout) for the clerk to try the new leader"
        );
        ck.check("1", "17").await;
        cfg.end();
    });
}

/// The failure of a request in a minority that completed: the rule it broke.
fn minority_completed(op: &str) -> String {
    format!(
        "{op} in minority completed: a server cut off from the majority answered it, though \
         nothing can commit there (every request must go through the log, and a server answers \
         only once its own entry has been applied)"
    )
}

/// The servers split into a majority without the current leader and a minority whose last
/// member is the leader (6.5840's `make_partition`).
fn make_partition(cfg: &crate::harness::Config) -> (Vec<usize>, Vec<usize>) {
    // A leader committed the first Put, and nothing has failed since; should none be claiming
    // leadership at this instant, server 0 takes the leader's place, as in the original.
    let leader = cfg.group().leader().unwrap_or(0);
    let others: Vec<usize> = cfg.all().into_iter().filter(|&i| i != leader).collect();
    let (p1, rest) = others.split_at(cfg.n() / 2 + 1);
    let mut p2 = rest.to_vec();
    p2.push(leader);
    (p1.to_vec(), p2)
}

#[test]
fn many_partitions_one_client_4a() {
    generic(1, false, false, true);
}

#[test]
fn many_partitions_many_clients_4a() {
    generic(5, false, false, true);
}

#[test]
fn persist_one_client_4a() {
    generic(1, false, true, false);
}

#[test]
fn persist_concurrent_4a() {
    generic(5, false, true, false);
}

#[test]
fn persist_concurrent_unreliable_4a() {
    generic(5, true, true, false);
}

#[test]
fn persist_partition_4a() {
    generic(5, false, true, true);
}

#[test]
fn persist_partition_unreliable_4a() {
    generic(5, true, true, true);
}

#[test]
fn persist_partition_unreliable_linearizable_4a() {
    generic_test(Setup {
        part: "4A",
        clients: 15,
        servers: 7,
        unreliable: true,
        crash: true,
        partitions: true,
        maxraftstate: None,
        random_keys: true,
    });
}
