//! The two challenges of 6.5840's Lab 5, graded as their own part: deleting shards a group no
//! longer owns, and serving shards unaffected by (or already through) an unfinished migration.

use std::collections::BTreeSet;

use shardkv::key2shard;
use tokio::time::{Duration, sleep};

use crate::harness::{Client, GIDS, keys, randstring, run};

/// Keys with 1000-byte values: 30,000 bytes of data.
const KEYS: usize = 30;
const VALUE_LEN: usize = 1000;

/// The bound on everything the nine servers persist (Raft state plus snapshot) at the end of
/// `challenge1_delete_5b`, as in 6.5840: `3 * ((30 - 3) * 1000 + 2 * 3 * 1000 + 6000)` = 117,000
/// bytes, i.e. three replicas each of 27 keys stored once, 3 keys stored twice (a solution that
/// keeps replies in its duplicate table), and 6,000 bytes of slack. The budget is about the
/// values, and a 1000-byte string costs the same in gob and in this project's bincode (varint
/// lengths): a 3-byte length, then its bytes. So Go's number carries over unchanged.
const MAX_TOTAL_PERSISTED: usize = 3 * ((KEYS - 3) * VALUE_LEN + 2 * 3 * VALUE_LEN + 6000);

async fn check_all(ck: &mut Client, (ka, va): (&[String], &[String])) {
    for (k, v) in ka.iter().zip(va) {
        ck.check(k, v).await;
    }
}

#[test]
fn challenge1_delete_5b() {
    // maxraftstate 1: every server snapshots after every entry.
    run(false, Some(1), |cfg| async move {
        cfg.begin("Test: shard deletion (challenge 1)");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        let ka = keys(KEYS);
        let va: Vec<String> = ka.iter().map(|_| randstring(VALUE_LEN)).collect();
        for (k, v) in ka.iter().zip(&va) {
            ck.put(k, v, None).await;
        }
        let first3 = (&ka[..3], &va[..3]);
        check_all(&mut ck, first3).await;
        for _ in 0..2 {
            cfg.join(1).await;
            cfg.leave(0).await;
            cfg.join(2).await;
            sleep(Duration::from_secs(3)).await;
            check_all(&mut ck, first3).await;
            cfg.leave(1).await;
            cfg.join(0).await;
            cfg.leave(2).await;
            sleep(Duration::from_secs(3)).await;
            check_all(&mut ck, first3).await;
        }
        cfg.join(1).await;
        cfg.join(2).await;
        for _ in 0..3 {
            sleep(Duration::from_secs(1)).await;
            check_all(&mut ck, first3).await;
        }
        let total = cfg.total_persisted();
        labrpc::sim::bound("persisted bytes", total as f64, MAX_TOTAL_PERSISTED as f64);
        assert!(
            total <= MAX_TOTAL_PERSISTED,
            "snapshot + persisted Raft state are too big: {total} > {MAX_TOTAL_PERSISTED}"
        );
        check_all(&mut ck, (&ka, &va)).await;
        cfg.end();
    });
}

/// Shards that a configuration change does not move are served while the change cannot finish
/// (the group that would hand over the others is down).
#[test]
fn challenge2_unaffected_5b() {
    run(true, Some(100), |cfg| async move {
        cfg.begin("Test: unaffected shard access (challenge 2)");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        let ka = keys(10);
        let mut va: Vec<String> = ka.iter().map(|_| "100".to_string()).collect();
        for (k, v) in ka.iter().zip(&va) {
            ck.put(k, v, None).await;
        }
        cfg.join(1).await;
        // The shards now owned by 101.
        let c = cfg.mck().await.query(None).await;
        let owned: BTreeSet<usize> = (0..c.shards.len())
            .filter(|&s| c.shards[s] == GIDS[1])
            .collect();
        // Wait for the migration to finish and for clients to use the new configuration.
        sleep(Duration::from_secs(1)).await;
        // The original chooses these keys by index (`owned[i]`) rather than by shard; here the
        // keys of 101's shards are written, as the test means to do.
        for (k, v) in ka.iter().zip(va.iter_mut()) {
            if owned.contains(&key2shard(k)) {
                *v = "101".to_string();
                ck.put(k, v, None).await;
            }
        }
        // 101 cannot fetch 100's shards: their migration never finishes.
        cfg.shutdown_group(0);
        cfg.leave(0).await;
        sleep(Duration::from_secs(1)).await;
        for (k, v) in ka.iter().zip(&va) {
            if owned.contains(&key2shard(k)) {
                ck.check(k, v).await;
                ck.put(k, &format!("{v}-1"), None).await;
                ck.check(k, &format!("{v}-1")).await;
            }
        }
        cfg.end();
    });
}

/// Shards that have arrived are served before the whole migration finishes.
#[test]
fn challenge2_partial_5b() {
    run(true, Some(100), |cfg| async move {
        cfg.begin("Test: partial migration shard access (challenge 2)");
        let mut ck = cfg.make_client();
        cfg.joinm(&[0, 1, 2]).await;
        sleep(Duration::from_secs(1)).await;
        let ka = keys(10);
        let va: Vec<String> = ka.iter().map(|_| "100".to_string()).collect();
        for (k, v) in ka.iter().zip(&va) {
            ck.put(k, v, None).await;
        }
        // The shards owned by 102.
        let c = cfg.mck().await.query(None).await;
        let owned: BTreeSet<usize> = (0..c.shards.len())
            .filter(|&s| c.shards[s] == GIDS[2])
            .collect();
        // 101 can get 102's shards, but not 100's.
        cfg.shutdown_group(0);
        cfg.leavem(&[0, 2]).await;
        sleep(Duration::from_secs(1)).await;
        for (k, v) in ka.iter().zip(&va) {
            if owned.contains(&key2shard(k)) {
                ck.check(k, v).await;
                ck.put(k, &format!("{v}-2"), None).await;
                ck.check(k, &format!("{v}-2")).await;
            }
        }
        cfg.end();
    });
}
