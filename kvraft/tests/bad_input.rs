//! Bad input: a clerk RPC whose argument does not decode, a method the service does not have, and
//! a restarting server handed a damaged snapshot or Raft state. Each must end the run at once
//! with a message that says what went wrong, and the failure must name the test and its seed
//! (with the command that replays it): never a hang, never a silent recovery into wrong state.

use std::time::Duration;

use kvraft::{Clerk, KvServer};
use labrpc::{Network, RpcError, sim};
use tests::group::Group;

// Only part of the graded harness is used here.
#[allow(dead_code)]
#[path = "graded/harness.rs"]
mod harness;

use harness::KvReplica;

const SEED: u64 = 7;

/// Runs `body` on a fresh group of three servers (snapshotting at 1000 bytes) and returns the
/// failure's full report, checking that it names this test and the seed.
fn expect_failure<F, Fut>(test: &str, body: F) -> String
where
    F: Fn(Network, Group<KvReplica>) -> Fut,
    Fut: Future<Output = ()>,
{
    let outcome = sim::Builder::new(test)
        .package("kvraft")
        .seed(SEED)
        .iterations(1)
        .check_determinism(false)
        .try_run(|| {
            let net = Network::new();
            let group = Group::new(&net, "", 3, |ends, me, persister| {
                KvReplica(KvServer::new(ends, me, persister, Some(1000)))
            });
            body(net, group)
        });
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
    let report = expect_failure("malformed_clerk_argument", |_, group| async move {
        let end = group.make_end(0);
        // A string of three invalid UTF-8 bytes where GetArgs starts with a key.
        let garbage = vec![0xffu8; 3];
        let reply = end.call::<_, Vec<u8>>("KVServer.Get", &garbage).await;
        assert!(matches!(reply, Err(RpcError::Codec { .. })), "{reply:?}");
    });
    assert!(
        report.contains("KVServer.Get") && report.contains("cannot decode its arguments"),
        "{report}"
    );
}

#[test]
fn unknown_method() {
    let report = expect_failure("unknown_method", |_, group| async move {
        let end = group.make_end(1);
        let reply = end.call::<_, String>("KVServer.Delete", "k").await;
        assert!(
            matches!(reply, Err(RpcError::UnknownMethod { .. })),
            "{reply:?}"
        );
    });
    assert!(
        report.contains("unknown method `KVServer.Delete`") && report.contains("KVServer.Get"),
        "{report}"
    );
}

/// Writes something through the group so that server 0 has persisted state, then shuts it down.
async fn write_and_shut_down_server_0(group: &Group<KvReplica>) {
    let ends = group.make_clerk_ends(&group.all());
    let mut ck = Clerk::new(ends.ends);
    for i in 0..100 {
        ck.put(&format!("k{i}"), "some value").await;
    }
    group.shutdown_server(0);
}

#[test]
fn corrupt_snapshot_on_restart() {
    let report = expect_failure("corrupt_snapshot_on_restart", |_, group| async move {
        write_and_shut_down_server_0(&group).await;
        let saved = group.persister(0);
        assert!(saved.snapshot_size() > 0, "server 0 never snapshotted");
        saved.save(&saved.read_raft_state(), b"not a snapshot");
        group.start_server(0);
    });
    assert!(report.contains("snapshot"), "{report}");
}

#[test]
fn corrupt_raft_state_on_restart() {
    let report = expect_failure("corrupt_raft_state_on_restart", |_, group| async move {
        write_and_shut_down_server_0(&group).await;
        let saved = group.persister(0);
        saved.save(&[0xff; 16], &saved.read_snapshot());
        group.start_server(0);
    });
    assert!(report.contains("Raft state"), "{report}");
}
