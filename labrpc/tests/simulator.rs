//! Tests of the simulator and of the network's fault model, beyond the ported labrpc tests.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{junk_network, junk_service, one_end};
use labrpc::{Network, Node, RpcError, Server, Service, sim};
use tokio::time::{Duration, sleep};

/// A network with one server whose `Probe.Now` method returns the virtual time (µs) at which
/// it ran, and `n` enabled ends `c0..c{n-1}` connected to it.
fn probe_network(n: usize) -> (Network, Vec<labrpc::ClientEnd>) {
    let net = Network::new();
    let srv = Server::new();
    srv.add_service(
        Service::new("Probe", ()).handle("Now", |_, _: ()| async move {
            sim::elapsed().as_micros() as u64
        }),
    );
    net.add_server("probe", srv);
    let ends = (0..n)
        .map(|i| {
            let name = format!("c{i}");
            let end = net.make_end(&name);
            net.connect(&name, "probe");
            net.enable(&name, true);
            end
        })
        .collect();
    (net, ends)
}

/// Outcome of one probe call: (sent at, dispatched at if the reply came, replied at), in µs.
async fn probe(end: labrpc::ClientEnd) -> (u64, Option<u64>, u64) {
    let sent = sim::elapsed().as_micros() as u64;
    let r: Result<u64, _> = end.call("Probe.Now", &()).await;
    (sent, r.ok(), sim::elapsed().as_micros() as u64)
}

async fn probe_all(ends: &[labrpc::ClientEnd]) -> Vec<(u64, Option<u64>, u64)> {
    let calls: Vec<_> = ends
        .iter()
        .cloned()
        .map(|e| labrpc::spawn(probe(e)))
        .collect();
    let mut out = Vec::new();
    for c in calls {
        out.push(c.await.unwrap());
    }
    out
}

/// Unreliable: requests wait 0-26 ms, 10% of requests and 10% of replies are lost.
#[test]
fn unreliable_drop_rates_and_delays() {
    sim::run("unreliable_drop_rates_and_delays", || async {
        const N: usize = 20_000;
        let (net, ends) = probe_network(N);
        net.set_reliable(false);
        let results = probe_all(&ends).await;
        let dispatched = net.count("probe") as f64;
        let delivered = results.iter().filter(|r| r.1.is_some()).count() as f64;
        let request_drop = 1.0 - dispatched / N as f64;
        let reply_drop = 1.0 - delivered / dispatched;
        // 3 standard deviations of a 10% rate over 20,000 trials is about 0.64%.
        assert!(
            (0.09..0.11).contains(&request_drop),
            "request drop rate {request_drop}"
        );
        assert!(
            (0.09..0.11).contains(&reply_drop),
            "reply drop rate {reply_drop}"
        );
        let delays: BTreeSet<u64> = results
            .iter()
            .filter_map(|&(sent, ran, _)| ran.map(|ran| (ran - sent) / 1000))
            .collect();
        assert_eq!(
            delays,
            (0..=26).collect(),
            "request delays must cover exactly 0..=26 ms"
        );
    });
}

/// Reliable network: one request and one reply in eight take 1 or 2 ms, the others none.
#[test]
fn reliable_latency() {
    sim::run("reliable_latency", || async {
        const N: usize = 20_000;
        let (_net, ends) = probe_network(N);
        let results = probe_all(&ends).await;
        for (what, times) in [
            (
                "request",
                results
                    .iter()
                    .map(|&(sent, ran, _)| ran.expect("reliable network") - sent)
                    .collect::<Vec<u64>>(),
            ),
            (
                "reply",
                results
                    .iter()
                    .map(|&(_, ran, replied)| replied - ran.expect("reliable network"))
                    .collect(),
            ),
        ] {
            let ms: BTreeSet<u64> = times.iter().map(|t| t / 1000).collect();
            assert_eq!(
                ms,
                (0..=2).collect(),
                "{what} latencies must cover 0..=2 ms"
            );
            let delayed = times.iter().filter(|&&t| t > 0).count() as f64 / N as f64;
            // 3 standard deviations of a 1/8 rate over 20,000 trials is about 0.7%.
            assert!(
                (0.118..0.132).contains(&delayed),
                "{what}s delayed: {delayed}"
            );
        }
    });
}

/// Long reordering: 2/3 of replies are held for 200-2199 ms, skewed towards the short end.
#[test]
fn long_reordering_delays() {
    sim::run("long_reordering_delays", || async {
        const N: usize = 9_000;
        let (net, ends) = probe_network(N);
        net.set_long_reordering(true);
        let results = probe_all(&ends).await;
        let reply_times: Vec<u64> = results
            .iter()
            .map(|&(_, ran, replied)| (replied - ran.expect("reliable network")) / 1000)
            .collect();
        // A reply not held back takes the ordinary latency, at most 2 ms.
        let held: Vec<u64> = reply_times.iter().copied().filter(|&d| d > 2).collect();
        let fraction = held.len() as f64 / N as f64;
        assert!(
            (0.65..0.683).contains(&fraction),
            "held fraction {fraction}"
        );
        assert!(
            held.iter().all(|d| (200..=2199).contains(d)),
            "hold outside 200..=2199 ms"
        );
        let mean = held.iter().sum::<u64>() as f64 / held.len() as f64;
        // 200 + U(0, 1 + U(0, 2000)) has mean about 700 ms.
        assert!((650.0..750.0).contains(&mean), "mean hold {mean} ms");
    });
}

/// Calls on a disabled end fail after 0-99 ms, or 0-6999 ms with long delays.
#[test]
fn unreachable_failure_delays() {
    sim::run("unreachable_failure_delays", || async {
        for (long, max) in [(false, 99), (true, 6999)] {
            let (net, ends) = probe_network(5_000);
            net.set_long_delays(long);
            for i in 0..ends.len() {
                net.enable(&format!("c{i}"), false);
            }
            let results = probe_all(&ends).await;
            assert!(
                results.iter().all(|r| r.1.is_none()),
                "a disabled end got a reply"
            );
            let delays: Vec<u64> = results.iter().map(|&(s, _, r)| (r - s) / 1000).collect();
            assert!(delays.iter().all(|&d| d <= max), "delay above {max} ms");
            assert!(
                *delays.iter().max().unwrap() >= max * 98 / 100,
                "delays too short"
            );
            assert!(*delays.iter().min().unwrap() <= max / 50, "delays too long");
            assert_eq!(
                net.count("probe"),
                0,
                "a disabled end's call was dispatched"
            );
            assert_eq!(net.total_count(), 5_000, "every attempted call is counted");
        }
    });
}

/// A server replaced or deleted while its handler runs never delivers that handler's reply.
#[test]
fn deleted_server_never_replies() {
    sim::run("deleted_server_never_replies", || async {
        let (net, end, _junk) = one_end();
        let calls: Vec<_> = (0..50i64)
            .map(|i| {
                let end = end.clone();
                labrpc::spawn(async move { end.call::<_, i64>("JunkServer.Handler3", &i).await })
            })
            .collect();
        sleep(Duration::from_secs(5)).await;
        let replacement = Server::new();
        replacement.add_service(junk_service(Default::default()));
        net.add_server("server99", replacement);
        for c in calls {
            assert_eq!(c.await.unwrap(), Err(RpcError::Unavailable));
        }
        let reply: String = end.call("JunkServer.Handler2", &1i64).await.unwrap();
        assert_eq!(reply, "handler2-1", "the replacement server must answer");
    });
}

/// A hold keeps the requests it takes (their callers see them lost), delivers them late when
/// released, to the end's server of that moment or to a named one, and loses them on a cut link.
#[test]
fn held_requests_arrive_when_released() {
    sim::run("held_requests_arrive_when_released", || async {
        let (net, ends) = probe_network(2);
        let held = net.hold(2, |m| {
            m.end == "c0" && m.server == "probe" && m.method == "Probe.Now"
        });
        let (c0, c1) = (ends[0].clone(), ends[1].clone());
        for i in 0..3 {
            let lost = c0.call::<_, u64>("Probe.Now", &()).await.is_err();
            assert_eq!(
                lost,
                i < 2,
                "call {i}: the first two requests on c0 are held"
            );
        }
        assert_eq!(held.kept(), 2);
        assert!(
            c1.call::<_, u64>("Probe.Now", &()).await.is_ok(),
            "c1 is not held"
        );
        let before = net.count("probe");
        sleep(Duration::from_secs(1)).await;
        assert_eq!(
            net.count("probe"),
            before,
            "a held request does not arrive on its own"
        );
        assert_eq!(held.release(), 2);
        sleep(Duration::from_millis(10)).await;
        assert_eq!(net.count("probe"), before + 2, "released requests arrive");
        assert_eq!(held.kept(), 0);

        let again = net.hold(1, |m| m.end == "c1");
        assert!(
            c1.call::<_, u64>("Probe.Now", &()).await.is_err(),
            "the caller sees it lost"
        );
        net.enable("c1", false);
        assert_eq!(
            again.release(),
            0,
            "a request held on a link now cut is lost"
        );
        net.enable("c1", true);
        let third = net.hold(1, |m| m.end == "c1");
        assert!(c1.call::<_, u64>("Probe.Now", &()).await.is_err());
        net.enable("c1", false);
        assert_eq!(
            third.release_to("probe"),
            1,
            "release_to ignores the end's link"
        );
        assert_eq!(third.release_to("nobody"), 0);
        drop(third);
        net.enable("c1", true);
        assert!(
            c1.call::<_, u64>("Probe.Now", &()).await.is_ok(),
            "a dropped hold takes none"
        );
    });
}

/// A workload whose trace depends on many random draws: unreliable calls from several clients.
async fn chatty_workload() {
    let (net, junk) = junk_network("s");
    net.set_reliable(false);
    let clients: Vec<_> = (0..10)
        .map(|i| {
            let net = net.clone();
            labrpc::spawn(async move {
                let name = format!("e{i}");
                let end = net.make_end(&name);
                net.connect(&name, "s");
                net.enable(&name, true);
                for j in 0..20i64 {
                    let _ = end.call::<_, String>("JunkServer.Handler2", &j).await;
                    sleep(Duration::from_millis(labrpc::rand::random_range(0..50))).await;
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    assert!(!junk.log2.lock().unwrap().is_empty());
}

#[test]
fn same_seed_same_trace_different_seed_different_trace() {
    let digest = |seed| {
        let reports = sim::Builder::new("chatty")
            .seed(seed)
            .iterations(1)
            .check_determinism(false)
            .try_run(chatty_workload)
            .unwrap();
        (reports[0].digest, reports[0].events)
    };
    let a = digest(7);
    assert!(a.1 > 200, "the workload must produce events");
    assert_eq!(a, digest(7), "same seed, different trace");
    assert_ne!(a.0, digest(8).0, "different seeds gave the same trace");
}

#[test]
fn determinism_check_passes_on_deterministic_code() {
    sim::Builder::new("chatty")
        .seed(3)
        .iterations(2)
        .check_determinism(true)
        .try_run(chatty_workload)
        .unwrap();
}

#[test]
fn determinism_check_reports_first_divergence() {
    // State outside the simulation makes the second run of the same seed behave differently.
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let failure = sim::Builder::new("leaky")
        .seed(1)
        .iterations(1)
        .check_determinism(true)
        .try_run(|| async {
            let (_net, end, _junk) = one_end();
            for i in 0..3 + RUNS.fetch_add(1, Ordering::SeqCst) as i64 {
                let _: String = end.call("JunkServer.Handler2", &i).await.unwrap();
            }
        })
        .unwrap_err();
    let text = failure.to_string();
    assert!(text.contains("diverge at network event #"), "{text}");
    assert!(
        text.contains("run 2:") && text.contains("JunkServer.Handler2"),
        "{text}"
    );
    assert!(
        text.contains("LAB_SEED=1 LAB_CHECK_DETERMINISM=1 cargo test"),
        "{text}"
    );
}

#[test]
fn crashed_node_tasks_never_run_again() {
    sim::run("crashed_node_tasks_never_run_again", || async {
        let ticks = Arc::new(AtomicU64::new(0));
        let node = Node::new("S0");
        let server = node.enter(|| {
            // A task spawned by a task of the node belongs to the node too.
            let t = ticks.clone();
            labrpc::spawn(async move {
                let t2 = t.clone();
                labrpc::spawn(async move {
                    loop {
                        sleep(Duration::from_millis(7)).await;
                        t2.fetch_add(1, Ordering::SeqCst);
                    }
                });
                loop {
                    sleep(Duration::from_millis(10)).await;
                    t.fetch_add(1, Ordering::SeqCst);
                }
            });
            let server = Server::new();
            server.add_service(junk_service(Default::default()));
            server
        });
        let net = Network::new();
        net.add_server("S0", server);
        let end = net.make_end("c");
        net.connect("c", "S0");
        net.enable("c", true);
        let stuck =
            labrpc::spawn(async move { end.call::<_, i64>("JunkServer.Handler3", &1i64).await });
        sleep(Duration::from_secs(1)).await;
        assert!(ticks.load(Ordering::SeqCst) > 100);
        assert_eq!(node.live_tasks(), 3, "two loops and one handler");
        node.crash();
        let at_crash = ticks.load(Ordering::SeqCst);
        let late = Arc::new(AtomicU64::new(0));
        let l = late.clone();
        node.spawn(async move { l.fetch_add(1, Ordering::SeqCst) });
        sleep(Duration::from_secs(5)).await;
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            at_crash,
            "a crashed node's task ran"
        );
        assert_eq!(
            late.load(Ordering::SeqCst),
            0,
            "a task spawned on a crashed node ran"
        );
        assert_eq!(node.live_tasks(), 0);
        assert!(node.is_crashed());
        assert_eq!(
            stuck.await.unwrap(),
            Err(RpcError::Unavailable),
            "aborted handler replied"
        );
    });
}

#[test]
fn virtual_time_is_measured_and_limited() {
    let reports = sim::Builder::new("sleepy")
        .iterations(1)
        .check_determinism(false)
        .time_limit(Duration::from_secs(200))
        .try_run(|| async { sleep(Duration::from_secs(100)).await })
        .unwrap();
    assert_eq!(reports[0].virtual_time, Duration::from_secs(100));

    let failure = sim::Builder::new("too_slow")
        .iterations(1)
        .check_determinism(false)
        .try_run(|| async { sleep(Duration::from_secs(121)).await })
        .unwrap_err();
    assert!(
        failure.message.contains("limit of 120 s"),
        "{}",
        failure.message
    );
    assert_eq!(failure.virtual_time, Duration::from_secs(120));

    // A lab's harness names what usually hangs its tests, before the causes any lab can have.
    let failure = sim::Builder::new("stuck_migration")
        .iterations(1)
        .check_determinism(false)
        .hang_suspects(&["a configuration skipped or never applied"])
        .try_run(std::future::pending::<()>)
        .unwrap_err();
    let lines: Vec<&str> = failure.message.lines().collect();
    assert!(lines[0].ends_with("Likely causes:"), "{}", failure.message);
    assert_eq!(lines[1], "- a configuration skipped or never applied");
    assert!(
        lines[2].starts_with("- a task waiting for something"),
        "{}",
        failure.message
    );
}

/// A test that grades speed fails once lab code has blocked the simulator thread for longer than
/// it allows, without waiting for the body to finish; a test that does not block passes. Lab code
/// that asks for a larger bound does not get it.
#[test]
fn a_speed_test_fails_once_real_blocking_passes_its_bound() {
    if !std::path::Path::new("/proc/thread-self").exists() {
        return; // nothing is measured without Linux's /proc
    }
    let speed_test = |block: bool| {
        sim::Builder::new("speed")
            .iterations(1)
            .check_determinism(false)
            .try_run(move || async move {
                sim::limit_real_blocking(Duration::from_millis(300));
                if block {
                    sim::limit_real_blocking(Duration::from_secs(3600));
                }
                for _ in 0..100 {
                    if block {
                        #[allow(clippy::disallowed_methods)] // the very call to catch
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    sleep(Duration::from_millis(50)).await;
                }
            })
    };
    assert!(speed_test(false).is_ok());
    let failure = speed_test(true).unwrap_err();
    assert!(
        failure
            .message
            .starts_with("this test grades speed, and lab code blocked the simulator thread"),
        "{}",
        failure.message
    );
    assert!(
        failure.virtual_time < Duration::from_secs(5),
        "it ended {:?} into the run, not at once",
        failure.virtual_time
    );
}

#[test]
fn panicking_body_reports_seed_and_keeps_its_panic() {
    let failure = sim::Builder::new("assertion")
        .seed(99)
        .iterations(1)
        .check_determinism(false)
        .try_run(|| async {
            sleep(Duration::from_millis(1500)).await;
            assert_eq!(1 + 1, 3, "arithmetic is broken");
        })
        .unwrap_err();
    assert!(
        failure.message.contains("arithmetic is broken"),
        "{}",
        failure.message
    );
    assert_eq!(failure.virtual_time, Duration::from_millis(1500));
    assert!(
        failure.panic.is_some(),
        "run() must re-raise the body's own panic"
    );
    assert!(failure.to_string().contains("LAB_SEED=99"), "{failure}");
}

#[test]
fn panicking_node_task_fails_the_run_with_its_message() {
    let failure = sim::Builder::new("panicky")
        .seed(11)
        .iterations(1)
        .check_determinism(false)
        .try_run(|| async {
            let node = Node::new("S3");
            node.spawn(async {
                sleep(Duration::from_millis(5)).await;
                panic!("index out of range in the student's code");
            });
            sleep(Duration::from_secs(10)).await;
        })
        .unwrap_err();
    assert!(
        failure.message.contains("node S3 panicked"),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("index out of range"),
        "{}",
        failure.message
    );
    assert_eq!(
        failure.virtual_time,
        Duration::from_millis(5),
        "must fail at once"
    );
    assert!(
        failure.rerun.starts_with("LAB_SEED=11 cargo test"),
        "{}",
        failure.rerun
    );
}

/// Lab bugs reported by the network: a panicking handler, an unknown method, and arguments or a
/// reply of the wrong type. Outside a simulated run the caller just gets the error, and the
/// network keeps serving.
#[test]
fn programming_errors_are_errors_not_hangs() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let (net, end, _junk) = one_end();
        let srv = Server::new();
        srv.add_service(Service::new("Bad", ()).handle("Panic", |_, _: ()| async move {
            if true {
                panic!("boom");
            }
        }));
        net.add_server("bad", srv);
        let bad = net.make_end("bad-end");
        net.connect("bad-end", "bad");
        net.enable("bad-end", true);

        match bad.call::<_, ()>("Bad.Panic", &()).await {
            Err(RpcError::HandlerPanicked { method, message }) => {
                assert_eq!((method.as_str(), message.as_str()), ("Bad.Panic", "boom"))
            }
            other => panic!("expected HandlerPanicked, got {other:?}"),
        }
        match end.call::<_, String>("JunkServer.Nope", &1i64).await {
            Err(RpcError::UnknownMethod { method, known }) => {
                assert_eq!(method, "JunkServer.Nope");
                assert!(known.contains("JunkServer.Handler2"), "{known}");
            }
            other => panic!("expected UnknownMethod, got {other:?}"),
        }
        // Handler2 takes an i64: a string argument cannot decode.
        let err = end.call::<_, String>("JunkServer.Handler2", "text").await.unwrap_err();
        assert!(
            matches!(&err, RpcError::Codec { method, detail } if method == "JunkServer.Handler2" && detail.contains("arguments")),
            "{err:?}"
        );
        // Handler2 replies with a String: decoding it as a struct of two i64s fails at the caller.
        let err = end.call::<_, (i64, i64)>("JunkServer.Handler2", &1i64).await.unwrap_err();
        assert!(matches!(&err, RpcError::Codec { detail, .. } if detail.contains("reply")), "{err:?}");
        let reply: String = end.call("JunkServer.Handler2", &5i64).await.unwrap();
        assert_eq!(reply, "handler2-5", "the network must keep working");
    });
}

/// Inside a simulated run the same lab bugs fail the test, naming the method.
#[test]
fn programming_errors_fail_the_run() {
    let failure = sim::Builder::new("unknown")
        .iterations(1)
        .check_determinism(false)
        .try_run(|| async {
            let (_net, end, _junk) = one_end();
            let _ = end.call::<_, String>("JunkServer.Handler9", &1i64).await;
            sleep(Duration::from_secs(1)).await;
        })
        .unwrap_err();
    assert!(
        failure
            .message
            .contains("unknown method `JunkServer.Handler9`"),
        "{}",
        failure.message
    );
}

/// Run by `watchdog_ends_a_blocked_test` in a child process; does nothing when run directly.
#[test]
#[ignore = "run in a child process by watchdog_ends_a_blocked_test"]
fn blocking_handler_victim() {
    if std::env::var("LABRPC_WATCHDOG_VICTIM").is_err() {
        return;
    }
    sim::run("blocking_handler_victim", || async {
        let net = Network::new();
        let srv = Server::new();
        srv.add_service(
            Service::new("Slow", ()).handle("Block", |_, _: ()| async move {
                #[allow(clippy::disallowed_methods)] // the mistake this test is about
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }),
        );
        net.add_server("slow", srv);
        let end = net.make_end("e");
        net.connect("e", "slow");
        net.enable("e", true);
        let _ = end.call::<_, ()>("Slow.Block", &()).await;
    });
}

/// The report must reach the terminal the way students run tests: libtest capturing the test's
/// output (no `--nocapture`), which the process exit would otherwise throw away.
#[test]
fn watchdog_ends_a_blocked_test() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "blocking_handler_victim"])
        .env_remove("RUST_TEST_NOCAPTURE")
        .env("LABRPC_WATCHDOG_VICTIM", "1")
        .env("LAB_WATCHDOG_SECS", "1")
        .env("LAB_SEED", "5")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(sim::WATCHDOG_EXIT_STATUS),
        "{stderr}"
    );
    assert!(
        stderr.contains("labrpc watchdog: test `blocking_handler_victim` is stuck"),
        "{stderr}"
    );
    assert!(stderr.contains("std::thread::sleep"), "{stderr}");
    assert!(stderr.contains("seed 5\n"), "{stderr}");
    assert!(
        stderr.contains(
            "replay: LAB_SEED=5 cargo test -p labrpc --release -- --exact blocking_handler_victim"
        ),
        "{stderr}"
    );
}

/// Run by `a_blocked_thread_is_warned_about_once` in a child process; does nothing when run
/// directly. A handler blocks the simulator thread for 1.5 s of real time, then the test passes.
#[test]
#[ignore = "run in a child process by a_blocked_thread_is_warned_about_once"]
fn sleeping_handler_victim() {
    if std::env::var("LABRPC_SLEEP_VICTIM").is_err() {
        return;
    }
    sim::run("sleeping_handler_victim", || async {
        let net = Network::new();
        let srv = Server::new();
        srv.add_service(
            Service::new("Slow", ()).handle("Nap", |_, _: ()| async move {
                #[allow(clippy::disallowed_methods)] // the mistake this test is about
                std::thread::sleep(std::time::Duration::from_millis(1500));
            }),
        );
        net.add_server("slow", srv);
        let end = net.make_end("e");
        net.connect("e", "slow");
        net.enable("e", true);
        end.call::<_, ()>("Slow.Nap", &()).await.unwrap();
    });
}

/// A thread blocked in real time (here `std::thread::sleep` for 1.5 s) does not fail the test,
/// but gets one line starting `labrpc: warning: ` on standard error, even under libtest's
/// capture, naming the test, how long and the likely cause; the run stays replayable.
#[test]
fn a_blocked_thread_is_warned_about_once() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "sleeping_handler_victim"])
        .env_remove("RUST_TEST_NOCAPTURE")
        .env("LABRPC_SLEEP_VICTIM", "1")
        .env("LAB_SEED", "3")
        // Two runs of the seed, both blocking: still one warning, and equal event traces.
        .env("LAB_CHECK_DETERMINISM", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Success includes the determinism check: traces that differed would fail the test.
    assert!(out.status.success(), "{stderr}");
    if !std::path::Path::new("/proc/thread-self").exists() {
        return; // measured on Linux only
    }
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("labrpc: warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    let warning = warnings[0];
    assert!(
        warning.starts_with(
            "labrpc: warning: test `sleeping_handler_victim` (seed 3) blocked the simulator \
             thread for 1."
        ) && warning.contains("s of real time")
            && warning.contains("std::thread::sleep"),
        "{warning}"
    );
}

/// A test that never blocks measures no blocked time, however much it simulates.
#[test]
fn a_busy_test_is_not_blocked() {
    let reports = sim::Builder::new("a_busy_test_is_not_blocked")
        .seed(1)
        .iterations(1)
        .check_determinism(false)
        .try_run(|| async {
            let (_net, ends) = probe_network(4);
            for _ in 0..2000 {
                for end in &ends {
                    probe(end.clone()).await;
                }
            }
        })
        .unwrap();
    assert_eq!(reports[0].blocked, Duration::ZERO);
}

/// Tasks ready at the same instant run in an order the seed decides: the same on a replay, and
/// not simply the order they were spawned in.
#[test]
fn ready_tasks_run_in_seeded_order() {
    let order_for = |seed: u64| {
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let recorded = order.clone();
        sim::Builder::new("ready_tasks_run_in_seeded_order")
            .seed(seed)
            .iterations(1)
            .check_determinism(false)
            .try_run(move || {
                let order = recorded.clone();
                async move {
                    order.lock().unwrap().clear();
                    let tasks: Vec<_> = (0..10)
                        .map(|i| {
                            let order = order.clone();
                            labrpc::spawn(async move { order.lock().unwrap().push(i) })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                }
            })
            .unwrap();
        order.lock().unwrap().clone()
    };
    let spawned: Vec<i32> = (0..10).collect();
    let orders: Vec<Vec<i32>> = (1..=20).map(order_for).collect();
    assert_eq!(orders[0], order_for(1), "a seed must replay its order");
    assert!(
        orders.iter().any(|o| *o != spawned),
        "20 seeds all ran ten ready tasks in spawn order"
    );
    assert!(
        orders.iter().any(|o| *o != orders[0]),
        "20 seeds all gave the same order"
    );
}

#[test]
fn each_bound_keeps_the_largest_share_of_a_run() {
    let reports = sim::Builder::new("margins")
        .seed(1)
        .iterations(2)
        .check_determinism(false)
        .try_run(|| async {
            sim::bound("RPCs", 3.0, 10.0);
            sim::bound("RPCs", 7.0, 10.0);
            sim::bound("RPCs", 5.0, 10.0);
            sleep(Duration::from_secs(12)).await;
        })
        .unwrap();
    for report in &reports {
        assert_eq!(report.bounds.get("RPCs"), Some(&0.7));
        assert_eq!(report.bounds.get("virtual time"), Some(&0.1));
    }
}

/// A service that holds an end of its own network: a reference cycle, as every Raft peer makes.
struct HoldsItsNetwork {
    _end: labrpc::ClientEnd,
}

#[test]
fn clusters_are_freed_when_the_run_ends() {
    let weak: Arc<std::sync::Mutex<std::sync::Weak<HoldsItsNetwork>>> = Arc::default();
    let slot = weak.clone();
    sim::Builder::new("cycles")
        .seed(1)
        .iterations(1)
        .check_determinism(false)
        .try_run(move || {
            let slot = slot.clone();
            async move {
                let net = Network::new();
                let state = Arc::new(HoldsItsNetwork {
                    _end: net.make_end("self"),
                });
                *slot.lock().unwrap() = Arc::downgrade(&state);
                let srv = Server::new();
                srv.add_service(
                    Service::new("Holder", state).handle("Ping", |_, _: ()| async move {}),
                );
                net.add_server("holder", srv);
            }
        })
        .unwrap();
    assert!(
        weak.lock().unwrap().upgrade().is_none(),
        "a server whose service holds an end of its network outlived the run"
    );
}
