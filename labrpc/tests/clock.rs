//! Node clocks: exact without a skew; with one, each node's own offset and drift, within the
//! bounds, the same for a seed, and kept across a node's restarts.

use std::sync::{Arc, Mutex};

use labrpc::clock::{self, EPOCH};
use labrpc::{Node, sim};
use tokio::time::{Duration, sleep};

/// What nodes S0..S4 (and S0 again, restarted) read after 10 s, with the given skew.
fn readings(seed: u64, skew: Option<(Duration, u32)>) -> Vec<Duration> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let seen = out.clone();
    sim::Builder::new("clock readings")
        .seed(seed)
        .iterations(1)
        .check_determinism(false)
        .run(move || {
            let seen = seen.clone();
            async move {
                if let Some((offset, drift)) = skew {
                    clock::set_skew(offset, drift);
                }
                sleep(Duration::from_secs(10)).await;
                let mut read = Vec::new();
                for i in 0..5 {
                    read.push(Node::new(&format!("S{i}")).enter(clock::now));
                }
                read.push(Node::new("S0").enter(clock::now));
                assert_eq!(
                    clock::now(),
                    EPOCH + Duration::from_secs(10),
                    "the harness reads true time"
                );
                *seen.lock().unwrap() = read;
            }
        });
    out.lock().unwrap().clone()
}

#[test]
fn without_a_skew_every_clock_reads_virtual_time() {
    let read = readings(1, None);
    assert!(
        read.iter().all(|&t| t == EPOCH + Duration::from_secs(10)),
        "{read:?}"
    );
}

#[test]
fn a_skew_gives_each_node_its_own_clock_within_the_bounds() {
    let skew = Some((Duration::from_millis(500), 10_000));
    let read = readings(7, skew);
    let exact = EPOCH + Duration::from_secs(10);
    for &t in &read {
        // ±500 ms of offset, ±1% of 10 s of drift.
        let off = t.abs_diff(exact);
        assert!(off <= Duration::from_millis(600), "{t:?} is {off:?} off");
    }
    assert_eq!(read[0], read[5], "a restarted node keeps its clock");
    let distinct: std::collections::BTreeSet<Duration> = read[..5].iter().copied().collect();
    assert_eq!(distinct.len(), 5, "every node has its own clock: {read:?}");
    assert_eq!(read, readings(7, skew), "the seed decides the clocks");
    assert_ne!(read, readings(8, skew));
}
