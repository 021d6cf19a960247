//! 6B: sloppy quorums and hinted handoff. Writes stay available when home replicas cannot be
//! reached, the copies that stood in for them are handed over once they can, hints survive
//! their holder's crash, and a store under churn converges once the faults stop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dynamo::{Mode, NodeId, Options};
use tokio::time::{Duration, sleep};

use crate::harness::{CONVERGE_WITHIN, Cluster, Setup, run};

const N: usize = 3;

fn sloppy() -> Options {
    Options::default_in(Mode::Sloppy)
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("k{i}")).collect()
}

/// Six nodes split in two halves; a client of the first half writes keys of every placement.
const NEAR: [NodeId; 3] = [0, 1, 2];
const FAR: [NodeId; 3] = [3, 4, 5];

/// Writes every key from a clerk of the near half while the halves cannot reach each other;
/// returns how many writes succeeded.
async fn write_across_partition(
    cfg: &Cluster,
    options: Options,
    keys: &[String],
    value: &str,
) -> usize {
    let mut ck = cfg.make_client(options, &NEAR);
    let mut done = 0;
    for key in keys {
        if ck.put(key, &format!("{key}={value}")).await.is_ok() {
            done += 1;
        }
    }
    done
}

/// Under a partition, a sloppy write needs only W nodes it can reach among the first N it can
/// reach on the ring: every write succeeds, where strict quorums fail for the keys with two
/// home replicas across the partition; and sloppy reads see what was written.
#[test]
fn sloppy_writes_available_6b() {
    run(Setup::ring(6), |cfg| async move {
        cfg.begin("Test: writes available under a partition (6B)", 2);
        let keys = keys(60);
        cfg.partition(&[&NEAR, &FAR]);
        let strict = Options::default_in(Mode::Quorum);
        let cut_off = (keys.iter())
            .filter(|k| cfg.home(k, N).iter().filter(|h| FAR.contains(h)).count() >= 2)
            .count();
        let strict_done = write_across_partition(&cfg, strict, &keys, "strict").await;
        assert_eq!(
            strict_done,
            keys.len() - cut_off,
            "strict quorums: exactly the keys with at most one home replica across the \
             partition can be written"
        );
        assert!(
            cut_off > 0,
            "no key has two home replicas across the partition"
        );
        let sloppy_done = write_across_partition(&cfg, sloppy(), &keys, "sloppy").await;
        assert_eq!(
            sloppy_done,
            keys.len(),
            "sloppy quorums: every write must succeed, {} of {} did",
            sloppy_done,
            keys.len()
        );
        let mut ck = cfg.make_client(sloppy(), &NEAR);
        for key in &keys {
            ck.check(key, &format!("{key}=sloppy")).await;
        }
        cfg.end();
    });
}

/// After the partition heals, every home replica gets what the stand-ins kept for it, and no
/// stand-in keeps anything.
#[test]
fn hinted_handoff_6b() {
    run(Setup::ring(6), |cfg| async move {
        cfg.begin("Test: hinted handoff after a partition heals (6B)", 1);
        let keys = keys(60);
        cfg.partition(&[&NEAR, &FAR]);
        let done = write_across_partition(&cfg, sloppy(), &keys, "1").await;
        assert_eq!(done, keys.len(), "every sloppy write must succeed");
        let hints = cfg.hints_left();
        assert!(
            hints > 0,
            "writes for home replicas across the partition went to stand-ins, which must keep \
             them as hints (counted by hint_count), yet none keeps any"
        );
        cfg.heal();
        sleep(CONVERGE_WITHIN).await;
        cfg.check_converged(N);
        cfg.end();
    });
}

/// A stand-in that crashes keeps its hints (they are persisted) and hands them over after it
/// restarts: no acknowledged write is lost.
#[test]
fn hint_holder_crash_6b() {
    run(Setup::ring(6), |cfg| async move {
        cfg.begin("Test: hints survive their holder's crash (6B)", 1);
        let keys = keys(60);
        let down = 0;
        cfg.crash(down);
        let mut ck = cfg.make_client(sloppy(), &cfg.all());
        for key in &keys {
            ck.must_put(key, &format!("{key} while S{down} is down"))
                .await;
        }
        // Let the coordinators finish placing every copy, then crash whoever keeps hints.
        sleep(Duration::from_secs(1)).await;
        let holders: Vec<NodeId> = (1..6)
            .filter(|&i| cfg.group().on_server(i, |n| n.0.hint_count()).unwrap_or(0) > 0)
            .collect();
        assert!(
            !holders.is_empty(),
            "S{down} was down: its copies must be kept as hints by the nodes that stood in"
        );
        for &holder in &holders {
            cfg.crash(holder);
        }
        cfg.restart(down, &cfg.all());
        sleep(Duration::from_millis(500)).await;
        for &holder in &holders {
            cfg.restart(holder, &cfg.all());
        }
        sleep(CONVERGE_WITHIN).await;
        cfg.check_converged(N);
        cfg.end();
    });
}

/// Eight nodes, seven on the ring at first; four clients in sloppy mode write and read ten keys
/// for 15 seconds through two nodes that never crash, while nodes crash and restart, the network
/// splits and heals, the eighth node joins and another leaves. Once the faults stop, the store
/// converges: no acknowledged write lost, no hint left.
#[test]
fn churn_6b() {
    run(
        Setup {
            nodes: 8,
            on_ring: 7,
            unreliable: false,
            anti_entropy: false,
        },
        |cfg| async move {
            cfg.begin(
                "Test: churn of crashes, partitions, joins and leaves (6B)",
                4,
            );
            const FRONT: [NodeId; 2] = [0, 1];
            let stop = Arc::new(AtomicBool::new(false));
            let clients: Vec<_> = (0..4)
                .map(|c| {
                    let (cfg, stop) = (cfg.clone(), stop.clone());
                    labrpc::spawn(async move {
                        let mut ck = cfg.make_client(sloppy(), &FRONT);
                        let mut acknowledged = 0;
                        let mut j = 0;
                        while !stop.load(Ordering::SeqCst) {
                            let key = format!("k{}", labrpc::rand::random_range(0..10));
                            j += 1;
                            if ck.put(&key, &format!("c{c}-{j}")).await.is_ok() {
                                acknowledged += 1;
                            }
                            let _ = ck.get(&key).await;
                            sleep(Duration::from_millis(20)).await;
                        }
                        acknowledged
                    })
                })
                .collect();
            let mut down: Vec<NodeId> = Vec::new();
            let (joiner, leaver) = (7, 4);
            for round in 0..15 {
                sleep(Duration::from_millis(labrpc::rand::random_range(500..1000))).await;
                match labrpc::rand::random_range(0..4) {
                    0 if down.len() < 2 => {
                        let victim = labrpc::rand::random_range(2..8);
                        if !down.contains(&victim) {
                            cfg.crash(victim);
                            down.push(victim);
                        }
                    }
                    1 => {
                        let split = labrpc::rand::random_range(1..8);
                        let (a, b): (Vec<NodeId>, Vec<NodeId>) = (0..8).partition(|&i| i < split);
                        cfg.partition(&[&a, &b]);
                    }
                    2 => cfg.heal(),
                    _ if !down.is_empty() => {
                        let back = down.remove(0);
                        cfg.restart(back, &cfg.all());
                    }
                    _ => {}
                }
                if round == 5 {
                    cfg.join(joiner);
                }
                if round == 10 {
                    cfg.leave(leaver);
                }
            }
            // The faults stop: everything up and connected.
            for back in down {
                cfg.restart(back, &[]);
            }
            cfg.heal();
            stop.store(true, Ordering::SeqCst);
            let mut acknowledged = 0;
            for client in clients {
                acknowledged += client.await.expect("a client task failed");
            }
            assert!(
                acknowledged >= 100,
                "only {acknowledged} writes were acknowledged"
            );
            sleep(CONVERGE_WITHIN).await;
            cfg.check_converged(N);
            cfg.end();
        },
    );
}
