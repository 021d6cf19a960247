//! 5A, the shard controller (6.5840's `shardctrler/test_test.go`): three controller servers on a
//! reliable network. The subtests of `TestBasic` and `TestMulti` run in order on one cluster, as
//! in the original.

use std::collections::BTreeMap;
use std::future::Future;

use labrpc::Network;
use shardkv::ctrler::{Clerk, Config, Gid, NSHARDS};
use tests::group::Group;
use tests::summary::{Summary, Tally};
use tokio::time::{Duration, sleep};

use crate::harness::{CtrlerReplica, SERVERS, ctrler_clerk, ctrler_group};

/// The controller's tests for the test prologue: what usually keeps them from finishing.
const CTRLER_LAB: tests::Lab = tests::Lab {
    package: "shardkv",
    hang_suspects: &[
        "a controller handler that waits for its log index without a timeout, so its clerk \
         never tries the new leader",
        "a controller clerk that stops trying, or keeps asking a server that will never answer",
    ],
    events: &[("query_deposed_ctrler_5x", &[tests::events::LEADER_ISOLATED])],
};

/// Runs one controller test on a fresh group of three controller servers.
pub(crate) fn run<F, Fut>(test: F)
where
    F: Fn(Network, Group<CtrlerReplica>) -> Fut,
    Fut: Future<Output = ()>,
{
    tests::run(&CTRLER_LAB, |_| async {
        let net = Network::new();
        let ctrler = ctrler_group(&net, "ctlr-");
        test(net, ctrler).await;
    });
}

/// A subtest under way: its summary line, and the network's RPC count when it began.
pub(crate) struct Subtest {
    summary: Summary,
    rpcs: u64,
}

pub(crate) fn begin(title: &str, net: &Network) -> Subtest {
    Subtest {
        summary: Summary::begin(title),
        rpcs: net.total_count(),
    }
}

/// Prints a subtest's summary line.
pub(crate) fn passed(subtest: Subtest, net: &Network) {
    subtest.summary.passed(Tally {
        peers: SERVERS,
        rpcs: net.total_count() - subtest.rpcs,
        ..Tally::default()
    });
}

fn servers(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// 6.5840's `check`, strengthened: the latest configuration has exactly `groups`, every shard
/// is on one of them, and the shards are balanced. The original checks balance only in this
/// final state; [`check_history`] also checks every configuration in between.
async fn check(ck: &mut Clerk, groups: &[Gid]) -> Config {
    let c = ck.query(None).await;
    check_config(&c);
    assert_eq!(
        c.groups.len(),
        groups.len(),
        "wanted {} groups, got {}",
        groups.len(),
        c.groups.len()
    );
    for gid in groups {
        assert!(c.groups.contains_key(gid), "missing group {gid}");
    }
    c
}

/// Every shard of `c` is on one of its groups (if it has any), and no group has more than one
/// shard more than another.
fn check_config(c: &Config) {
    if c.groups.is_empty() {
        return;
    }
    let mut counts: BTreeMap<Gid, usize> = c.groups.keys().map(|&g| (g, 0)).collect();
    for (shard, gid) in c.shards.iter().enumerate() {
        let Some(count) = counts.get_mut(gid) else {
            panic!(
                "config {}: shard {shard} is on gid {gid}, which is not a group",
                c.num
            );
        };
        *count += 1;
    }
    let (min, max) = (counts.values().min(), counts.values().max());
    if let (Some(&min), Some(&max)) = (min, max) {
        assert!(
            max <= min + 1,
            "config {}: max {max} too much larger than min {min}: {:?}",
            c.num,
            c.shards
        );
    }
}

/// Beyond the original: every configuration made by joins and leaves after `from` is balanced,
/// not only the last one (the concurrent subtests change the configuration dozens of times).
async fn check_history(ck: &mut Clerk, from: u64) {
    let last = ck.query(None).await.num;
    for num in from + 1..=last {
        check_config(&ck.query(Some(num)).await);
    }
}

/// 6.5840's `check_same_config`.
fn check_same_config(c1: &Config, c2: &Config) {
    assert_eq!(c1.num, c2.num, "Num wrong");
    assert_eq!(c1.shards, c2.shards, "Shards wrong");
    assert_eq!(c1.groups, c2.groups, "Groups wrong");
}

/// Beyond the original, whose checks name gids 1..10 that never exist in these subtests (so they
/// check nothing): no shard moved onto a group that was live in `before` unless it was already
/// there, i.e. joins take shards only for the new groups.
fn check_minimal_after_joins(before: &Config, after: &Config) {
    for (shard, gid) in after.shards.iter().enumerate() {
        if before.groups.contains_key(gid) {
            assert_eq!(
                before.shards[shard], *gid,
                "non-minimal transfer after Join()s: shard {shard} moved onto live group {gid}"
            );
        }
    }
}

/// The same for leaves: a shard of a group that stays (in `after`) did not move.
fn check_minimal_after_leaves(before: &Config, after: &Config) {
    for (shard, gid) in before.shards.iter().enumerate() {
        if after.groups.contains_key(gid) {
            assert_eq!(
                after.shards[shard], *gid,
                "non-minimal transfer after Leave()s: shard {shard} left group {gid}, which stayed"
            );
        }
    }
}

/// The clerks of the concurrent subtests, each in its own task, each doing `work`.
async fn concurrently<Fut>(ctrler: &Group<CtrlerReplica>, work: impl Fn(usize, Clerk) -> Fut)
where
    Fut: Future<Output = ()> + Send + 'static,
{
    let tasks: Vec<_> = (0..10)
        .map(|i| labrpc::spawn(work(i, ctrler_clerk(ctrler))))
        .collect();
    for task in tasks {
        task.await.expect("a clerk task failed");
    }
}

/// Joins gids 11..15 (one Join each, or all in one Join), then leaves them, checking that live
/// groups keep their shards.
async fn minimal_transfers(net: &Network, ck: &mut Clerk, multi: bool) {
    let gids: Vec<Gid> = (11..=15).collect();
    let group_of = |gid: Gid| (gid, servers(&[&format!("{gid}a"), &format!("{gid}b")]));

    let what = if multi { "multijoins" } else { "joins" };
    let summary = begin(&format!("Test: Minimal transfers after {what}"), net);
    let c1 = ck.query(None).await;
    if multi {
        ck.join(gids.iter().map(|&g| group_of(g)).collect()).await;
    } else {
        for &gid in &gids {
            ck.join(BTreeMap::from([group_of(gid)])).await;
        }
    }
    let c2 = ck.query(None).await;
    check_history(ck, c1.num).await;
    check_minimal_after_joins(&c1, &c2);
    passed(summary, net);

    let what = if multi { "multileaves" } else { "leaves" };
    let summary = begin(&format!("Test: Minimal transfers after {what}"), net);
    if multi {
        ck.leave(gids.clone()).await;
    } else {
        for &gid in &gids {
            ck.leave(vec![gid]).await;
        }
    }
    let c3 = ck.query(None).await;
    check_history(ck, c2.num).await;
    check_minimal_after_leaves(&c2, &c3);
    passed(summary, net);
}

#[test]
fn basic_ctrler_5a() {
    run(|net, ctrler| async move {
        let mut ck = ctrler_clerk(&ctrler);

        let summary = begin("Test: Basic leave/join", &net);
        // cfa[3] stays configuration 0, as in the original.
        let mut cfa = vec![Config::default(); 6];
        cfa[0] = ck.query(None).await;
        check(&mut ck, &[]).await;
        let (gid1, gid2) = (1, 2);
        ck.join(BTreeMap::from([(gid1, servers(&["x", "y", "z"]))]))
            .await;
        check(&mut ck, &[gid1]).await;
        cfa[1] = ck.query(None).await;
        ck.join(BTreeMap::from([(gid2, servers(&["a", "b", "c"]))]))
            .await;
        check(&mut ck, &[gid1, gid2]).await;
        cfa[2] = ck.query(None).await;
        let cfx = ck.query(None).await;
        assert_eq!(
            cfx.groups[&gid1],
            servers(&["x", "y", "z"]),
            "wrong servers for gid {gid1}"
        );
        assert_eq!(
            cfx.groups[&gid2],
            servers(&["a", "b", "c"]),
            "wrong servers for gid {gid2}"
        );
        ck.leave(vec![gid1]).await;
        check(&mut ck, &[gid2]).await;
        cfa[4] = ck.query(None).await;
        ck.leave(vec![gid2]).await;
        cfa[5] = ck.query(None).await;
        passed(summary, &net);

        let summary = begin("Test: Historical queries", &net);
        for s in 0..SERVERS {
            ctrler.shutdown_server(s);
            for c in &cfa {
                let got = ck.query(Some(c.num)).await;
                check_same_config(c, &got);
            }
            ctrler.start_server(s);
            ctrler.connect_all();
        }
        passed(summary, &net);

        let summary = begin("Test: Move", &net);
        let (gid3, gid4) = (503, 504);
        ck.join(BTreeMap::from([(gid3, servers(&["3a", "3b", "3c"]))]))
            .await;
        ck.join(BTreeMap::from([(gid4, servers(&["4a", "4b", "4c"]))]))
            .await;
        for shard in 0..NSHARDS {
            let cf = ck.query(None).await;
            let target = if shard < NSHARDS / 2 { gid3 } else { gid4 };
            ck.move_shard(shard, target).await;
            if cf.shards[shard] != target {
                let cf1 = ck.query(None).await;
                assert!(cf1.num > cf.num, "Move should increase Config.Num");
            }
        }
        let cf2 = ck.query(None).await;
        for shard in 0..NSHARDS {
            let target = if shard < NSHARDS / 2 { gid3 } else { gid4 };
            assert_eq!(
                cf2.shards[shard], target,
                "expected shard {shard} on gid {target}"
            );
        }
        ck.leave(vec![gid3]).await;
        ck.leave(vec![gid4]).await;
        passed(summary, &net);

        let summary = begin("Test: Concurrent leave/join", &net);
        let from = ck.query(None).await.num;
        concurrently(&ctrler, |i, mut ck| async move {
            let gid = 100 + 10 * i as Gid;
            let (a, b) = (format!("s{gid}a"), format!("s{gid}b"));
            ck.join(BTreeMap::from([(gid + 1000, vec![a])])).await;
            ck.join(BTreeMap::from([(gid, vec![b])])).await;
            ck.leave(vec![gid + 1000]).await;
        })
        .await;
        let gids: Vec<Gid> = (0..10).map(|i| 100 + 10 * i).collect();
        check(&mut ck, &gids).await;
        check_history(&mut ck, from).await;
        passed(summary, &net);

        minimal_transfers(&net, &mut ck, false).await;
    });
}

/// New in 2024: one join and one leave each move at most NSHARDS/3 + 1 shards, and only shards
/// that must move.
#[test]
fn minimal_again_ctrler_5a() {
    run(|net, ctrler| async move {
        let mut ck = ctrler_clerk(&ctrler);
        let summary = begin("Test: minimal movement again", &net);
        let max_moves = NSHARDS / 3 + 1;
        let moved =
            |a: &Config, b: &Config| (0..NSHARDS).filter(|&s| a.shards[s] != b.shards[s]).count();

        ck.join(BTreeMap::from([(1, servers(&["x", "y", "z"]))]))
            .await;
        ck.join(BTreeMap::from([(2, servers(&["a", "b", "c"]))]))
            .await;
        let c1 = check(&mut ck, &[1, 2]).await;
        ck.join(BTreeMap::from([(3, servers(&["d", "e", "f"]))]))
            .await;
        let c2 = check(&mut ck, &[1, 2, 3]).await;
        for s in 0..NSHARDS {
            if c2.shards[s] != 3 {
                assert_eq!(
                    c1.shards[s], c2.shards[s],
                    "shard {s} moved between old groups on Join"
                );
            }
        }
        let n = moved(&c1, &c2);
        assert!(
            n <= max_moves,
            "too many shards moved on Join: {n} > {max_moves}"
        );

        ck.leave(vec![1]).await;
        let c3 = check(&mut ck, &[2, 3]).await;
        for s in 0..NSHARDS {
            if c2.shards[s] != 1 {
                assert_eq!(
                    c2.shards[s], c3.shards[s],
                    "shard {s} of a staying group moved on Leave"
                );
            }
        }
        let n = moved(&c2, &c3);
        assert!(
            n <= max_moves,
            "too many shards moved on Leave: {n} > {max_moves}"
        );
        passed(summary, &net);
    });
}

#[test]
fn multi_ctrler_5a() {
    run(|net, ctrler| async move {
        let mut ck = ctrler_clerk(&ctrler);

        let summary = begin("Test: Multi-group join/leave", &net);
        let mut cfa = vec![Config::default(); 6];
        cfa[0] = ck.query(None).await;
        check(&mut ck, &[]).await;
        let (gid1, gid2, gid3) = (1, 2, 3);
        let (s1, s2, s3) = (
            servers(&["x", "y", "z"]),
            servers(&["a", "b", "c"]),
            servers(&["j", "k", "l"]),
        );
        ck.join(BTreeMap::from([(gid1, s1.clone()), (gid2, s2.clone())]))
            .await;
        check(&mut ck, &[gid1, gid2]).await;
        cfa[1] = ck.query(None).await;
        ck.join(BTreeMap::from([(gid3, s3.clone())])).await;
        check(&mut ck, &[gid1, gid2, gid3]).await;
        cfa[2] = ck.query(None).await;
        let cfx = ck.query(None).await;
        for (gid, s) in [(gid1, &s1), (gid2, &s2), (gid3, &s3)] {
            assert_eq!(&cfx.groups[&gid], s, "wrong servers for gid {gid}");
        }
        ck.leave(vec![gid1, gid3]).await;
        check(&mut ck, &[gid2]).await;
        cfa[3] = ck.query(None).await;
        let cfx = ck.query(None).await;
        assert_eq!(cfx.groups[&gid2], s2, "wrong servers for gid {gid2}");
        ck.leave(vec![gid2]).await;
        passed(summary, &net);

        let summary = begin("Test: Concurrent multi leave/join", &net);
        let from = ck.query(None).await.num;
        concurrently(&ctrler, |i, mut ck| async move {
            let gid = 1000 + i as Gid;
            let join = BTreeMap::from([
                (
                    gid,
                    servers(&[&format!("{gid}a"), &format!("{gid}b"), &format!("{gid}c")]),
                ),
                (gid + 1000, servers(&[&format!("{gid}a")])),
                (gid + 2000, servers(&[&format!("{gid}a")])),
            ]);
            ck.join(join).await;
            ck.leave(vec![gid + 1000, gid + 2000]).await;
        })
        .await;
        let gids: Vec<Gid> = (0..10).map(|i| 1000 + i).collect();
        check(&mut ck, &gids).await;
        check_history(&mut ck, from).await;
        passed(summary, &net);

        minimal_transfers(&net, &mut ck, true).await;

        let summary = begin("Test: Check Same config on servers", &net);
        let leader = ctrler.leader().expect("Leader not found");
        let c = ck.query(None).await;
        ctrler.shutdown_server(leader);
        // Stricter than the original and without its quirk: the original waits while *some*
        // server leads and fails if one does for 3 s, which fails a correct controller whose new
        // leader is elected at once. Here a new leader must appear within 3 s, and it must
        // answer with the same configuration.
        let mut waited = Duration::ZERO;
        while ctrler.leader().is_none() {
            assert!(waited < Duration::from_secs(3), "no new leader within 3 s");
            sleep(Duration::from_millis(100)).await;
            waited += Duration::from_millis(100);
        }
        let c1 = ck.query(None).await;
        check_same_config(&c, &c1);
        passed(summary, &net);
    });
}
