//! 4B: snapshots.

use crate::generic::{Setup, generic_test, generic_test_speed};
use crate::harness::{ELECTION_TIMEOUT, run};

/// The servers snapshot when their Raft state reaches this many bytes.
const MAXRAFTSTATE: usize = 1000;

/// The bound on a snapshot after `snapshot_size_4b`, whose service holds one key with a one-byte
/// value and one clerk's duplicate-detection entry.
///
/// Go's bound is 500 bytes of gob, "generous for the operations we're doing here". Gob spends 62
/// bytes on that state as a typical solution saves it (the applied index, a map[string]string
/// and a map[int64]int64 of clerk id to request number), 40 of them on type descriptors; the
/// bound leaves 438 bytes beyond it. The reference's bincode snapshot of the same state is 21
/// bytes (index 3, map 5, duplicate table 13), and extra content costs about the same in either
/// encoding (strings are a length and their bytes, integers variable-length in both), so the
/// same headroom gives 21 + 438 = 459 bytes.
const MAX_SNAPSHOT_SIZE: usize = 459;

/// `GenericTest` for part 4B (snapshots at 1000 bytes, keys of their own).
fn generic(clients: usize, unreliable: bool, crash: bool, partitions: bool) {
    generic_test(Setup {
        part: "4B",
        clients,
        servers: 5,
        unreliable,
        crash,
        partitions,
        maxraftstate: Some(MAXRAFTSTATE),
        random_keys: false,
    });
}

/// If one server falls behind and then rejoins, does it catch up through InstallSnapshot? Also
/// checks that a majority discards committed log entries even if the minority does not answer.
#[test]
fn snapshot_rpc_4b() {
    run(3, false, Some(MAXRAFTSTATE), |cfg| async move {
        let mut ck = cfg.make_client(&cfg.all());
        cfg.begin("Test: InstallSnapshot RPC (4B)", 1);
        ck.put("a", "A", None).await;
        ck.check("a", "A").await;

        // A bunch of puts into the majority partition.
        cfg.partition(&[0, 1], &[2]);
        let mut ck1 = cfg.make_client(&[0, 1]);
        for i in 0..50 {
            ck1.put(&i.to_string(), &i.to_string(), None).await;
        }
        tokio::time::sleep(ELECTION_TIMEOUT).await;
        ck1.put("b", "B", None).await;

        // The majority must have thrown away most of its log.
        cfg.check_logs();

        // A majority that needs the lagging server, which must catch up.
        cfg.partition(&[0, 2], &[1]);
        let mut ck1 = cfg.make_client(&[0, 2]);
        ck1.put("c", "C", None).await;
        ck1.put("d", "D", None).await;
        ck1.check("a", "A").await;
        ck1.check("b", "B").await;
        ck1.check("1", "1").await;
        ck1.check("49", "49").await;

        // Everybody.
        cfg.partition(&[0, 1, 2], &[]);
        ck.put("e", "E", None).await;
        ck.check("c", "C").await;
        ck.check("e", "E").await;
        ck.check("1", "1").await;
        cfg.end();
    });
}

/// Are the snapshots not too large?
#[test]
fn snapshot_size_4b() {
    run(3, false, Some(MAXRAFTSTATE), |cfg| async move {
        let mut ck = cfg.make_client(&cfg.all());
        cfg.begin("Test: snapshot size is reasonable (4B)", 1);
        for _ in 0..200 {
            ck.put("x", "0", None).await;
            ck.check("x", "0").await;
            ck.put("x", "1", None).await;
            ck.check("x", "1").await;
        }
        // The servers must have thrown away most of their logs...
        cfg.check_logs();
        // ...and kept snapshots of reasonable size.
        let snapshot = cfg.group().snapshot_size();
        labrpc::sim::bound("snapshot bytes", snapshot as f64, MAX_SNAPSHOT_SIZE as f64);
        assert!(
            snapshot <= MAX_SNAPSHOT_SIZE,
            "snapshot too large ({snapshot} > {MAX_SNAPSHOT_SIZE})"
        );
        cfg.end();
    });
}

#[test]
fn speed_4b() {
    generic_test_speed("4B", Some(MAXRAFTSTATE));
}

#[test]
fn snapshot_recover_4b() {
    generic(1, false, true, false);
}

#[test]
fn snapshot_recover_many_clients_4b() {
    generic(20, false, true, false);
}

#[test]
fn snapshot_unreliable_4b() {
    generic(5, true, false, false);
}

#[test]
fn snapshot_unreliable_recover_4b() {
    generic(5, true, true, false);
}

#[test]
fn snapshot_unreliable_recover_concurrent_partition_4b() {
    generic(5, true, true, true);
}

#[test]
fn snapshot_unreliable_recover_concurrent_partition_linearizable_4b() {
    generic_test(Setup {
        part: "4B",
        clients: 15,
        servers: 7,
        unreliable: true,
        crash: true,
        partitions: true,
        maxraftstate: Some(MAXRAFTSTATE),
        random_keys: true,
    });
}
