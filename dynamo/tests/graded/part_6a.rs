//! 6A: the ring and strict quorums. Placement balance and minimal movement of the ring, basic
//! reads and writes, linearizable histories under concurrency and loss, availability with one
//! replica of three down and a clear failure with two, read repair, and the stale read that
//! plain quorums allow and the linearizable mode's write-back prevents.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dynamo::{DynamoError, Mode, NodeId, Options, PARTITIONS, QUORUM_TIMEOUT, Quorum, Ring};
use tests::lincheck::kv::KvModel;
use tests::lincheck::{Verdict, check};
use tokio::time::{Duration, Instant, sleep};

use crate::harness::{CONVERGE_WITHIN, Cluster, Setup, names, run};

const N: usize = 3;

fn linearizable() -> Options {
    Options::default_in(Mode::Linearizable)
}

fn plain() -> Options {
    Options::default_in(Mode::Quorum)
}

/// Keys `k0`, `k1`, ...
fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("k{i}")).collect()
}

/// The preference lists of `keys` on `ring`, checked to hold `n` distinct nodes each.
fn lists(ring: &Ring, keys: &[String], n: usize) -> Vec<Vec<NodeId>> {
    (keys.iter())
        .map(|key| {
            let list = ring.preference_list(key, n);
            let distinct: BTreeSet<NodeId> = list.iter().copied().collect();
            assert!(
                list.len() == n && distinct.len() == n,
                "the preference list of {key:?} is {list:?}: it must hold {n} distinct nodes \
                 (the first {n} distinct owners clockwise from the key's partition)"
            );
            list
        })
        .collect()
}

/// Fails unless every count is within `tolerance` of their mean.
fn assert_balanced(what: &'static str, counts: &[usize], tolerance: f64) {
    let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
    for (node, &count) in counts.iter().enumerate() {
        let off = (count as f64 - mean).abs() / mean;
        labrpc::sim::bound(what, off, tolerance);
        assert!(
            off <= tolerance,
            "{what}: node {node} has {count}, {:.1}% off the mean of {mean:.0} (at most {:.0}% \
             allowed); all: {counts:?}",
            100.0 * off,
            100.0 * tolerance
        );
    }
}

/// Dynamo's strategy 3 on 10 nodes: each owns its share of the partitions, and of 10,000 keys
/// each node replicates, and is first for, within 10% of the mean.
#[test]
fn placement_balance_6a() {
    run(Setup::ring(1), |cfg| async move {
        cfg.begin("Test: placement balance of 10,000 keys on 10 nodes (6A)", 0);
        let nodes: Vec<NodeId> = (0..10).collect();
        let ring = Ring::new(&nodes, PARTITIONS);
        let mut owned = vec![0; nodes.len()];
        for p in 0..ring.partitions() {
            owned[ring.owner(p)] += 1;
        }
        let (low, high) = (PARTITIONS / nodes.len(), PARTITIONS.div_ceil(nodes.len()));
        assert!(
            owned.iter().all(|&o| (low..=high).contains(&o)),
            "each node must own {low} or {high} of the {PARTITIONS} partitions, not {owned:?}"
        );
        let (mut replicas, mut first) = (vec![0; nodes.len()], vec![0; nodes.len()]);
        for list in lists(&ring, &keys(10_000), N) {
            first[list[0]] += 1;
            for node in list {
                replicas[node] += 1;
            }
        }
        assert_balanced("keys replicated per node", &replicas, 0.10);
        assert_balanced("keys first on a node", &first, 0.10);
        cfg.end();
    });
}

/// What changed between two rings for `keys`: the keys whose replica set changed, each checked
/// to have lost exactly one node and gained exactly one.
fn moved(before: &Ring, after: &Ring, keys: &[String]) -> Vec<(NodeId, NodeId)> {
    let old = lists(before, keys, N);
    let new = lists(after, keys, N);
    let mut moved = Vec::new();
    for ((key, old), new) in keys.iter().zip(old).zip(new) {
        let (old, new): (BTreeSet<NodeId>, BTreeSet<NodeId>) =
            (old.into_iter().collect(), new.into_iter().collect());
        let gone: Vec<NodeId> = old.difference(&new).copied().collect();
        let came: Vec<NodeId> = new.difference(&old).copied().collect();
        match (gone.as_slice(), came.as_slice()) {
            ([], []) => {}
            ([g], [c]) => moved.push((*g, *c)),
            _ => panic!(
                "{key:?} moved from {old:?} to {new:?}: one ring change may move a key's copy \
                 from one node to one other, no more"
            ),
        }
    }
    moved
}

/// A join takes only the joiner's share of partitions, a leave gives away only the leaver's,
/// and only the keys of those partitions move, one copy each; the running store then holds
/// every key exactly where the new ring puts it.
#[test]
fn minimal_movement_6a() {
    run(
        Setup {
            nodes: 6,
            on_ring: 5,
            unreliable: false,
            anti_entropy: false,
        },
        |cfg| async move {
            cfg.begin("Test: minimal movement on join and leave (6A)", 1);
            // The ring alone, on 10,000 keys: a join of an eleventh node, then a leave.
            let keys10k = keys(10_000);
            let ten = Ring::new(&(0..10).collect::<Vec<_>>(), PARTITIONS);
            let mut eleven = ten.clone();
            eleven.join(10);
            for p in 0..PARTITIONS {
                let (was, is) = (ten.owner(p), eleven.owner(p));
                assert!(
                    was == is || is == 10,
                    "partition {p} moved from S{was} to S{is} on the join of S10: only the \
                     joiner takes partitions"
                );
            }
            let joined = moved(&ten, &eleven, &keys10k);
            assert!(joined.iter().all(|&(_, to)| to == 10));
            // The joiner must end up with its share of the copies, N/(S+1), and nothing more.
            let share = keys10k.len() * N / 11;
            assert!(
                joined.len() as f64 <= 1.1 * share as f64
                    && joined.len() as f64 >= 0.9 * share as f64,
                "the join moved {} key copies to S10; its share is about {share} (10% either way)",
                joined.len()
            );
            let mut ten_again = eleven.clone();
            ten_again.leave(4);
            for p in 0..PARTITIONS {
                let (was, is) = (eleven.owner(p), ten_again.owner(p));
                assert!(
                    was == is || was == 4,
                    "partition {p} moved from S{was} to S{is} on the leave of S4: only the \
                     leaver's partitions move"
                );
            }
            let left = moved(&eleven, &ten_again, &keys10k);
            assert!(left.iter().all(|&(from, _)| from == 4));

            // The store: 200 keys on five nodes, then S5 joins and S2 leaves.
            let mut ck = cfg.make_client(linearizable(), &cfg.all());
            let keys = keys(200);
            for key in &keys {
                ck.must_put(key, &format!("{key}=1")).await;
            }
            for (change, node) in [("join", 5), ("leave", 2)] {
                let before = cfg.ring();
                if change == "join" {
                    cfg.join(node);
                } else {
                    cfg.leave(node);
                }
                let copies = moved(&before, &cfg.ring(), &keys).len();
                let nodes = before.nodes().len().max(cfg.ring().nodes().len());
                sleep(CONVERGE_WITHIN).await;
                cfg.check_converged(N);
                for key in &keys {
                    let home = cfg.home(key, N);
                    for i in cfg.all() {
                        let held = cfg.stored(i, key);
                        assert_eq!(
                            held.is_some(),
                            home.contains(&i),
                            "after the {change} of S{node}, S{i} {} a copy of {key:?}, whose \
                             replicas are {}",
                            if held.is_some() { "holds" } else { "lacks" },
                            names(&home)
                        );
                    }
                }
                // One node's share of the copies, N/S of them, with room for 200 keys' chance.
                let share = (keys.len() * N) as f64 / nodes as f64;
                assert!(
                    copies as f64 <= 1.3 * share,
                    "the {change} of S{node} moved {copies} copies of {} keys; one node's share \
                     is about {share:.0}",
                    keys.len()
                );
            }
            for key in &keys {
                ck.check(key, &format!("{key}=1")).await;
            }
            cfg.end();
        },
    );
}

/// Puts and gets through every node, in both strict modes: a key reads as last written, a
/// missing key as "".
#[test]
fn basic_6a() {
    run(Setup::ring(5), |cfg| async move {
        cfg.begin("Test: basic puts and gets (6A)", 5);
        for options in [linearizable(), plain()] {
            // One clerk per node, each reaching only that node: every node coordinates.
            let mut clerks: Vec<_> = (cfg.all().into_iter())
                .map(|i| cfg.make_client(options, &[i]))
                .collect();
            let mode = format!("{:?}", options.mode);
            clerks[0].check(&format!("{mode}-missing"), "").await;
            for (i, key) in keys(20).iter().enumerate() {
                let key = format!("{mode}-{key}");
                clerks[i % 5].must_put(&key, "a").await;
                clerks[(i + 1) % 5].check(&key, "a").await;
                clerks[(i + 2) % 5].must_put(&key, "b").await;
                clerks[(i + 3) % 5].check(&key, "b").await;
                clerks[(i + 4) % 5].check(&key, "b").await;
            }
        }
        cfg.check_linearizable();
        cfg.end();
    });
}

/// `clients` clerks in linearizable mode, each reaching every node, put and get random keys of
/// three for `secs` seconds; the history must be linearizable, and nearly every operation must
/// have succeeded (all nodes are up).
async fn concurrent(cfg: Cluster, clients: usize, secs: u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (cfg, stop) = (cfg.clone(), stop.clone());
            labrpc::spawn(async move {
                let mut ck = cfg.make_client(linearizable(), &cfg.all());
                let (mut done, mut failed) = (0, 0);
                let mut j = 0;
                while !stop.load(Ordering::SeqCst) {
                    let key = format!("k{}", labrpc::rand::random_range(0..3));
                    let result = if labrpc::rand::random_range(0..2) == 0 {
                        j += 1;
                        ck.put(&key, &format!("c{c}-{j}")).await
                    } else {
                        ck.get(&key).await.map(|_| ())
                    };
                    match result {
                        Ok(()) => done += 1,
                        Err(_) => failed += 1,
                    }
                    sleep(Duration::from_millis(5)).await;
                }
                (done, failed)
            })
        })
        .collect();
    sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::SeqCst);
    let (mut done, mut failed) = (0, 0);
    for task in tasks {
        let (d, f) = task.await.expect("a client task failed");
        (done, failed) = (done + d, failed + f);
    }
    assert!(
        done >= 50 * clients && failed * 20 <= done + failed,
        "{done} operations succeeded and {failed} failed: with every node up, at least 95% must \
         succeed (and each client must get at least 50 done)"
    );
    cfg.check_linearizable();
}

#[test]
fn concurrent_linearizable_6a() {
    run(Setup::ring(5), |cfg| async move {
        cfg.begin("Test: concurrent clients, linearizable (6A)", 5);
        concurrent(cfg.clone(), 5, 5).await;
        cfg.end();
    });
}

#[test]
fn unreliable_linearizable_6a() {
    run(
        Setup {
            nodes: 5,
            on_ring: 5,
            unreliable: true,
            anti_entropy: false,
        },
        |cfg| async move {
            cfg.begin("Test: unreliable network, linearizable (6A)", 5);
            concurrent(cfg.clone(), 5, 5).await;
            cfg.end();
        },
    );
}

/// With one replica of each key down, every operation still finds its quorum of two.
#[test]
fn one_replica_down_6a() {
    run(Setup::ring(5), |cfg| async move {
        cfg.begin("Test: one replica of three down (6A)", 1);
        let mut ck = cfg.make_client(linearizable(), &cfg.all());
        let keys = keys(40);
        for key in &keys {
            ck.must_put(key, "before").await;
        }
        for down in [0, 3] {
            cfg.crash(down);
            for key in &keys {
                let value = format!("{key} without S{down}");
                ck.must_put(key, &value).await;
                ck.check(key, &value).await;
            }
            cfg.restart(down, &cfg.all());
        }
        cfg.check_linearizable();
        cfg.end();
    });
}

/// With two of a key's three replicas down, strict quorums cannot form: its operations fail
/// with NotEnoughReplicas, soon, while keys with two replicas up keep working.
#[test]
fn two_replicas_down_6a() {
    run(Setup::ring(5), |cfg| async move {
        cfg.begin("Test: two replicas of three down (6A)", 2);
        let down = [1, 2];
        let keys = keys(60);
        let mut ck = cfg.make_client(linearizable(), &cfg.all());
        for key in &keys {
            ck.must_put(key, "up").await;
        }
        for d in down {
            cfg.crash(d);
        }
        let lost = |key: &String| cfg.home(key, N).iter().filter(|h| down.contains(h)).count();
        let failing: Vec<&String> = keys.iter().filter(|k| lost(k) == 2).take(3).collect();
        assert!(
            !failing.is_empty(),
            "no key has both S1 and S2 among its replicas"
        );
        for options in [linearizable(), plain()] {
            let mut ck = cfg.make_client(options, &cfg.all());
            for key in keys.iter().filter(|k| lost(k) < 2) {
                ck.check(key, "up").await;
                ck.must_put(key, "still up").await;
                ck.check(key, "still up").await;
                ck.must_put(key, "up").await;
            }
            for &key in &failing {
                let started = Instant::now();
                let put = ck.put(key, "nowhere").await;
                let get = ck.get(key).await;
                let took = started.elapsed();
                for (op, result) in [("Put", put.map(|_| String::new())), ("Get", get)] {
                    assert!(
                        matches!(result, Err(DynamoError::NotEnoughReplicas { .. })),
                        "{op}({key:?}) with two of its replicas ({}) down: expected \
                         NotEnoughReplicas, got {result:?}",
                        names(&cfg.home(key, N))
                    );
                }
                // A writer that needs one reply to read but two to write finds its read and
                // must still fail its write: one replica up is not a write quorum.
                let one_to_read = Options::new(Quorum::new(3, 1, 2).unwrap(), Mode::Quorum);
                let mut hasty = cfg.make_client(one_to_read.unwrap(), &cfg.all());
                let short = hasty.put(key, "one copy").await;
                assert!(
                    matches!(short, Err(DynamoError::NotEnoughReplicas { .. })),
                    "Put({key:?}) with W = 2 and one of its replicas up: expected \
                     NotEnoughReplicas, got {short:?} (was it acknowledged short of W?)"
                );
                let bound = 2 * (QUORUM_TIMEOUT + Duration::from_millis(500));
                labrpc::sim::bound(
                    "ms for two failing operations",
                    took.as_millis() as f64,
                    bound.as_millis() as f64,
                );
                assert!(
                    took <= bound,
                    "a Put and a Get of {key:?} took {took:?} to fail: a coordinator gives up \
                     after QUORUM_TIMEOUT ({QUORUM_TIMEOUT:?})"
                );
            }
        }
        cfg.end();
    });
}

/// A replica cut off during writes is stale when it comes back; a read of each key in plain
/// mode brings it up to date (read repair), without any other write.
#[test]
fn read_repair_6a() {
    run(Setup::ring(5), |cfg| async move {
        cfg.begin("Test: read repair (6A)", 1);
        let stale = 4;
        let keys: Vec<String> = (keys(100).into_iter())
            .filter(|k| cfg.home(k, N).contains(&stale))
            .take(20)
            .collect();
        assert_eq!(
            keys.len(),
            20,
            "of 100 keys, fewer than 20 have S{stale} among their {N} replicas: is every preference \
             list {N} distinct nodes?"
        );
        let mut ck = cfg.make_client(plain(), &cfg.all());
        for key in &keys {
            ck.must_put(key, "old").await;
        }
        sleep(Duration::from_millis(200)).await;
        let others: Vec<usize> = (0..5).filter(|&i| i != stale).collect();
        cfg.partition(&[&others, &[stale]]);
        let mut ck = cfg.make_client(plain(), &others);
        for key in &keys {
            ck.must_put(key, "new").await;
        }
        // Until their timeout, the writes' coordinators keep trying S4: heal only after it.
        sleep(QUORUM_TIMEOUT + Duration::from_millis(200)).await;
        cfg.heal();
        sleep(Duration::from_millis(500)).await;
        for key in &keys {
            assert_eq!(
                cfg.stored(stale, key).as_deref(),
                Some("old"),
                "S{stale} was cut off during the second write of {key:?}"
            );
        }
        for key in &keys {
            ck.check(key, "new").await;
        }
        sleep(Duration::from_millis(500)).await;
        for key in &keys {
            assert_eq!(
                cfg.stored(stale, key).as_deref(),
                Some("new"),
                "a read of {key:?} saw S{stale}'s stale copy and must repair it"
            );
        }
        cfg.end();
    });
}

/// Two keys of the same three replicas A, B, C, and three coordinators X, Y, Z that are not
/// among them.
fn stale_read_cast(cfg: &Cluster) -> ([String; 2], [NodeId; 3], [NodeId; 3]) {
    let first = "stale-0".to_string();
    let home = cfg.home(&first, N);
    let second = (1..1000)
        .map(|i| format!("stale-{i}"))
        .find(|k| {
            let mut h = cfg.home(k, N);
            h.sort_unstable();
            let mut want = home.clone();
            want.sort_unstable();
            h == want
        })
        .expect("two keys share their replicas");
    let outside: Vec<NodeId> = cfg
        .all()
        .into_iter()
        .filter(|i| !home.contains(i))
        .collect();
    (
        [first, second],
        [home[0], home[1], home[2]],
        [outside[0], outside[1], outside[2]],
    )
}

/// The fixed scenario of a stale read. A write reaches only A (its coordinator X is cut off
/// from B and C, so it fails after its timeout, a write that may or may not take effect). Y,
/// cut off from C, reads A and B and returns the new value; right after, Z, cut off from A,
/// reads B and C. In plain mode, Y repairs B only after REPAIR_WAIT, so Z reads the old value:
/// a later read saw less than an earlier one, which no linearizable store allows. In
/// linearizable mode Y writes the value back to A and B before it answers, so Z sees it.
#[test]
fn plain_reads_can_be_stale_6a() {
    run(Setup::ring(6), |cfg| async move {
        cfg.begin(
            "Test: a stale read in plain mode, none with write-back (6A)",
            3,
        );
        let (keys, [a, b, c], [x, y, z]) = stale_read_cast(&cfg);
        let writer = Options::new(Quorum::new(3, 1, 3).unwrap(), Mode::Quorum).unwrap();
        for (key, reads) in keys.iter().zip([plain(), linearizable()]) {
            let mut setup = cfg.make_client(linearizable(), &cfg.all());
            setup.must_put(key, "old").await;
            sleep(Duration::from_millis(100)).await;
            let group = cfg.group();
            group.disconnect(x, &[b, c]);
            let mut wx = cfg.make_client(writer, &[x]);
            let write = {
                let key = key.clone();
                labrpc::spawn(async move { wx.put(&key, "new").await })
            };
            let deadline = Instant::now() + Duration::from_millis(500);
            while cfg.stored(a, key).as_deref() != Some("new") {
                assert!(Instant::now() < deadline, "the write never reached S{a}");
                sleep(Duration::from_millis(1)).await;
            }
            group.disconnect(y, &[c]);
            group.disconnect(z, &[a]);
            let mut ry = cfg.make_client(reads, &[y]);
            let mut rz = cfg.make_client(reads, &[z]);
            assert_eq!(ry.must_get(key).await, "new", "S{y} reads S{a}'s new copy");
            let second = rz.must_get(key).await;
            let result = write.await.expect("the writer's task");
            assert!(
                result.is_err(),
                "the write reached only S{a}, yet it succeeded"
            );
            cfg.heal();
            if reads.mode == Mode::Quorum {
                assert_eq!(
                    second, "old",
                    "in plain mode, S{z} reads S{b} and S{c} before S{y}'s repair reaches S{b}"
                );
            }
        }
        let verdict_of = |key: &str| {
            let mut history = cfg.history().history();
            history.ops.retain(|op| op.input.key == key);
            check(&KvModel, &history, None).verdict
        };
        assert_eq!(
            verdict_of(&keys[0]),
            Verdict::Illegal,
            "plain mode: the history of {:?} has a read that saw less than an earlier read",
            keys[0]
        );
        assert_eq!(
            verdict_of(&keys[1]),
            Verdict::Ok,
            "linearizable mode: the history of {:?} must be linearizable (does a Get write its \
             value back to W replicas before it answers?)",
            keys[1]
        );
        cfg.end();
    });
}

/// Two writes of one key, through the same coordinator at the same instant, read the same
/// newest stamp: they must still get different stamps, or replicas that received them in
/// different orders keep different values for good.
#[test]
fn concurrent_writes_agree_6a() {
    run(Setup::ring(5), |cfg| async move {
        cfg.begin(
            "Test: concurrent writes through one coordinator agree (6A)",
            2,
        );
        for i in 0..10 {
            let key = format!("k{i}");
            let writes: Vec<_> = ["a", "b"]
                .into_iter()
                .map(|value| {
                    let mut ck = cfg.make_client(plain(), &[0]);
                    let key = key.clone();
                    labrpc::spawn(async move { ck.put(&key, value).await })
                })
                .collect();
            for write in writes {
                write
                    .await
                    .expect("a writer's task")
                    .expect("both writes succeed");
            }
            // Both writes reach all three replicas within a few messages.
            sleep(Duration::from_millis(200)).await;
            let home = cfg.home(&key, N);
            let held: Vec<Option<String>> = home.iter().map(|&r| cfg.stored(r, &key)).collect();
            assert!(
                held.iter().all(|h| h == &held[0]) && held[0].is_some(),
                "after two writes of {key:?} through S0 completed, its replicas {} hold {held:?}: \
                 two writes must never share a stamp, or replicas keep whichever came first",
                names(&home)
            );
        }
        cfg.end();
    });
}

/// The answer to a write is lost after the write took effect (its clerk is cut off), and the
/// clerk resends it to the same node while other clients read it and then overwrite it. The
/// resend must not become a new write: the later write stays.
#[test]
fn resent_write_6a() {
    run(Setup::ring(5), |cfg| async move {
        cfg.begin("Test: a write resent after its answer was lost (6A)", 3);
        let key = "resent".to_string();
        let home = cfg.home(&key, N);
        let (a, b, c) = (home[0], home[1], home[2]);
        let outside: Vec<NodeId> = cfg
            .all()
            .into_iter()
            .filter(|i| !home.contains(i))
            .collect();
        let (x, z) = (outside[0], outside[1]);
        let mut reader = cfg.make_client(linearizable(), &[z]);
        let mut other = cfg.make_client(linearizable(), &[z]);
        other.must_put(&key, "old").await;
        sleep(Duration::from_millis(100)).await;
        // X reaches only A: it reads one stamp (R = 1) and waits for a second replica (W = 2).
        cfg.group().disconnect(x, &[b, c]);
        let options = Options::new(Quorum::new(3, 1, 2).unwrap(), Mode::Quorum).unwrap();
        let mut writer = cfg.make_client(options, &[x]);
        let links = writer.links();
        let write = {
            let key = key.clone();
            labrpc::spawn(async move { writer.put(&key, "v").await })
        };
        let wait_for = |node: NodeId, value: &'static str| {
            let (cfg, key) = (cfg.clone(), key.clone());
            async move {
                let deadline = Instant::now() + Duration::from_secs(1);
                while cfg.stored(node, &key).as_deref() != Some(value) {
                    assert!(Instant::now() < deadline, "S{node} never stored {value:?}");
                    sleep(Duration::from_millis(1)).await;
                }
            }
        };
        wait_for(a, "v").await;
        // The writer is cut off while X still waits: X's answer will be lost.
        cfg.link_client(&links, false);
        cfg.group().connect(x, &[b]);
        wait_for(b, "v").await;
        assert_eq!(reader.must_get(&key).await, "v", "A and B hold v");
        other.must_put(&key, "w").await;
        assert_eq!(reader.must_get(&key).await, "w");
        // The writer reaches X again and resends.
        cfg.link_client(&links, true);
        let resent = write.await.expect("the writer's task");
        assert!(resent.is_ok(), "the resent write failed: {resent:?}");
        sleep(Duration::from_millis(100)).await;
        assert_eq!(
            reader.must_get(&key).await,
            "w",
            "a write resent after its answer was lost overwrote a later write: a coordinator \
             must recognise a resent write (its clerk and number) and keep its first stamp"
        );
        cfg.heal();
        cfg.check_linearizable();
        cfg.end();
    });
}
