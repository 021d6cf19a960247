//! 5A, static sharding: two groups serve their shards, and no group serves a shard that the
//! controller has not given it.

use tokio::sync::mpsc;
use tokio::time::{Duration, timeout};

use crate::harness::{Cluster, SERVERS, ctrler_clerk, ctrler_group, keys, randstring, run};

/// The Gets that cannot finish are waited for until this long passes without a completion.
const IDLE_WINDOW: Duration = Duration::from_secs(2);
/// With two groups, ten keys on ten shards and one group down, exactly half the Gets finish.
const EXPECTED_COMPLETIONS: usize = 5;

/// Starts one clerk per key, each doing one Get through `client`, and counts the Gets that finish
/// (each with its key's value) until none finishes for [`IDLE_WINDOW`].
async fn gets_that_finish(
    cluster: &Cluster,
    keys: &[String],
    values: &[String],
    client: impl Fn(&Cluster) -> crate::harness::Client,
) -> usize {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for (key, value) in keys.iter().zip(values) {
        let mut ck = client(cluster);
        let (key, value, tx) = (key.clone(), value.clone(), tx.clone());
        labrpc::spawn(async move {
            let got = ck.get(&key, None).await;
            let _ = tx.send((key, value, got));
        });
    }
    let mut done = 0;
    while let Ok(Some((key, value, got))) = timeout(IDLE_WINDOW, rx.recv()).await {
        assert_eq!(
            got, value,
            "Get({key:?}): expected:\n{value:?}\nreceived:\n{got:?}"
        );
        done += 1;
    }
    done
}

#[test]
fn static_shards_5a() {
    run(false, None, |cfg| async move {
        cfg.begin("Test (5A): static shards");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        cfg.join(1).await;
        let ka = keys(10);
        let va: Vec<String> = ka.iter().map(|_| randstring(20)).collect();
        for (k, v) in ka.iter().zip(&va) {
            ck.put(k, v, None).await;
        }
        for (k, v) in ka.iter().zip(&va) {
            ck.check(k, v).await;
        }

        // The data really is sharded: with one group down, only its shards' Gets hang.
        cfg.shutdown_group(1);
        cfg.check_logs(); // forbid snapshots
        let done = gets_that_finish(&cfg, &ka, &va, Cluster::make_client).await;
        assert_eq!(
            done, EXPECTED_COMPLETIONS,
            "expected {EXPECTED_COMPLETIONS} completions with one shard dead; got {done}"
        );

        // Bring the crashed group back to life.
        cfg.start_group(1);
        for (k, v) in ka.iter().zip(&va) {
            ck.check(k, v).await;
        }
        cfg.end();
    });
}

/// A group must refuse keys of shards that its own view of the configuration does not give it:
/// clerks of a second controller, in which only group 100 has joined, send every key to group
/// 100, and only the keys of its shards may be answered.
#[test]
fn rejection_5a() {
    run(false, None, |cfg| async move {
        cfg.begin("Test (5A): rejection");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        cfg.join(1).await;
        let ka = keys(10);
        let va: Vec<String> = ka.iter().map(|_| randstring(20)).collect();
        for (k, v) in ka.iter().zip(&va) {
            ck.put(k, v, None).await;
        }
        for (k, v) in ka.iter().zip(&va) {
            ck.check(k, v).await;
        }

        let ctl1 = ctrler_group(cfg.net(), "ctlr1-");
        assert_eq!(ctl1.n(), SERVERS);
        let (gid, servers) = cfg.servers_of(0);
        ctrler_clerk(&ctl1)
            .join([(gid, servers)].into_iter().collect())
            .await;
        let done = gets_that_finish(&cfg, &ka, &va, |cfg| {
            cfg.client_of(ctl1.make_clerk_ends(&ctl1.all()).ends)
        })
        .await;
        // A Get answered "" would mean group 100 served a shard it does not own.
        assert_eq!(
            done, EXPECTED_COMPLETIONS,
            "expected {EXPECTED_COMPLETIONS} completions; got {done}"
        );
        cfg.end();
    });
}
