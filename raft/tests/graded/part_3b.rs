//! 3B: log replication.

use crate::harness::{Cmd, ELECTION_TIMEOUT, random_int, run};
use tokio::time::{Duration, sleep};

#[test]
fn basic_agree_3b() {
    run(
        3,
        false,
        false,
        "Test (3B): basic agreement",
        |cfg| async move {
            let servers = cfg.n();
            for index in 1..=3u64 {
                let (nd, _) = cfg.n_committed(index);
                assert!(nd == 0, "some have committed before start()");
                let xindex = cfg.one(index as i64 * 100, servers, false).await;
                assert_eq!(xindex, index, "got index {xindex} but expected {index}");
            }
        },
    );
}

/// Check, based on counting bytes of RPCs, that each command is sent to each peer just once.
/// The bound is Go's: the bytes of every RPC may exceed three copies of the commands by at most
/// 50,000. A 5000-character command costs 5008 bytes in an entry (1 byte of enum tag and 3 of
/// length in the command's encoding, 1 of term and 3 of length around it), close to its gob size,
/// so the bound is as tight here as in Go.
#[test]
fn rpc_bytes_3b() {
    run(
        3,
        false,
        false,
        "Test (3B): RPC byte count",
        |cfg| async move {
            let servers = cfg.n() as u64;
            cfg.one(99, servers as usize, false).await;
            let bytes0 = cfg.bytes_total();
            let mut sent = 0u64;
            for index in 2..12u64 {
                let cmd = labrpc::rand::random_string(5000);
                sent += cmd.len() as u64;
                let xindex = cfg.one(Cmd::Str(cmd), servers as usize, false).await;
                assert_eq!(xindex, index, "got index {xindex} but expected {index}");
            }
            let got = cfg.bytes_total() - bytes0;
            let expected = servers * sent;
            labrpc::sim::bound("RPC bytes", got as f64, (expected + 50000) as f64);
            assert!(
                got <= expected + 50000,
                "too many RPC bytes; got {got}, expected {expected}"
            );
        },
    );
}

/// Test just failure of followers.
#[test]
fn follower_failure_3b() {
    run(
        3,
        false,
        false,
        "Test (3B): test progressive failure of followers",
        |cfg| async move {
            let servers = cfg.n();
            cfg.one(101, servers, false).await;

            // Disconnect one follower from the network.
            let leader1 = cfg.check_one_leader().await;
            cfg.disconnect((leader1 + 1) % servers);

            // The leader and remaining follower should be able to agree despite the disconnected
            // follower.
            cfg.one(102, servers - 1, false).await;
            sleep(ELECTION_TIMEOUT).await;
            cfg.one(103, servers - 1, false).await;

            // Disconnect the remaining follower.
            let leader2 = cfg.check_one_leader().await;
            cfg.disconnect((leader2 + 1) % servers);
            cfg.disconnect((leader2 + 2) % servers);

            // Submit a command.
            let started = cfg.raft(leader2).unwrap().start(Cmd::from(104).encode());
            let Some((index, _)) = started else {
                panic!("leader rejected start()");
            };
            assert_eq!(index, 4, "expected index 4, got {index}");

            sleep(2 * ELECTION_TIMEOUT).await;

            // Check that command 104 did not commit.
            let (n, _) = cfg.n_committed(index);
            assert!(n == 0, "{n} committed but no majority");
        },
    );
}

/// Test just failure of leaders.
#[test]
fn leader_failure_3b() {
    run(
        3,
        false,
        false,
        "Test (3B): test failure of leaders",
        |cfg| async move {
            let servers = cfg.n();
            cfg.one(101, servers, false).await;

            // Disconnect the first leader.
            let leader1 = cfg.check_one_leader().await;
            cfg.disconnect(leader1);

            // The remaining followers should elect a new leader.
            cfg.one(102, servers - 1, false).await;
            sleep(ELECTION_TIMEOUT).await;
            cfg.one(103, servers - 1, false).await;

            // Disconnect the new leader.
            let leader2 = cfg.check_one_leader().await;
            cfg.disconnect(leader2);

            // Submit a command to each server.
            for i in 0..servers {
                cfg.raft(i).unwrap().start(Cmd::from(104).encode());
            }

            sleep(2 * ELECTION_TIMEOUT).await;

            // Check that command 104 did not commit.
            let (n, _) = cfg.n_committed(4);
            assert!(n == 0, "{n} committed but no majority");
        },
    );
}

/// Test that a follower participates after disconnect and re-connect.
#[test]
fn fail_agree_3b() {
    run(
        3,
        false,
        false,
        "Test (3B): agreement after follower reconnects",
        |cfg| async move {
            let servers = cfg.n();
            cfg.one(101, servers, false).await;

            // Disconnect one follower from the network.
            let leader = cfg.check_one_leader().await;
            cfg.disconnect((leader + 1) % servers);

            // The leader and remaining follower should be able to agree despite the disconnected
            // follower.
            cfg.one(102, servers - 1, false).await;
            cfg.one(103, servers - 1, false).await;
            sleep(ELECTION_TIMEOUT).await;
            cfg.one(104, servers - 1, false).await;
            cfg.one(105, servers - 1, false).await;

            // Re-connect.
            cfg.connect((leader + 1) % servers);

            // The full set of servers should preserve previous agreements, and be able to agree on
            // new commands.
            cfg.one(106, servers, true).await;
            sleep(ELECTION_TIMEOUT).await;
            cfg.one(107, servers, true).await;
        },
    );
}

#[test]
fn fail_no_agree_3b() {
    run(
        5,
        false,
        false,
        "Test (3B): no agreement if too many followers disconnect",
        |cfg| async move {
            let servers = cfg.n();
            cfg.one(10, servers, false).await;

            // 3 of 5 followers disconnect.
            let leader = cfg.check_one_leader().await;
            cfg.disconnect((leader + 1) % servers);
            cfg.disconnect((leader + 2) % servers);
            cfg.disconnect((leader + 3) % servers);

            let started = cfg.raft(leader).unwrap().start(Cmd::from(20).encode());
            let Some((index, _)) = started else {
                panic!("leader rejected start()");
            };
            assert_eq!(index, 2, "expected index 2, got {index}");

            sleep(2 * ELECTION_TIMEOUT).await;

            let (n, _) = cfg.n_committed(index);
            assert!(n == 0, "{n} committed but no majority");

            // Repair.
            cfg.connect((leader + 1) % servers);
            cfg.connect((leader + 2) % servers);
            cfg.connect((leader + 3) % servers);

            // The disconnected majority may have chosen a leader from among their own ranks,
            // forgetting index 2.
            let leader2 = cfg.check_one_leader().await;
            let started = cfg.raft(leader2).unwrap().start(Cmd::from(30).encode());
            let Some((index2, _)) = started else {
                panic!("leader2 rejected start()");
            };
            assert!((2..=3).contains(&index2), "unexpected index {index2}");

            cfg.one(1000, servers, true).await;
        },
    );
}

#[test]
fn concurrent_starts_3b() {
    run(
        3,
        false,
        false,
        "Test (3B): concurrent start()s",
        |cfg| async move {
            let servers = cfg.n();
            'tries: for attempt in 0..5 {
                if attempt > 0 {
                    // Give the solution some time to settle.
                    sleep(Duration::from_secs(3)).await;
                }

                let leader = cfg.check_one_leader().await;
                let rf = cfg.raft(leader).unwrap();
                let Some((_, term)) = rf.start(Cmd::from(1).encode()) else {
                    // Leader moved on really quickly.
                    continue;
                };

                let iters = 5;
                let starts: Vec<_> = (0..iters)
                    .map(|i| {
                        let rf = rf.clone();
                        labrpc::spawn(async move {
                            match rf.start(Cmd::from(100 + i).encode()) {
                                Some((index, term1)) if term1 == term => Some(index),
                                _ => None,
                            }
                        })
                    })
                    .collect();
                let mut indices = Vec::new();
                for s in starts {
                    indices.extend(s.await.unwrap());
                }

                for j in 0..servers {
                    if cfg.raft(j).unwrap().get_state().0 != term {
                        // Term changed -- can't expect low RPC counts.
                        continue 'tries;
                    }
                }

                let mut cmds = Vec::new();
                for index in indices {
                    match cfg.wait(index, servers, Some(term)).await {
                        None => continue 'tries, // peers have moved on to later terms
                        Some(Cmd::Int(x)) => cmds.push(x),
                        Some(other) => panic!("value {other} is not an int"),
                    }
                }

                for i in 0..iters {
                    let x = 100 + i;
                    assert!(cmds.contains(&x), "cmd {x} missing in {cmds:?}");
                }
                return;
            }
            panic!("term changed too often");
        },
    );
}

#[test]
fn rejoin_3b() {
    run(
        3,
        false,
        false,
        "Test (3B): rejoin of partitioned leader",
        |cfg| async move {
            let servers = cfg.n();
            cfg.one(101, servers, true).await;

            // Leader network failure.
            let leader1 = cfg.check_one_leader().await;
            cfg.disconnect(leader1);

            // Make the old leader try to agree on some entries.
            let old = cfg.raft(leader1).unwrap();
            for cmd in [102, 103, 104] {
                old.start(Cmd::from(cmd).encode());
            }

            // The new leader commits, also for index=2.
            cfg.one(103, 2, true).await;

            // New leader network failure.
            let leader2 = cfg.check_one_leader().await;
            cfg.disconnect(leader2);

            // The old leader is connected again.
            cfg.connect(leader1);

            cfg.one(104, 2, true).await;

            // All together now.
            cfg.connect(leader2);

            cfg.one(105, servers, true).await;
        },
    );
}

#[test]
fn backup_3b() {
    run(
        5,
        false,
        false,
        "Test (3B): leader backs up quickly over incorrect follower logs",
        |cfg| async move {
            let servers = cfg.n();
            cfg.one(random_int(), servers, true).await;

            // Put leader and one follower in a partition.
            let leader1 = cfg.check_one_leader().await;
            cfg.disconnect((leader1 + 2) % servers);
            cfg.disconnect((leader1 + 3) % servers);
            cfg.disconnect((leader1 + 4) % servers);

            // Submit lots of commands that won't commit.
            let rf = cfg.raft(leader1).unwrap();
            for _ in 0..50 {
                rf.start(Cmd::random().encode());
            }

            sleep(ELECTION_TIMEOUT / 2).await;

            cfg.disconnect(leader1 % servers);
            cfg.disconnect((leader1 + 1) % servers);

            // Allow the other partition to recover.
            cfg.connect((leader1 + 2) % servers);
            cfg.connect((leader1 + 3) % servers);
            cfg.connect((leader1 + 4) % servers);

            // Lots of successful commands to the new group.
            for _ in 0..50 {
                cfg.one(random_int(), 3, true).await;
            }

            // Now another partitioned leader and one follower.
            let leader2 = cfg.check_one_leader().await;
            let mut other = (leader1 + 2) % servers;
            if leader2 == other {
                other = (leader2 + 1) % servers;
            }
            cfg.disconnect(other);

            // Lots more commands that won't commit.
            let rf = cfg.raft(leader2).unwrap();
            for _ in 0..50 {
                rf.start(Cmd::random().encode());
            }

            sleep(ELECTION_TIMEOUT / 2).await;

            // Bring the original leader back to life.
            for i in 0..servers {
                cfg.disconnect(i);
            }
            cfg.connect(leader1 % servers);
            cfg.connect((leader1 + 1) % servers);
            cfg.connect(other);

            // Lots of successful commands to the new group.
            for _ in 0..50 {
                cfg.one(random_int(), 3, true).await;
            }

            // Now everyone.
            for i in 0..servers {
                cfg.connect(i);
            }
            cfg.one(random_int(), servers, true).await;
        },
    );
}

#[test]
fn count_3b() {
    run(
        3,
        false,
        false,
        "Test (3B): RPC counts aren't too high",
        |cfg| async move {
            let servers = cfg.n();
            let rpcs = || (0..servers).map(|j| cfg.rpc_count(j)).sum::<u64>();

            cfg.check_one_leader().await;
            let total1 = rpcs();
            labrpc::sim::bound("election RPCs", total1 as f64, 30.0);
            assert!(
                (1..=30).contains(&total1),
                "too many or few RPCs ({total1}) to elect initial leader"
            );

            let mut total2 = 0;
            let mut success = false;
            'tries: for attempt in 0..5 {
                if attempt > 0 {
                    // Give the solution some time to settle.
                    sleep(Duration::from_secs(3)).await;
                }

                let leader = cfg.check_one_leader().await;
                let total1 = rpcs();

                let iters = 10u64;
                let rf = cfg.raft(leader).unwrap();
                let Some((starti, term)) = rf.start(Cmd::from(1).encode()) else {
                    // Leader moved on really quickly.
                    continue;
                };
                let mut cmds = Vec::new();
                for i in 1..iters + 2 {
                    let x = labrpc::rand::random_range(0..i32::MAX as i64);
                    cmds.push(x);
                    let Some((index1, term1)) = rf.start(Cmd::from(x).encode()) else {
                        continue 'tries; // no longer the leader, so term has changed
                    };
                    if term1 != term {
                        continue 'tries; // term changed while starting
                    }
                    assert_eq!(starti + i, index1, "start() failed");
                }

                for i in 1..iters + 1 {
                    match cfg.wait(starti + i, servers, Some(term)).await {
                        None => continue 'tries, // term changed -- try again
                        Some(Cmd::Int(x)) if x == cmds[i as usize - 1] => {}
                        Some(other) => panic!(
                            "wrong value {other} committed for index {}; expected {cmds:?}",
                            starti + i
                        ),
                    }
                }

                let mut failed = false;
                total2 = 0;
                for j in 0..servers {
                    if cfg.raft(j).unwrap().get_state().0 != term {
                        // Term changed -- can't expect low RPC counts; need to keep going to update
                        // total2.
                        failed = true;
                    }
                    total2 += cfg.rpc_count(j);
                }
                if failed {
                    continue;
                }

                let limit = (iters + 1 + 3) * 3;
                labrpc::sim::bound("agreement RPCs", (total2 - total1) as f64, limit as f64);
                assert!(
                    total2 - total1 <= limit,
                    "too many RPCs ({}) for {iters} entries",
                    total2 - total1
                );
                success = true;
                break;
            }
            assert!(success, "term changed too often");

            sleep(ELECTION_TIMEOUT).await;

            let total3 = rpcs();
            labrpc::sim::bound("idle RPCs", (total3 - total2) as f64, 60.0);
            assert!(
                total3 - total2 <= 3 * 20,
                "too many RPCs ({}) for 1 second of idleness",
                total3 - total2
            );
        },
    );
}
