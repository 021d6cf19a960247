//! 6D: Merkle-tree anti-entropy. A replica restarted with an empty disk, and one that missed
//! writes while cut off (strict quorums keep no hints), converge through anti-entropy alone; the
//! bytes it sends grow with the differences, not with the data.

use dynamo::{Mode, Options, QUORUM_TIMEOUT};
use tokio::time::{Duration, Instant, sleep};

use crate::harness::{ANTI_ENTROPY_EVERY, CONVERGE_WITHIN, Cluster, Setup, run};

/// Bytes sent per byte of a differing key and its value, beyond the trees: an entry travels with
/// its stamp and framing (about 50 bytes for these short keys), once or twice.
const K: usize = 16;

const N: usize = 3;

fn strict() -> Options {
    Options::default_in(Mode::Quorum)
}

fn with_anti_entropy(nodes: usize) -> Setup {
    Setup {
        anti_entropy: true,
        ..Setup::ring(nodes)
    }
}

/// Waits until the home replicas of every key of `keys` agree, up to `within`; returns how long
/// it took.
async fn converged(cfg: &Cluster, keys: &[String], within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let agree = keys.iter().all(|k| {
            let home = cfg.home(k, N);
            let first = cfg.stored(home[0], k);
            home.iter().all(|&h| cfg.stored(h, k) == first)
        });
        if agree || started.elapsed() >= within {
            return started.elapsed();
        }
        sleep(Duration::from_millis(50)).await;
    }
}

/// Puts `count` keys `prefix0`, `prefix1`, ... (values `<key>=<version>`) with `clients`
/// clerks at once, through the nodes of `to`.
async fn load(
    cfg: &Cluster,
    to: &[usize],
    (prefix, version): (&str, &str),
    count: usize,
    clients: usize,
) -> Vec<String> {
    let keys: Vec<String> = (0..count).map(|i| format!("{prefix}{i}")).collect();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let mine: Vec<String> = keys.iter().skip(c).step_by(clients).cloned().collect();
            let mut ck = cfg.make_client(strict(), to);
            let version = version.to_string();
            labrpc::spawn(async move {
                for key in mine {
                    ck.must_put(&key, &format!("{key}={version}")).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a loading client");
    }
    keys
}

/// Waits until halfway between two beats of the nodes' anti-entropy rounds (every node started
/// at time zero and beats every [`ANTI_ENTROPY_EVERY`]).
async fn between_beats() {
    let period = ANTI_ENTROPY_EVERY.as_micros() as u64;
    let now = labrpc::sim::elapsed().as_micros() as u64;
    let wait = (period - now % period + period / 2) % period;
    sleep(Duration::from_micros(wait)).await;
}

/// The bytes on the network while `work` runs.
async fn bytes_during(cfg: &Cluster, work: impl std::future::Future<Output = ()>) -> u64 {
    let before = cfg.net().total_bytes();
    work.await;
    cfg.net().total_bytes() - before
}

/// 10,000 keys on five nodes. With the replicas identical, a round of anti-entropy sends only
/// the roots of the ranges two nodes share; after one replica missed 1% of the writes, it
/// converges, and what anti-entropy sent is in proportion to the differing keys, not to the
/// 10,000.
#[test]
fn anti_entropy_cost_6d() {
    run(with_anti_entropy(5), |cfg| async move {
        cfg.begin("Test: anti-entropy cost on 10,000 keys (6D)", 250);
        let keys = load(&cfg, &cfg.all(), ("k", "v"), 10_000, 250).await;
        let took = converged(&cfg, &keys, Duration::from_secs(5)).await;
        assert!(
            took < Duration::from_secs(5),
            "the replicas never agreed after the load"
        );
        // Identical replicas: each round, one message of roots to one other node, nothing more.
        // Windows start between two beats of the nodes' rounds, so each holds the same rounds.
        let window = Duration::from_secs(2);
        between_beats().await;
        let quiet = bytes_during(&cfg, sleep(window)).await;
        let ring = cfg.ring();
        let shared = |a: usize, b: usize| {
            (0..ring.partitions())
                .filter(|&p| {
                    let home = &ring.walk_from(p)[..N];
                    home.contains(&a) && home.contains(&b)
                })
                .count()
        };
        let most_shared = (0..5)
            .flat_map(|a| (0..5).filter(move |&b| b != a).map(move |b| (a, b)))
            .map(|(a, b)| shared(a, b))
            .max()
            .unwrap_or(0);
        // A root is a partition number and a hash (12 bytes); a round, a request and an empty
        // reply (some tens of bytes of framing).
        let rounds = (window.as_millis() / ANTI_ENTROPY_EVERY.as_millis()) as u64;
        let roots_only = 5 * rounds * (12 * most_shared as u64 + 64);
        labrpc::sim::bound(
            "anti-entropy bytes, identical replicas",
            quiet as f64,
            roots_only as f64,
        );
        assert!(
            quiet <= roots_only,
            "with every replica identical, anti-entropy sent {quiet} bytes in {window:?}: more \
             than the roots of the ranges two nodes share ({roots_only} bytes at most)"
        );

        // One replica misses 100 writes (strict quorums: no hints), then comes back.
        let behind = 4;
        let others: Vec<usize> = (0..5).filter(|&i| i != behind).collect();
        cfg.partition(&[&others, &[behind]]);
        let mut ck = cfg.make_client(strict(), &others);
        let changed: Vec<String> = keys.iter().take(100).cloned().collect();
        for key in &changed {
            ck.must_put(key, &format!("{key}=w")).await;
        }
        let differing = changed
            .iter()
            .filter(|k| cfg.home(k, N).contains(&behind))
            .count();
        sleep(QUORUM_TIMEOUT + Duration::from_millis(200)).await;
        between_beats().await;
        cfg.heal();
        let sync = bytes_during(&cfg, sleep(window)).await;
        let took = converged(&cfg, &changed, Duration::ZERO).await;
        assert!(
            took.is_zero(),
            "S{behind} had not caught up within {window:?}"
        );
        // Beyond the roots, which are the same in both windows, each differing key costs its
        // range's leaves and its entries (a key and value with their stamp and framing: about
        // K times their size).
        let extra = sync.saturating_sub(quiet);
        let (key_value, leaves) = ("k10".len() + "k10=w".len(), 16 * 8 + 16);
        let bound = (differing * (K * key_value + leaves)) as u64;
        labrpc::sim::bound(
            "anti-entropy bytes, 1% differing",
            extra as f64,
            bound as f64,
        );
        assert!(
            extra <= bound,
            "{differing} keys differed; beyond the roots, anti-entropy sent {extra} bytes to \
             converge, more than their ranges' leaves ({leaves} bytes each) and {K} x their keys \
             and values ({key_value} bytes each): {bound} bytes. Does it send only the entries \
             under the leaves that differ?"
        );
        cfg.check_converged(N);
        cfg.end();
    });
}

/// A replica restarted with an empty disk, with no client traffic at all, gets back every key it
/// replicates through anti-entropy alone.
#[test]
fn wiped_replica_converges_6d() {
    run(with_anti_entropy(5), |cfg| async move {
        cfg.begin(
            "Test: a wiped replica converges through anti-entropy (6D)",
            20,
        );
        let keys = load(&cfg, &cfg.all(), ("w", "1"), 300, 20).await;
        sleep(Duration::from_millis(500)).await;
        let wiped = 2;
        cfg.wipe(wiped, &cfg.all());
        let mine = keys
            .iter()
            .filter(|k| cfg.home(k, N).contains(&wiped))
            .count();
        assert!(mine > 0);
        let took = converged(&cfg, &keys, Duration::from_secs(5)).await;
        labrpc::sim::bound(
            "ms to converge after a wipe",
            took.as_millis() as f64,
            3000.0,
        );
        assert!(
            took <= Duration::from_secs(3),
            "S{wiped} came back empty and had not got back its {mine} keys within 3 s"
        );
        cfg.check_replicas_agree(&keys, N);
        cfg.check_converged(N);
        cfg.end();
    });
}

/// A replica cut off while strict quorums wrote around it (no hints) converges after the cut
/// heals through anti-entropy alone: no reads, no hints.
#[test]
fn missed_writes_converge_6d() {
    run(with_anti_entropy(5), |cfg| async move {
        cfg.begin("Test: missed writes converge through anti-entropy (6D)", 10);
        let keys = load(&cfg, &cfg.all(), ("m", "1"), 200, 10).await;
        let behind = 1;
        let others: Vec<usize> = (0..5).filter(|&i| i != behind).collect();
        cfg.partition(&[&others, &[behind]]);
        load(&cfg, &others, ("m", "2"), 200, 10).await;
        sleep(QUORUM_TIMEOUT + Duration::from_millis(200)).await;
        let stale = keys
            .iter()
            .filter(|k| cfg.stored(behind, k).is_some_and(|v| !v.ends_with("=2")))
            .count();
        assert!(
            stale > 0,
            "S{behind} was cut off, yet missed none of the writes"
        );
        assert_eq!(cfg.hints_left(), 0, "strict quorums keep no hints");
        cfg.heal();
        sleep(CONVERGE_WITHIN).await;
        cfg.check_replicas_agree(&keys, N);
        cfg.check_converged(N);
        cfg.end();
    });
}
