//! 3C: persistence.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::harness::{Cmd, Config, ELECTION_TIMEOUT, random_int, run};
use tokio::time::{Duration, sleep};

#[test]
fn persist1_3c() {
    run(
        3,
        false,
        false,
        "Test (3C): basic persistence",
        |cfg| async move {
            let servers = cfg.n();
            cfg.one(11, servers, true).await;

            // Crash and re-start all.
            for i in 0..servers {
                cfg.start1(i);
            }
            for i in 0..servers {
                cfg.disconnect(i);
                cfg.connect(i);
            }

            cfg.one(12, servers, true).await;

            let leader1 = cfg.check_one_leader().await;
            cfg.disconnect(leader1);
            cfg.start1(leader1);
            cfg.connect(leader1);

            cfg.one(13, servers, true).await;

            let leader2 = cfg.check_one_leader().await;
            cfg.disconnect(leader2);
            cfg.one(14, servers - 1, true).await;
            cfg.start1(leader2);
            cfg.connect(leader2);

            // Wait for leader2 to join before killing i3.
            cfg.wait(4, servers, None).await;

            let i3 = (cfg.check_one_leader().await + 1) % servers;
            cfg.disconnect(i3);
            cfg.one(15, servers - 1, true).await;
            cfg.start1(i3);
            cfg.connect(i3);

            cfg.one(16, servers, true).await;

            // Beyond 6.5840: the committed log must survive a restart of every peer.
            cfg.check_survives_restart().await;
        },
    );
}

#[test]
fn persist2_3c() {
    run(
        5,
        false,
        false,
        "Test (3C): more persistence",
        |cfg| async move {
            let servers = cfg.n();
            let mut index = 1;
            for _ in 0..5 {
                cfg.one(10 + index, servers, true).await;
                index += 1;

                let leader1 = cfg.check_one_leader().await;

                cfg.disconnect((leader1 + 1) % servers);
                cfg.disconnect((leader1 + 2) % servers);

                cfg.one(10 + index, servers - 2, true).await;
                index += 1;

                cfg.disconnect(leader1 % servers);
                cfg.disconnect((leader1 + 3) % servers);
                cfg.disconnect((leader1 + 4) % servers);

                cfg.start1((leader1 + 1) % servers);
                cfg.start1((leader1 + 2) % servers);
                cfg.connect((leader1 + 1) % servers);
                cfg.connect((leader1 + 2) % servers);

                sleep(ELECTION_TIMEOUT).await;

                cfg.start1((leader1 + 3) % servers);
                cfg.connect((leader1 + 3) % servers);

                cfg.one(10 + index, servers - 2, true).await;
                index += 1;

                cfg.connect((leader1 + 4) % servers);
                cfg.connect(leader1 % servers);
            }

            cfg.one(1000, servers, true).await;

            // Beyond 6.5840: the committed log must survive a restart of every peer.
            cfg.check_survives_restart().await;
        },
    );
}

#[test]
fn persist3_3c() {
    run(
        3,
        false,
        false,
        "Test (3C): partitioned leader and one follower crash, leader restarts",
        |cfg| async move {
            let servers = cfg.n();
            cfg.one(101, 3, true).await;

            let leader = cfg.check_one_leader().await;
            cfg.disconnect((leader + 2) % servers);

            cfg.one(102, 2, true).await;

            cfg.crash1(leader % servers);
            cfg.crash1((leader + 1) % servers);
            cfg.connect((leader + 2) % servers);
            cfg.start1(leader % servers);
            cfg.connect(leader % servers);

            cfg.one(103, 2, true).await;

            cfg.start1((leader + 1) % servers);
            cfg.connect((leader + 1) % servers);

            cfg.one(104, servers, true).await;

            // Beyond 6.5840: the committed log must survive a restart of every peer.
            cfg.check_survives_restart().await;
        },
    );
}

/// The pause between rounds of the Figure 8 tests: usually under 13 ms, sometimes up to half an
/// election timeout.
async fn figure8_pause() {
    let ms = if labrpc::rand::random_range(0..1000) < 100 {
        labrpc::rand::random_range(0..ELECTION_TIMEOUT.as_millis() as u64 / 2)
    } else {
        labrpc::rand::random_range(0..13)
    };
    sleep(Duration::from_millis(ms)).await;
}

/// Test the scenarios described in Figure 8 of the extended Raft paper. Each iteration asks a
/// leader, if there is one, to insert a command in the Raft log. If there is a leader, that leader
/// will fail quickly with a high probability (perhaps without committing the command), or crash
/// after a while with low probability (most likely committing the command). If the number of
/// alive servers isn't enough to form a majority, perhaps start a new server. The leader in a new
/// term may try to finish replicating log entries that haven't been committed yet.
#[test]
fn figure8_3c() {
    run(5, false, false, "Test (3C): Figure 8", |cfg| async move {
        let servers = cfg.n();
        cfg.one(random_int(), 1, true).await;

        let mut nup = servers;
        for _ in 0..1000 {
            let mut leader = None;
            for i in 0..servers {
                if let Some(rf) = cfg.raft(i)
                    && rf.start(Cmd::random().encode()).is_some()
                {
                    leader = Some(i);
                }
            }

            figure8_pause().await;

            if let Some(leader) = leader {
                cfg.crash1(leader);
                nup -= 1;
            }

            if nup < 3 {
                let s = labrpc::rand::random_range(0..servers);
                if cfg.raft(s).is_none() {
                    cfg.start1(s);
                    cfg.connect(s);
                    nup += 1;
                }
            }
        }

        for i in 0..servers {
            if cfg.raft(i).is_none() {
                cfg.start1(i);
                cfg.connect(i);
            }
        }

        cfg.one(random_int(), servers, true).await;

        // Beyond 6.5840: the committed log must survive a restart of every peer.
        cfg.check_survives_restart().await;
    });
}

#[test]
fn unreliable_agree_3c() {
    run(
        5,
        true,
        false,
        "Test (3C): unreliable agreement",
        |cfg| async move {
            let servers = cfg.n();
            let mut clients = Vec::new();
            for iters in 1..50i64 {
                for j in 0..4 {
                    let cfg = cfg.clone();
                    clients.push(labrpc::spawn(async move {
                        cfg.one(100 * iters + j, 1, true).await;
                    }));
                }
                cfg.one(iters, 1, true).await;
            }

            cfg.set_unreliable(false);

            for c in clients {
                c.await.unwrap();
            }

            cfg.one(100, servers, true).await;

            // Beyond 6.5840: the committed log must survive a restart of every peer.
            cfg.check_survives_restart().await;
        },
    );
}

#[test]
fn figure8_unreliable_3c() {
    run(
        5,
        true,
        false,
        "Test (3C): Figure 8 (unreliable)",
        |cfg| async move {
            let servers = cfg.n();
            let small = || Cmd::Int(labrpc::rand::random_range(0..10000));
            cfg.one(small(), 1, true).await;

            let mut nup = servers;
            for iters in 0..1000 {
                if iters == 200 {
                    cfg.set_long_reordering(true);
                }
                let mut leader = None;
                for i in 0..servers {
                    let started = cfg.raft(i).unwrap().start(small().encode());
                    if started.is_some() && cfg.is_connected(i) {
                        leader = Some(i);
                    }
                }

                figure8_pause().await;

                let half = ELECTION_TIMEOUT.as_millis() as u64 / 2;
                if let Some(leader) = leader
                    && labrpc::rand::random_range(0..1000) < half
                {
                    cfg.disconnect(leader);
                    nup -= 1;
                }

                if nup < 3 {
                    let s = labrpc::rand::random_range(0..servers);
                    if !cfg.is_connected(s) {
                        cfg.connect(s);
                        nup += 1;
                    }
                }
            }

            for i in 0..servers {
                if !cfg.is_connected(i) {
                    cfg.connect(i);
                }
            }

            cfg.one(small(), servers, true).await;

            // Beyond 6.5840: the committed log must survive a restart of every peer.
            cfg.check_survives_restart().await;
        },
    );
}

/// A client of the churn tests: submits random commands to every peer until stopped, and returns
/// the ones it saw committed.
async fn churn_client(cfg: Config, me: u64, stop: Arc<AtomicBool>) -> Vec<i64> {
    let mut values = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let x = random_int();
        let mut index = None;
        for i in 0..cfg.n() {
            // Try them all; maybe one of them is a leader.
            if let Some(rf) = cfg.raft(i)
                && let Some((index1, _)) = rf.start(Cmd::from(x).encode())
            {
                index = Some(index1);
            }
        }
        if let Some(index) = index {
            // Maybe the leader will commit our value, maybe not, but don't wait forever.
            for to in [10, 20, 50, 100, 200] {
                let (nd, cmd) = cfg.n_committed(index);
                if nd > 0 {
                    match cmd {
                        Some(Cmd::Int(xx)) if xx == x => values.push(x),
                        Some(Cmd::Int(_)) => {}
                        _ => panic!("wrong command type"),
                    }
                    break;
                }
                sleep(Duration::from_millis(to)).await;
            }
        } else {
            sleep(Duration::from_millis(79 + me * 17)).await;
        }
    }
    values
}

async fn churn(cfg: Config) {
    let servers = cfg.n();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|me| labrpc::spawn(churn_client(cfg.clone(), me, stop.clone())))
        .collect();

    for _ in 0..20 {
        if labrpc::rand::random_range(0..1000) < 200 {
            cfg.disconnect(labrpc::rand::random_range(0..servers));
        }
        if labrpc::rand::random_range(0..1000) < 500 {
            let i = labrpc::rand::random_range(0..servers);
            if cfg.raft(i).is_none() {
                cfg.start1(i);
            }
            cfg.connect(i);
        }
        if labrpc::rand::random_range(0..1000) < 200 {
            let i = labrpc::rand::random_range(0..servers);
            if cfg.raft(i).is_some() {
                cfg.crash1(i);
            }
        }
        // Make crash/restart infrequent enough that the peers can often keep up, but not so
        // infrequent that everything has settled down from one change to the next. Pick a value
        // smaller than the election timeout, but not hugely smaller.
        sleep(ELECTION_TIMEOUT * 7 / 10).await;
    }

    sleep(ELECTION_TIMEOUT).await;
    cfg.set_unreliable(false);
    for i in 0..servers {
        if cfg.raft(i).is_none() {
            cfg.start1(i);
        }
        cfg.connect(i);
    }

    stop.store(true, Ordering::SeqCst);

    let mut values = Vec::new();
    for c in clients {
        values.extend(c.await.expect("client failed"));
    }

    sleep(ELECTION_TIMEOUT).await;

    let last_index = cfg.one(random_int(), servers, true).await;

    let mut really = Vec::new();
    for index in 1..=last_index {
        match cfg.wait(index, servers, None).await {
            Some(Cmd::Int(v)) => really.push(v),
            _ => panic!("not an int"),
        }
    }

    for v1 in values {
        assert!(
            really.contains(&v1),
            "command {v1} was committed during the churn but is missing from the final log"
        );
    }

    // Beyond 6.5840: the committed log must survive a restart of every peer.
    cfg.check_survives_restart().await;
}

#[test]
fn reliable_churn_3c() {
    run(5, false, false, "Test (3C): churn", churn);
}

#[test]
fn unreliable_churn_3c() {
    run(5, true, false, "Test (3C): unreliable churn", churn);
}
