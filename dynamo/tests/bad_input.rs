//! Bad input: a clerk RPC whose argument does not decode, options that make no sense (an N larger
//! than the ring, R or W of 0 or above N), and a node restarted on damaged persisted state. Each
//! ends at once with a message that says what is wrong (a failing run names the test and its
//! seed, with the command that replays it): never a hang, never a silent pass.

use std::time::Duration;

use dynamo::common::{GetArgs, GetReply};
use dynamo::{DynamoError, Mode, Options, Quorum};
use labrpc::{RpcError, sim};

// Only part of the graded harness is used here.
#[allow(dead_code)]
#[path = "graded/harness.rs"]
mod harness;

use harness::{Cluster, Setup};

const SEED: u64 = 11;

fn builder(test: &str) -> sim::Builder {
    sim::Builder::new(test)
        .package("dynamo")
        .seed(SEED)
        .iterations(1)
        .check_determinism(false)
}

/// Runs `body` on five nodes and returns the failure's full report, checking that it names the
/// test and the seed and came soon.
fn expect_failure<F, Fut>(test: &str, body: F) -> String
where
    F: Fn(Cluster) -> Fut,
    Fut: Future<Output = ()>,
{
    let outcome = builder(test).try_run(|| body(Cluster::new(test, Setup::ring(5))));
    let failure = outcome.expect_err("the run should have failed");
    let report = failure.to_string();
    assert!(
        report.contains(&format!("seed {SEED}")) && failure.rerun.contains(test),
        "the failure must name the test and the seed: {report}"
    );
    assert!(
        failure.virtual_time < Duration::from_secs(10),
        "the failure took {:?} of virtual time to surface",
        failure.virtual_time
    );
    report
}

#[test]
fn malformed_clerk_argument() {
    let report = expect_failure("malformed_clerk_argument", |cfg| async move {
        let end = cfg.group().make_end(0);
        let garbage = vec![0xffu8; 3];
        let reply = end.call::<_, Vec<u8>>("Dynamo.Get", &garbage).await;
        assert!(matches!(reply, Err(RpcError::Codec { .. })), "{reply:?}");
    });
    assert!(
        report.contains("Dynamo.Get") && report.contains("cannot decode its arguments"),
        "{report}"
    );
}

/// Options a coordinator must refuse, sent as they are (not through `Options::new`), and an N
/// the ring cannot give: each answered with BadOptions, at once.
#[test]
fn options_that_make_no_sense_are_refused() {
    builder("options_that_make_no_sense_are_refused").run(|| async {
        let cfg = Cluster::new("options_that_make_no_sense_are_refused", Setup::ring(5));
        let end = cfg.group().make_end(0);
        let quorum = |n, r, w| Quorum { n, r, w };
        let cases = [
            (
                quorum(7, 2, 2),
                Mode::Quorum,
                "N = 7, but the ring has only 5 nodes",
            ),
            (quorum(3, 0, 2), Mode::Quorum, "R = 0 with N = 3"),
            (quorum(3, 2, 4), Mode::Quorum, "W = 4 with N = 3"),
            (quorum(3, 1, 1), Mode::Linearizable, "need R + W > N"),
        ];
        for (quorum, mode, why) in cases {
            let args = GetArgs {
                key: "k".into(),
                options: Options { quorum, mode },
            };
            let started = tokio::time::Instant::now();
            let reply = end.call::<_, GetReply>("Dynamo.Get", &args).await;
            let result = reply.expect("the node answers").result;
            assert!(
                matches!(&result, Err(DynamoError::BadOptions(m)) if m.contains(why)),
                "{quorum:?} {mode:?}: expected BadOptions saying {why:?}, got {result:?}"
            );
            assert!(started.elapsed() < Duration::from_millis(100));
        }
    });
}

#[test]
fn corrupt_persisted_state_on_restart() {
    let report = expect_failure("corrupt_persisted_state_on_restart", |cfg| async move {
        let mut ck = cfg.make_client(Options::default_in(Mode::Sloppy), &cfg.all());
        for i in 0..20 {
            ck.must_put(&format!("k{i}"), "some value").await;
        }
        cfg.crash(2);
        let saved = cfg.group().persister(2);
        assert!(saved.raft_state_size() > 0, "node 2 persisted nothing");
        saved.save(b"not a node's state", &[]);
        cfg.restart(2, &cfg.all());
    });
    assert!(
        report.contains("persisted state") && report.contains("cannot be read"),
        "{report}"
    );
}
