//! Lab 2's memory tests: the ports of 6.5840's TestMemGet2, TestMemPut2, TestMemAppend2,
//! TestMemPutManyClients and TestMemGetManyClients, with the same bounds.
//!
//! Go measures the heap after a garbage collection; here a counting global allocator measures the
//! live heap of this test binary, which Rust frees as soon as a value is dropped. The figure
//! covers the whole process, so these tests run one at a time (the `SERIAL` lock), and the tester
//! drops its own copies of large values before measuring, as Go's collector would free them.

mod harness;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use harness::Config;
use labrpc::sim;
use tests::memory::{CountingAllocator, live_bytes};
use tests::summary::{Summary, Tally};
use tokio::time::sleep;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

static SERIAL: Mutex<()> = Mutex::new(());

/// The live heap when the running test started. What earlier tests of the process left behind is
/// not the server's: a failed test's backtrace, for one, keeps the binary's parsed debug
/// information in memory for good, and would fail the next test's bound.
static BASELINE: AtomicUsize = AtomicUsize::new(0);

const MIB: usize = 1 << 20;
/// Size of the large values, in MiB (6.5840's `MEM`).
const MEM: usize = 10;
const MANY_CLIENTS: usize = 100_000;

/// Runs one memory test alone in the process.
fn run_alone<Fut: Future<Output = ()>>(test: &str, body: impl Fn() -> Fut) {
    let _alone = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    BASELINE.store(live_bytes(), Ordering::SeqCst);
    sim::run(test, body);
}

/// With `LAB_CHECK_DETERMINISM`, the simulator keeps every network event in memory to compare
/// the two runs, which the bounds cannot tell from the server's own use.
fn bounds_apply() -> bool {
    let checking = std::env::var("LAB_CHECK_DETERMINISM").is_ok_and(|v| !v.is_empty() && v != "0");
    if checking {
        println!(
            "note: LAB_CHECK_DETERMINISM keeps every network event in memory; memory bound not enforced"
        );
    }
    !checking
}

/// The live heap in whole MiB (Go's `HeapAlloc / MiB`) above what was in use when the test
/// started, printed for the record.
fn live_heap_mib() -> usize {
    let bytes = live_bytes().saturating_sub(BASELINE.load(Ordering::SeqCst));
    println!("live heap: {:.2} MiB", bytes as f64 / MIB as f64);
    bytes / MIB
}

fn random_value(len: usize) -> String {
    labrpc::rand::random_string(len)
}

/// Beyond 6.5840. Its memory tests for Puts, Appends and many clients belong to the part of the
/// lab on lost messages, but a server that never detects a retried request keeps no state at
/// all and passes them for free. These tests therefore also check, after their own bound, that
/// a fresh server on an unreliable network executes each Append exactly once. A server without
/// duplicate detection fails unless not one of the 100 replies is lost (odds about 1 in 37,000).
async fn check_appends_at_most_once() {
    const APPENDS: usize = 100;
    let cfg = Config::new(true);
    let (mut ck, _) = cfg.make_clerk();
    let mut expected = String::new();
    for i in 0..APPENDS {
        let piece = format!("{i};");
        ck.append("at-most-once", &piece).await;
        expected += &piece;
    }
    let got = ck.get("at-most-once").await;
    if got != expected {
        let same = got
            .bytes()
            .zip(expected.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        // Show where they part, from the piece before the first that differs.
        let piece_start = |end: usize| got[..end].rfind(';').map_or(0, |i| i + 1);
        let from = piece_start(piece_start(same).saturating_sub(1));
        panic!(
            "on an unreliable network, {APPENDS} Appends by one clerk (\"0;\", \"1;\", ...) left a \
             value that reads {:?}... where {:?}... was expected: the server must execute a \
             retried Append only once",
            &got[from..(from + 16).min(got.len())],
            &expected[from..(from + 16).min(expected.len())]
        );
    }
}

#[test]
fn mem_get_2() {
    run_alone("mem_get_2", || async {
        let cfg = Config::new(true);
        let (mut ck0, _) = cfg.make_clerk();
        let (mut ck1, _) = cfg.make_clerk();
        let summary = Summary::begin("Test: memory use get (2)");
        let value = random_value(MEM * MIB);
        ck0.put("k", &value).await;
        let len = value.len();
        drop(value);
        for ck in [&mut ck0, &mut ck1] {
            let got = ck.get("k").await;
            assert!(
                got.len() == len,
                "Get returned a value of {} bytes, expected {len}",
                got.len()
            );
        }
        ck0.put("k", "0").await;
        let mib = live_heap_mib();
        labrpc::sim::bound("live heap MiB", mib as f64, MEM as f64);
        if bounds_apply() {
            assert!(
                mib < MEM,
                "the server uses too much memory: {mib} MiB live after the {MEM} MiB value was \
                 replaced (limit: under {MEM} MiB). Does it keep Get replies or old values?"
            );
        }
        summary.passed(Tally {
            peers: 1,
            clients: 2,
            rpcs: cfg.rpcs(),
            ops: 4,
            bytes: None,
        });
    });
}

#[test]
fn mem_put_2() {
    run_alone("mem_put_2", || async {
        let cfg = Config::new(false);
        let (mut ck0, _) = cfg.make_clerk();
        let (mut ck1, _) = cfg.make_clerk();
        let summary = Summary::begin("Test: memory use put (2)");
        let value = random_value(MEM * MIB);
        ck0.put("k", &value).await;
        drop(value);
        ck1.put("k", "").await;
        let mib = live_heap_mib();
        labrpc::sim::bound("live heap MiB", mib as f64, MEM as f64);
        if bounds_apply() {
            assert!(
                mib < MEM,
                "the server uses too much memory: {mib} MiB live after the {MEM} MiB value was \
                 overwritten (limit: under {MEM} MiB). Does it keep the arguments of Puts?"
            );
        }
        check_appends_at_most_once().await;
        summary.passed(Tally {
            peers: 1,
            clients: 2,
            rpcs: cfg.rpcs(),
            ops: 2,
            bytes: None,
        });
    });
}

#[test]
fn mem_append_2() {
    run_alone("mem_append_2", || async {
        let cfg = Config::new(false);
        let (mut ck0, _) = cfg.make_clerk();
        let (mut ck1, _) = cfg.make_clerk();
        let summary = Summary::begin("Test: memory use append (2)");
        let value0 = random_value(MEM * MIB);
        drop(ck0.append("k", &value0).await);
        drop(value0);
        let value1 = random_value(MEM * MIB);
        drop(ck1.append("k", &value1).await);
        drop(value1);
        // The store holds 2 * MEM; one reply of MEM may be kept for a retransmission.
        let mib = live_heap_mib();
        labrpc::sim::bound("live heap MiB", mib as f64, (3 * MEM) as f64);
        if bounds_apply() {
            assert!(
                mib <= 3 * MEM,
                "the server uses too much memory: {mib} MiB live after two appends of {MEM} MiB \
                 (limit: {} MiB). Does it keep old Append replies it can no longer need?",
                3 * MEM
            );
        }
        check_appends_at_most_once().await;
        summary.passed(Tally {
            peers: 1,
            clients: 2,
            rpcs: cfg.rpcs(),
            ops: 2,
            bytes: None,
        });
    });
}

#[test]
fn mem_put_many_2() {
    const VALUE: usize = 1000;
    /// Bytes the server may keep per clerk after one Put each.
    const PER_CLIENT: usize = 200;
    run_alone("mem_put_many_2", || async {
        let cfg = Config::new(false);
        let value = random_value(VALUE);
        let mut clerks: Vec<_> = (0..MANY_CLIENTS).map(|_| cfg.make_clerk()).collect();
        sleep(Duration::from_secs(1)).await;
        let summary = Summary::begin("Test: memory use many put clients (2)");
        let m0 = live_bytes();
        for (ck, _) in &mut clerks {
            ck.put("k", &value).await;
        }
        sleep(Duration::from_secs(1)).await;
        let m1 = live_bytes();
        let per_client = (m1 as f64 - m0 as f64) / MANY_CLIENTS as f64;
        println!("live heap grew by {per_client:.1} bytes per clerk");
        labrpc::sim::bound("heap per clerk", per_client, PER_CLIENT as f64);
        if bounds_apply() {
            assert!(
                m1 <= m0 + MANY_CLIENTS * PER_CLIENT,
                "the server uses too much memory: {m0} -> {m1} bytes, {per_client:.1} per clerk \
                 (limit {PER_CLIENT}). Does it keep every clerk's Put value?"
            );
        }
        for (_, end) in &clerks {
            cfg.delete_clerk(end);
        }
        check_appends_at_most_once().await;
        summary.passed(Tally {
            peers: 1,
            clients: MANY_CLIENTS,
            rpcs: cfg.rpcs(),
            ops: MANY_CLIENTS as u64,
            bytes: None,
        });
    });
}

#[test]
fn mem_get_many_2() {
    /// Bytes the server may keep per clerk after one Get each: Gets must leave no state.
    const PER_CLIENT: usize = 10;
    run_alone("mem_get_many_2", || async {
        let cfg = Config::new(false);
        let summary = Summary::begin("Test: memory use many get clients (2)");
        let (mut ck, end) = cfg.make_clerk();
        ck.put("0", "").await;
        cfg.delete_clerk(&end);
        let mut clerks: Vec<_> = (0..MANY_CLIENTS).map(|_| cfg.make_clerk()).collect();
        sleep(Duration::from_secs(1)).await;
        let m0 = live_bytes();
        for (ck, _) in &mut clerks {
            ck.get("0").await;
        }
        sleep(Duration::from_secs(1)).await;
        let m1 = live_bytes();
        let per_client = (m1 as f64 - m0 as f64) / MANY_CLIENTS as f64;
        println!("live heap grew by {per_client:.1} bytes per clerk");
        labrpc::sim::bound("heap per clerk", per_client, PER_CLIENT as f64);
        if bounds_apply() {
            assert!(
                m1 < m0 + MANY_CLIENTS * PER_CLIENT,
                "the server uses too much memory: {m0} -> {m1} bytes, {per_client:.1} per clerk \
                 (limit: under {PER_CLIENT}). Does it keep state for Gets?"
            );
        }
        for (_, end) in &clerks {
            cfg.delete_clerk(end);
        }
        check_appends_at_most_once().await;
        summary.passed(Tally {
            peers: 1,
            clients: MANY_CLIENTS,
            rpcs: cfg.rpcs(),
            ops: MANY_CLIENTS as u64 + 1,
            bytes: None,
        });
    });
}
