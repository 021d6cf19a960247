//! 5B: shards move between groups while clients read and write, servers restart, configuration
//! changes are missed, and the network loses messages.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant, sleep};

use tests::expected::Expected;

use crate::harness::{Client, Cluster, keys, randstring, run};

/// A client's pause between appends where 6.5840's clients loop without one. There each append
/// takes the real time of a few RPCs and a Raft commit (tens of milliseconds); on the simulator an
/// append can take no virtual time at all, so without a pause a client would do hundreds of
/// thousands of operations in the 12 s of `concurrent3_5b`, and every one of them makes each
/// replica of a group snapshot its whole store. With the pause a client does a few hundred
/// operations per test, of the order of the original's.
const CLIENT_PAUSE: Duration = Duration::from_millis(20);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Puts `n` keys with random values of `len` characters, then reads them all back.
async fn put_keys(ck: &mut Client, n: usize, len: usize) -> (Vec<String>, Vec<Expected>) {
    let ka = keys(n);
    let va: Vec<Expected> = ka
        .iter()
        .map(|_| Expected::put("the tester's put", &randstring(len)))
        .collect();
    for (k, v) in ka.iter().zip(&va) {
        ck.put(k, &v.value(), None).await;
    }
    check_all(ck, &ka, &va).await;
    (ka, va)
}

async fn check_all(ck: &mut Client, ka: &[String], va: &[Expected]) {
    for (k, v) in ka.iter().zip(va) {
        ck.check_written(k, v).await;
    }
}

/// Appends `len` random characters to `key` through the tester's clerk.
async fn tester_append(ck: &mut Client, key: &str, expected: &mut Expected, len: usize) {
    let x = randstring(len);
    ck.append(key, &x, None).await;
    expected.append("the tester's append", &x);
}

/// For every key: check its value, then append `len` random characters.
async fn check_and_append(ck: &mut Client, ka: &[String], va: &mut [Expected], len: usize) {
    for (k, v) in ka.iter().zip(va.iter_mut()) {
        ck.check_written(k, v).await;
        tester_append(ck, k, v, len).await;
    }
}

/// One client per key, each appending `len` random characters to its key and pausing `pause`
/// after each append, until `stop`. Each task returns its key's expected value.
fn start_appenders(
    cfg: &Cluster,
    ka: &[String],
    va: &[Expected],
    len: usize,
    pause: Duration,
    stop: &Arc<AtomicBool>,
) -> Vec<JoinHandle<Expected>> {
    ka.iter()
        .zip(va)
        .enumerate()
        .map(|(client, (key, value))| {
            let (cfg, stop) = (cfg.clone(), stop.clone());
            let (key, mut value) = (key.clone(), value.clone());
            labrpc::spawn(async move {
                let mut ck = cfg.make_client();
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let x = randstring(len);
                    ck.append(&key, &x, None).await;
                    value.append(format!("client {client}'s append {n}"), &x);
                    n += 1;
                    sleep(pause).await;
                }
                value
            })
        })
        .collect()
}

/// Stops the appenders and collects each key's expected value.
async fn stop_appenders(stop: &AtomicBool, appenders: Vec<JoinHandle<Expected>>) -> Vec<Expected> {
    stop.store(true, Ordering::SeqCst);
    let mut va = Vec::new();
    for task in appenders {
        va.push(task.await.expect("an appender failed"));
    }
    va
}

#[test]
fn join_leave_5b() {
    run(false, None, |cfg| async move {
        cfg.begin("Test (5B): join then leave");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        let (ka, mut va) = put_keys(&mut ck, 10, 5).await;
        cfg.join(1).await;
        check_and_append(&mut ck, &ka, &mut va, 5).await;
        cfg.leave(0).await;
        check_and_append(&mut ck, &ka, &mut va, 5).await;
        // Allow time for shards to transfer.
        sleep(Duration::from_secs(1)).await;
        cfg.check_logs();
        // Every shard has moved away from group 100.
        cfg.shutdown_group(0);
        check_all(&mut ck, &ka, &va).await;
        cfg.end();
    });
}

#[test]
fn snapshot_5b() {
    run(false, Some(1000), |cfg| async move {
        cfg.begin("Test (5B): snapshots, join, and leave");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        let (ka, mut va) = put_keys(&mut ck, 30, 20).await;
        cfg.join(1).await;
        cfg.join(2).await;
        cfg.leave(0).await;
        check_and_append(&mut ck, &ka, &mut va, 20).await;
        cfg.leave(1).await;
        cfg.join(0).await;
        check_and_append(&mut ck, &ka, &mut va, 20).await;
        sleep(Duration::from_secs(1)).await;
        check_all(&mut ck, &ka, &va).await;
        sleep(Duration::from_secs(1)).await;
        cfg.check_logs();
        for gi in 0..3 {
            cfg.shutdown_group(gi);
        }
        for gi in 0..3 {
            cfg.start_group(gi);
        }
        check_all(&mut ck, &ka, &va).await;
        cfg.end();
    });
}

#[test]
fn miss_change_5b() {
    run(false, Some(1000), |cfg| async move {
        cfg.begin("Test (5B): servers miss configuration changes");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        let (ka, mut va) = put_keys(&mut ck, 10, 20).await;
        cfg.join(1).await;
        for gi in 0..3 {
            cfg.shutdown_server(gi, 0);
        }
        cfg.join(2).await;
        cfg.leave(1).await;
        cfg.leave(0).await;
        check_and_append(&mut ck, &ka, &mut va, 20).await;
        cfg.join(1).await;
        check_and_append(&mut ck, &ka, &mut va, 20).await;
        for gi in 0..3 {
            cfg.start_server(gi, 0);
        }
        check_and_append(&mut ck, &ka, &mut va, 20).await;
        sleep(Duration::from_secs(2)).await;
        for gi in 0..3 {
            cfg.shutdown_server(gi, 1);
        }
        cfg.join(0).await;
        cfg.leave(2).await;
        check_and_append(&mut ck, &ka, &mut va, 20).await;
        for gi in 0..3 {
            cfg.start_server(gi, 1);
        }
        check_all(&mut ck, &ka, &va).await;
        cfg.end();
    });
}

#[test]
fn concurrent1_5b() {
    run(false, Some(100), |cfg| async move {
        cfg.begin("Test (5B): concurrent puts and configuration changes");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        let (ka, va) = put_keys(&mut ck, 10, 5).await;
        let stop = Arc::new(AtomicBool::new(false));
        let appenders = start_appenders(&cfg, &ka, &va, 5, ms(10), &stop);

        sleep(ms(150)).await;
        cfg.join(1).await;
        sleep(ms(500)).await;
        cfg.join(2).await;
        sleep(ms(500)).await;
        cfg.leave(0).await;
        cfg.shutdown_group(0);
        sleep(ms(100)).await;
        cfg.shutdown_group(1);
        sleep(ms(100)).await;
        cfg.shutdown_group(2);
        cfg.leave(2).await;
        sleep(ms(100)).await;
        for gi in 0..3 {
            cfg.start_group(gi);
        }
        sleep(ms(100)).await;
        cfg.join(0).await;
        cfg.leave(1).await;
        sleep(ms(500)).await;
        cfg.join(1).await;
        sleep(Duration::from_secs(1)).await;

        let va = stop_appenders(&stop, appenders).await;
        check_all(&mut ck, &ka, &va).await;
        cfg.end();
    });
}

/// Configuration changes in which no group serves for long, with clients that pause 50 ms
/// between appends.
#[test]
fn concurrent2_5b() {
    run(false, None, |cfg| async move {
        cfg.begin("Test (5B): more concurrent puts and configuration changes");
        let mut ck = cfg.make_client();
        cfg.join(1).await;
        cfg.join(0).await;
        cfg.join(2).await;
        let (ka, va) = put_keys(&mut ck, 10, 1).await;
        let stop = Arc::new(AtomicBool::new(false));
        let appenders = start_appenders(&cfg, &ka, &va, 1, ms(50), &stop);

        cfg.leave(0).await;
        cfg.leave(2).await;
        sleep(ms(3000)).await;
        cfg.join(0).await;
        cfg.join(2).await;
        cfg.leave(1).await;
        sleep(ms(3000)).await;
        cfg.join(1).await;
        cfg.leave(0).await;
        cfg.leave(2).await;
        sleep(ms(3000)).await;
        cfg.shutdown_group(1);
        cfg.shutdown_group(2);
        sleep(ms(1000)).await;
        cfg.start_group(1);
        cfg.start_group(2);
        sleep(ms(2000)).await;

        let va = stop_appenders(&stop, appenders).await;
        check_all(&mut ck, &ka, &va).await;
        cfg.end();
    });
}

/// For twelve seconds: joins, a restart of every group, leaves, at random moments.
#[test]
fn concurrent3_5b() {
    run(false, Some(300), |cfg| async move {
        cfg.begin("Test (5B): concurrent configuration change and restart");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        let (ka, va) = put_keys(&mut ck, 10, 1).await;
        let stop = Arc::new(AtomicBool::new(false));
        let appenders = start_appenders(&cfg, &ka, &va, 1, CLIENT_PAUSE, &stop);

        let random_pause = || ms(labrpc::rand::random_range(0..900));
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(12) {
            cfg.join(2).await;
            cfg.join(1).await;
            sleep(random_pause()).await;
            for gi in 0..3 {
                cfg.shutdown_group(gi);
            }
            for gi in 0..3 {
                cfg.start_group(gi);
            }
            sleep(random_pause()).await;
            cfg.leave(1).await;
            cfg.leave(2).await;
            sleep(random_pause()).await;
        }
        sleep(Duration::from_secs(2)).await;

        let va = stop_appenders(&stop, appenders).await;
        check_all(&mut ck, &ka, &va).await;
        cfg.end();
    });
}

#[test]
fn unreliable1_5b() {
    run(true, Some(100), |cfg| async move {
        cfg.begin("Test (5B): unreliable 1");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        let (ka, mut va) = put_keys(&mut ck, 10, 5).await;
        cfg.join(1).await;
        cfg.join(2).await;
        cfg.leave(0).await;
        for ii in 0..ka.len() * 2 {
            let i = ii % ka.len();
            ck.check_written(&ka[i], &va[i]).await;
            tester_append(&mut ck, &ka[i], &mut va[i], 5).await;
        }
        cfg.join(0).await;
        cfg.leave(1).await;
        for ii in 0..ka.len() * 2 {
            let i = ii % ka.len();
            ck.check_written(&ka[i], &va[i]).await;
        }
        cfg.end();
    });
}

/// The configuration schedule of `unreliable2_5b` and `unreliable3_5b`, while clients run.
async fn unreliable_schedule(cfg: &Cluster) {
    sleep(ms(150)).await;
    cfg.join(1).await;
    sleep(ms(500)).await;
    cfg.join(2).await;
    sleep(ms(500)).await;
    cfg.leave(0).await;
    sleep(ms(500)).await;
    cfg.leave(1).await;
    sleep(ms(500)).await;
    cfg.join(1).await;
    cfg.join(0).await;
    sleep(Duration::from_secs(2)).await;
}

#[test]
fn unreliable2_5b() {
    run(true, Some(100), |cfg| async move {
        cfg.begin("Test (5B): unreliable 2");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        let (ka, va) = put_keys(&mut ck, 10, 5).await;
        let stop = Arc::new(AtomicBool::new(false));
        let appenders = start_appenders(&cfg, &ka, &va, 5, CLIENT_PAUSE, &stop);
        unreliable_schedule(&cfg).await;
        stop.store(true, Ordering::SeqCst);
        cfg.net().set_reliable(true);
        let va = stop_appenders(&stop, appenders).await;
        check_all(&mut ck, &ka, &va).await;
        cfg.end();
    });
}

/// Clients do random operations on random keys; the whole history must be linearizable.
#[test]
fn unreliable3_5b() {
    const KEYS: usize = 10;
    run(true, Some(100), |cfg| async move {
        cfg.begin("Test (5B): unreliable 3");
        let mut ck = cfg.make_client();
        cfg.join(0).await;
        let ka = keys(KEYS);
        for k in &ka {
            // Recorded as client 0's, as in 6.5840.
            ck.put(k, &randstring(5), Some(0)).await;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..KEYS)
            .map(|client| {
                let (cfg, stop, ka) = (cfg.clone(), stop.clone(), ka.clone());
                labrpc::spawn(async move {
                    let mut ck1 = cfg.make_client();
                    while !stop.load(Ordering::SeqCst) {
                        let key = &ka[labrpc::rand::random_range(0..KEYS)];
                        let nv = randstring(5);
                        if labrpc::rand::random_range(0..1000) < 500 {
                            ck1.append(key, &nv, Some(client)).await;
                        } else if labrpc::rand::random_range(0..1000) < 100 {
                            ck1.put(key, &nv, Some(client)).await;
                        } else {
                            ck1.get(key, Some(client)).await;
                        }
                        sleep(CLIENT_PAUSE).await;
                    }
                })
            })
            .collect();
        unreliable_schedule(&cfg).await;
        stop.store(true, Ordering::SeqCst);
        cfg.net().set_reliable(true);
        for task in clients {
            task.await.expect("a client failed");
        }
        // Stricter than the original, which passes a check that runs out of time (porcupine's
        // Unknown): here only a history proven linearizable passes.
        cfg.check_linearizable();
        cfg.end();
    });
}
