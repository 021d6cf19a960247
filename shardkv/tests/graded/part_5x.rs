//! 5X: scenarios beyond 6.5840's tests, graded as their own part.
//!
//! - A controller leader cut off in a minority still believes it leads until it hears of a later
//!   term; a Query it answers from its own state returns a configuration the majority has moved
//!   past. The original tests never query a deposed leader.
//! - An old copy of a clerk's request, held back by the network while the clerk's retry ran and
//!   its next request too, reaches the group that owns the key's shard after the shard moved
//!   there. The shard's duplicate table, moved with it, must recognise it.

use std::collections::BTreeMap;

use shardkv::ctrler::Clerk;
use tokio::time::{Duration, sleep};

use crate::ctrler_5a;
use crate::harness::run;

/// Rounds per test.
const ROUNDS: usize = 3;

#[test]
fn query_deposed_ctrler_5x() {
    ctrler_5a::run(|net, ctrler| async move {
        let subtest = ctrler_5a::begin("Test (5X): Query at a deposed controller leader", &net);
        let mut ck = crate::harness::ctrler_clerk(&ctrler);
        for round in 0..ROUNDS as u64 {
            let latest = ck.query(None).await; // a leader in office, its term's entry committed
            let Some(old) = ctrler.leader() else {
                continue;
            };
            let rest: Vec<usize> = ctrler.all().into_iter().filter(|&i| i != old).collect();
            ctrler.partition(&[&[old], &rest]);
            // The majority elects a leader and moves to a new configuration.
            let gid = 1000 + round;
            ck.join(BTreeMap::from([(gid, vec![format!("x{gid}")])]))
                .await;
            // A clerk that asks the old leader first.
            let ends = std::iter::once(old).chain(rest.iter().copied());
            let mut asks_old = Clerk::new(ends.map(|i| ctrler.make_end(i)).collect());
            let got = asks_old.query(None).await;
            assert!(
                got.num > latest.num && got.groups.contains_key(&gid),
                "Query(latest) returned configuration {} (groups {:?}), but the majority had \
                 already made configuration {} with group {gid}: server {old}, cut off in a \
                 minority, answered from its own state while it still believed it led. A \
                 controller must put a Query through the log (a deposed leader's entry never \
                 commits) before it answers",
                got.num,
                got.groups.keys().collect::<Vec<_>>(),
                latest.num + 1
            );
            ctrler.connect_all();
            sleep(Duration::from_secs(1)).await;
        }
        ctrler_5a::passed(subtest, &net);
    });
}

#[test]
fn late_request_after_move_5x() {
    run(false, None, |cfg| async move {
        cfg.begin("Test (5X): a late copy of a request, after its shard moved");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        for round in 0..ROUNDS {
            let (from, to) = (round % 2, (round + 1) % 2);
            let key = format!("k{round}");
            ck.append(&key, "a", None).await;
            let held = cfg.hold_clerk_request();
            ck.append(&key, "b", None).await;
            assert_eq!(
                held.kept(),
                1,
                "the clerk's first copy of Append(\"b\") was held back"
            );
            ck.append(&key, "c", None).await;
            // Every shard moves from group `from` to group `to`.
            cfg.join(to).await;
            cfg.leave(from).await;
            sleep(Duration::from_secs(1)).await; // the groups apply both and move the shards
            ck.append(&key, "d", None).await;
            let leader = cfg.group(to).leader().unwrap_or(0);
            cfg.group(to).deliver_late(&held, leader);
            sleep(Duration::from_secs(1)).await;
            let value = ck.get(&key, None).await;
            assert!(
                value == "abcd",
                "Get({key:?}) = {value:?}, expected \"abcd\": an old copy of the clerk's \
                 Append({key:?}, \"b\"), delivered after the clerk's later requests to the group \
                 the shard moved to, was executed again. The duplicate table that moves with a \
                 shard must recognise every request the clerk has already had executed (its \
                 sequence number is at or below the clerk's latest)"
            );
        }
        cfg.end();
    });
}
