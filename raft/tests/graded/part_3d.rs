//! 3D: log compaction.

use crate::harness::{Cmd, SNAPSHOT_INTERVAL, random_int, run};

/// The bound on a peer's persisted Raft state while the service snapshots every 10 entries.
///
/// Go's bound is 2000 bytes of gob. Gob spends about 20 bytes on a log entry holding a random int
/// command (field tags, the term, the interface's type name "int", a length and 9 bytes of
/// integer) and about 80 on type descriptors and the other fields, so Go fails a peer that keeps
/// more than about 96 entries. With labrpc::codec an entry costs 12 bytes (term 1, length 1,
/// command 10: a 1-byte tag and a 9-byte varint) and the other fields about 8, so the same 96
/// entries are 96 * 12 + 8 = 1160 bytes. A peer that trims its log keeps 25 or fewer.
const MAX_LOG_SIZE: usize = 1160;

fn snap_common(desc: &str, disconnect: bool, reliable: bool, crash: bool) {
    run(3, !reliable, true, desc, |cfg| async move {
        let servers = cfg.n();
        cfg.one(random_int(), servers, true).await;
        let mut leader1 = cfg.check_one_leader().await;

        for i in 0..30 {
            let (mut victim, mut sender) = ((leader1 + 1) % servers, leader1);
            if i % 3 == 1 {
                sender = (leader1 + 1) % servers;
                victim = leader1;
            }

            if disconnect {
                cfg.disconnect(victim);
                cfg.one(random_int(), servers - 1, true).await;
            }
            if crash {
                cfg.crash1(victim);
                cfg.one(random_int(), servers - 1, true).await;
            }

            // Perhaps send enough to get a snapshot.
            let nn = SNAPSHOT_INTERVAL / 2 + labrpc::rand::random_range(0..SNAPSHOT_INTERVAL);
            let rf = cfg.raft(sender).expect("the sender is running");
            for _ in 0..nn {
                rf.start(Cmd::random().encode());
            }

            // Let applier tasks catch up with the start()s.
            if !disconnect && !crash {
                // Make sure all followers have caught up, so that an InstallSnapshot RPC isn't
                // required for snapshot_basic_3d.
                cfg.one(random_int(), servers, true).await;
            } else {
                cfg.one(random_int(), servers - 1, true).await;
            }

            let size = cfg.log_size();
            labrpc::sim::bound("Raft state bytes", size as f64, MAX_LOG_SIZE as f64);
            assert!(size < MAX_LOG_SIZE, "Log size too large ({size} bytes)");

            if disconnect {
                // Reconnect a follower, who maybe behind and needs to receive a snapshot to catch
                // up.
                cfg.connect(victim);
                cfg.one(random_int(), servers, true).await;
                leader1 = cfg.check_one_leader().await;
            }
            if crash {
                cfg.start1(victim);
                cfg.connect(victim);
                cfg.one(random_int(), servers, true).await;
                leader1 = cfg.check_one_leader().await;
            }
        }
    });
}

#[test]
fn snapshot_basic_3d() {
    snap_common("Test (3D): snapshots basic", false, true, false);
}

#[test]
fn snapshot_install_3d() {
    snap_common(
        "Test (3D): install snapshots (disconnect)",
        true,
        true,
        false,
    );
}

#[test]
fn snapshot_install_unreliable_3d() {
    snap_common(
        "Test (3D): install snapshots (disconnect+unreliable)",
        true,
        false,
        false,
    );
}

#[test]
fn snapshot_install_crash_3d() {
    snap_common("Test (3D): install snapshots (crash)", false, true, true);
}

#[test]
fn snapshot_install_uncrash_3d() {
    snap_common(
        "Test (3D): install snapshots (unreliable+crash)",
        false,
        false,
        true,
    );
}

/// Do servers persist the snapshots, and restart using snapshot along with the tail of the log?
#[test]
fn snapshot_all_crash_3d() {
    run(
        3,
        false,
        true,
        "Test (3D): crash and restart all servers",
        |cfg| async move {
            let servers = cfg.n();
            cfg.one(random_int(), servers, true).await;

            for _ in 0..5 {
                // Perhaps enough to get a snapshot.
                let nn = SNAPSHOT_INTERVAL / 2 + labrpc::rand::random_range(0..SNAPSHOT_INTERVAL);
                for _ in 0..nn {
                    cfg.one(random_int(), servers, true).await;
                }

                let index1 = cfg.one(random_int(), servers, true).await;

                // Crash and revive all.
                cfg.crash_and_restart_all();

                let index2 = cfg.one(random_int(), servers, true).await;
                assert!(index2 > index1, "index decreased from {index1} to {index2}");
            }
        },
    );
}

/// Do servers correctly initialize their in-memory copy of the snapshot, making sure that future
/// writes to persistent state don't lose state?
#[test]
fn snapshot_init_3d() {
    run(
        3,
        false,
        true,
        "Test (3D): snapshot initialization after crash",
        |cfg| async move {
            let servers = cfg.n();
            cfg.one(random_int(), servers, true).await;

            // Enough ops to make a snapshot.
            for _ in 0..SNAPSHOT_INTERVAL + 1 {
                cfg.one(random_int(), servers, true).await;
            }

            // Crash and revive all.
            cfg.crash_and_restart_all();

            // A single op, to get something to be written back to persistent storage.
            cfg.one(random_int(), servers, true).await;

            cfg.crash_and_restart_all();

            // Do another op to trigger a potential bug.
            cfg.one(random_int(), servers, true).await;
        },
    );
}
