//! 6C: versions with siblings. Concurrent writes stay siblings until a write that read them all
//! supersedes them; a write supersedes what its context covers and nothing else; a shopping
//! cart loses no acknowledged add under clock skew and partitions; no read returns a version
//! beside one that supersedes it; version vectors stay bounded. The challenge: removals that
//! stick.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dynamo::version::MAX_ENTRIES;
use dynamo::{Mode, NodeId, Options};
use tokio::time::{Duration, sleep};

use crate::harness::{CONVERGE_WITHIN, Setup, run};

const N: usize = 3;

/// How many of no_dominated_siblings_6c's writes must be acknowledged.
const MIN_ACKED_WRITES: usize = 100;

fn sloppy() -> Options {
    Options::default_in(Mode::Sloppy)
}

/// Two writes with no context are siblings; a write with the context of a read of both
/// supersedes them, and the replicas then hold it alone.
#[test]
fn siblings_and_merge_6c() {
    run(Setup::ring(5), |cfg| async move {
        cfg.begin("Test: concurrent writes are siblings until merged (6C)", 2);
        for i in 0..10 {
            let key = format!("k{i}");
            let (mut one, mut two) = (
                cfg.make_versions_client(sloppy(), &[i % 5]),
                cfg.make_versions_client(sloppy(), &[(i + 1) % 5]),
            );
            let (a, b) = (format!("{key}-a"), format!("{key}-b"));
            one.put_with(&key, &a, None).await.expect("a first write");
            two.put_with(&key, &b, None).await.expect("a second write");
            let (values, context, read) = one.must_get_versions(&key).await;
            assert_eq!(
                values,
                [a.clone(), b.clone()],
                "two writes of {key:?} without a context are concurrent: a read must return both"
            );
            let merged = format!("{key}-merged");
            one.put_with(&key, &merged, Some((&context, read)))
                .await
                .expect("the merge");
            let (values, _, _) = two.must_get_versions(&key).await;
            assert_eq!(
                values,
                [merged],
                "the merge supersedes both siblings it read"
            );
        }
        sleep(Duration::from_millis(500)).await;
        let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
        cfg.check_replicas_agree(&keys, N);
        cfg.check_siblings();
        cfg.end();
    });
}

/// Two clients read the same version and each writes with what it read: each write supersedes
/// the version read, and neither supersedes the other.
#[test]
fn context_supersedes_only_what_it_read_6c() {
    run(Setup::ring(5), |cfg| async move {
        cfg.begin(
            "Test: a write supersedes what its context covers, nothing else (6C)",
            3,
        );
        let mut clients: Vec<_> = (0..3)
            .map(|i| cfg.make_versions_client(sloppy(), &[i]))
            .collect();
        for round in 0..5 {
            let key = format!("k{round}");
            clients[0]
                .put_with(&key, &format!("{key}-base"), None)
                .await
                .expect("the base");
            let (base, ctx_a, read_a) = clients[1].must_get_versions(&key).await;
            let (_, ctx_b, read_b) = clients[2].must_get_versions(&key).await;
            assert_eq!(base, [format!("{key}-base")]);
            let (a, b) = (format!("{key}-a"), format!("{key}-b"));
            clients[1]
                .put_with(&key, &a, Some((&ctx_a, read_a)))
                .await
                .expect("a");
            clients[2]
                .put_with(&key, &b, Some((&ctx_b, read_b)))
                .await
                .expect("b");
            let (values, _, _) = clients[0].must_get_versions(&key).await;
            assert_eq!(
                values,
                [a, b],
                "both writes read only the base of {key:?}: each supersedes the base, neither the \
                 other, so a read returns exactly the two"
            );
        }
        cfg.check_siblings();
        cfg.end();
    });
}

/// Four shoppers add 15 items each to one cart through four nodes, while the nodes' clocks
/// disagree (up to 500 ms, 1% drift) and the network splits and heals. Once it heals, the cart
/// holds every acknowledged add. (Last-write-wins by these clocks would drop some.)
#[test]
fn cart_under_skew_and_partitions_6c() {
    run(Setup::ring(6), |cfg| async move {
        cfg.begin(
            "Test: the cart loses no add under clock skew and partitions (6C)",
            4,
        );
        cfg.skew_clocks(Duration::from_millis(500), 10_000);
        let stop = Arc::new(AtomicBool::new(false));
        let chaos = {
            let (cfg, stop) = (cfg.clone(), stop.clone());
            labrpc::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    sleep(Duration::from_millis(labrpc::rand::random_range(200..500))).await;
                    if labrpc::rand::random_range(0..2) == 0 {
                        let split = labrpc::rand::random_range(1..6);
                        let (a, b): (Vec<NodeId>, Vec<NodeId>) = (0..6).partition(|&i| i < split);
                        cfg.partition(&[&a, &b]);
                    } else {
                        cfg.heal();
                    }
                }
            })
        };
        let shoppers: Vec<_> = (0..4)
            .map(|s| {
                let cfg = cfg.clone();
                labrpc::spawn(async move {
                    let mut cart = cfg.make_cart(sloppy(), &[s], "cart");
                    for item in 0..15 {
                        let _ = cart.add(&format!("s{s}-item{item}")).await;
                        sleep(Duration::from_millis(labrpc::rand::random_range(10..60))).await;
                    }
                })
            })
            .collect();
        for shopper in shoppers {
            shopper.await.expect("a shopper's task");
        }
        stop.store(true, Ordering::SeqCst);
        chaos.await.expect("the chaos task");
        cfg.heal();
        sleep(CONVERGE_WITHIN).await;
        let mut cart = cfg.make_cart(Options::default_in(Mode::Quorum), &cfg.all(), "cart");
        let items = cart.items().await.expect("the final read");
        for h in cfg.home("cart", N) {
            eprintln!(
                "DEBUG S{h}: {:?}",
                cfg.stored(h, "cart").map(|v| v.matches("s3-item6").count())
            );
        }
        eprintln!("DEBUG hints {}", cfg.hints_left());
        cfg.check_cart(&items);
        cfg.end();
    });
}

/// Clients read, modify and write three keys with the context they read, under a lossy network
/// that also splits: no read ever returns a version beside one that supersedes it.
#[test]
fn no_dominated_siblings_6c() {
    run(
        Setup {
            nodes: 6,
            on_ring: 6,
            unreliable: true,
            anti_entropy: false,
        },
        |cfg| async move {
            cfg.begin("Test: siblings never include a superseded version (6C)", 4);
            let stop = Arc::new(AtomicBool::new(false));
            let clients: Vec<_> = (0..4)
                .map(|c| {
                    let (cfg, stop) = (cfg.clone(), stop.clone());
                    labrpc::spawn(async move {
                        let mut ck = cfg.make_versions_client(sloppy(), &cfg.all());
                        let mut j = 0;
                        while !stop.load(Ordering::SeqCst) {
                            let key = format!("k{}", labrpc::rand::random_range(0..3));
                            if let Ok((_, context, read)) = ck.get_versions(&key).await {
                                j += 1;
                                let value = format!("c{c}-{j}");
                                let _ = ck.put_with(&key, &value, Some((&context, read))).await;
                            }
                            sleep(Duration::from_millis(10)).await;
                        }
                    })
                })
                .collect();
            for _ in 0..5 {
                sleep(Duration::from_millis(800)).await;
                let split = labrpc::rand::random_range(1..6);
                let (a, b): (Vec<NodeId>, Vec<NodeId>) = (0..6).partition(|&i| i < split);
                cfg.partition(&[&a, &b]);
                sleep(Duration::from_millis(500)).await;
                cfg.heal();
            }
            stop.store(true, Ordering::SeqCst);
            for client in clients {
                client.await.expect("a client task");
            }
            // Without many acknowledged writes, the check below would judge nothing.
            let acked = cfg.acknowledged_with_context();
            assert!(
                acked >= MIN_ACKED_WRITES,
                "only {acked} reads-then-writes of four clients succeeded (at least \
                 {MIN_ACKED_WRITES} must): with a sloppy quorum, a read and a write succeed on \
                 either side of a partition"
            );
            cfg.check_siblings();
            cfg.end();
        },
    );
}

/// Twelve nodes each coordinate writes of one key, each with the context of the last: the
/// version vector would name twelve nodes; it names at most MAX_ENTRIES, and the last write
/// is always read.
#[test]
fn version_vectors_bounded_6c() {
    run(Setup::ring(12), |cfg| async move {
        cfg.begin("Test: version vectors stay bounded (6C)", 12);
        let mut clients: Vec<_> = (0..12)
            .map(|i| cfg.make_versions_client(sloppy(), &[i]))
            .collect();
        let key = "k";
        let mut last = None;
        for round in 0..3 {
            for (i, ck) in clients.iter_mut().enumerate() {
                let (values, context, read) = ck.must_get_versions(key).await;
                if let Some(last) = &last {
                    assert!(
                        values.contains(last),
                        "the last write {last:?} is not read: {values:?}"
                    );
                }
                assert!(
                    context.entries() <= MAX_ENTRIES,
                    "a context names {} nodes, more than MAX_ENTRIES ({MAX_ENTRIES})",
                    context.entries()
                );
                let value = format!("r{round}-n{i}");
                ck.put_with(key, &value, Some((&context, read)))
                    .await
                    .expect("a write");
                last = Some(value);
            }
        }
        cfg.end();
    });
}

/// The challenge: a removal that sticks. The cart holds x and y on both sides of a partition;
/// one side removes x while the other adds z; after the partition heals, the siblings merge to
/// y and z: the add's sibling still holds x, but the removal saw it and must win.
#[test]
fn cart_removals_stick_6c() {
    run(Setup::ring(6), |cfg| async move {
        cfg.begin(
            "Test: a removal survives a concurrent add (6C challenge)",
            2,
        );
        let (near, far): (Vec<NodeId>, Vec<NodeId>) = ((0..3).collect(), (3..6).collect());
        // A key with home replicas on both sides, so that each side reads the cart.
        let key = (0..100)
            .map(|i| format!("cart{i}"))
            .find(|k| {
                let home = cfg.home(k, N);
                home.iter().any(|h| near.contains(h)) && home.iter().any(|h| far.contains(h))
            })
            .expect("a key with replicas on both sides");
        let mut here = cfg.make_cart(sloppy(), &near, &key);
        let mut there = cfg.make_cart(sloppy(), &far, &key);
        here.add("x").await.expect("x");
        here.add("y").await.expect("y");
        sleep(Duration::from_millis(500)).await;
        cfg.partition(&[&near, &far]);
        here.remove("x").await.expect("the removal");
        there.add("z").await.expect("z");
        cfg.heal();
        sleep(CONVERGE_WITHIN).await;
        let items = here.items().await.expect("the final read");
        let want: std::collections::BTreeSet<String> = ["y", "z"].map(String::from).into();
        assert_eq!(
            items, want,
            "x was removed (by a client that had seen it) while z was added on the other side: a \
             merge by union brings x back; an observed-remove set keeps it out"
        );
        cfg.end();
    });
}
