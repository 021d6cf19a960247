//! The reference solution's own protocol between groups under faults: a damaged shard transfer,
//! and requests about a configuration the receiver has not reached. Each must end in a clear
//! refusal or in retries that succeed once the fault is gone: never a hang, a wrong answer or a
//! lost write.
//!
//! These tests speak the reference's messages between groups, through copies of its wire types
//! below. A student designs that protocol, so they check the reference's choices and not the lab:
//! they are instructor-only (labs.toml), out of the handout and of `make lab5` there.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use labrpc::{Server, Service};
use serde::{Deserialize, Serialize};
use shardkv::ctrler::Gid;
use shardkv::{NSHARDS, key2shard};
use tokio::time::{Duration, timeout};

// Only part of the graded harness is used here.
#[allow(dead_code)]
#[path = "graded/harness.rs"]
mod harness;

use harness::{GIDS, run};

/// The reference's `shardkv::common::Error`, variant for variant (the wire carries the index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum WireErr {
    Ok,
    ErrNoKey,
    ErrWrongGroup,
    ErrWrongLeader,
    ErrNotReady,
}

/// The reference's `PullShardArgs` and `DeleteShardArgs` (the same fields).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ShardArgs {
    num: u64,
    shard: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PullShardReply {
    err: WireErr,
    data: BTreeMap<String, String>,
    latest: BTreeMap<u64, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DeleteShardReply {
    err: WireErr,
}

/// How long a request that should not finish is given.
const WINDOW: Duration = Duration::from_secs(2);

/// A one-character key of shard `shard`.
fn key_of(shard: usize) -> String {
    (b'0'..=b'9')
        .map(|b| char::from(b).to_string())
        .find(|k| key2shard(k) == shard)
        .expect("the digits cover every shard")
}

/// A group gains shards from a (fake) previous owner that answers with keys of other shards: it
/// must refuse the transfer, keep the shard unserved and ask again, and install the shard once
/// a sound transfer arrives.
#[test]
fn corrupt_shard_transfer_is_refused() {
    const FAKE_GID: Gid = 7;
    const FAKE_SERVER: &str = "fake-S0";
    run(false, None, |cfg| async move {
        let corrupt = Arc::new(AtomicBool::new(true));
        let service = Service::new("ShardKV", corrupt.clone())
            .handle("PullShard", |corrupt, args: ShardArgs| async move {
                let mut data = BTreeMap::new();
                if corrupt.load(Ordering::SeqCst) {
                    data.insert(key_of((args.shard + 1) % NSHARDS), "stray".to_string());
                }
                PullShardReply {
                    err: WireErr::Ok,
                    data,
                    latest: BTreeMap::new(),
                }
            })
            .handle("DeleteShard", |_, _: ShardArgs| async move {
                DeleteShardReply { err: WireErr::Ok }
            });
        let server = Server::new();
        server.add_service(service);
        cfg.net().add_server(FAKE_SERVER, server);

        // The fake group owns every shard; then group 100 joins and must pull half of them.
        let fake = BTreeMap::from([(FAKE_GID, vec![FAKE_SERVER.to_string()])]);
        cfg.mck().await.join(fake).await;
        cfg.join(0).await;
        let config = cfg.mck().await.query(None).await;
        let shard = (0..NSHARDS)
            .find(|&s| config.shards[s] == GIDS[0])
            .expect("group 100 owns some shard");
        let key = key_of(shard);

        let mut ck = cfg.make_client();
        let served = timeout(WINDOW, ck.put(&key, "v", None)).await;
        assert!(
            served.is_err(),
            "group 100 served shard {shard} from a transfer holding another shard's key"
        );

        corrupt.store(false, Ordering::SeqCst);
        let mut ck = cfg.make_client();
        ck.put(&key, "v", None).await;
        ck.check(&key, "v").await;
        ck.check(&key_of((shard + 1) % NSHARDS), "").await;
    });
}

/// Requests between groups about a configuration from the future get "not ready", at once,
/// from every server (a leader through its log, the others without): never data, never a hang.
#[test]
fn request_from_a_future_configuration() {
    run(false, None, |cfg| async move {
        cfg.join(0).await;
        let mut ck = cfg.make_client();
        ck.put("0", "x", None).await; // the group has reached configuration 1
        let group = cfg.group(0);
        let args = ShardArgs { num: 99, shard: 8 };
        let mut not_ready = 0;
        for i in group.all() {
            let end = cfg.make_end()(&group.server_name(i));
            let pull = end.call::<_, PullShardReply>("ShardKV.PullShard", &args);
            let reply = timeout(WINDOW, pull).await.expect("PullShard hung");
            let reply = reply.expect("a reliable network delivers");
            assert_eq!(
                reply.err,
                WireErr::ErrNotReady,
                "PullShard of configuration 99"
            );
            assert!(
                reply.data.is_empty(),
                "data for configuration 99: {reply:?}"
            );

            let delete = end.call::<_, DeleteShardReply>("ShardKV.DeleteShard", &args);
            let reply = timeout(WINDOW, delete).await.expect("DeleteShard hung");
            let err = reply.expect("a reliable network delivers").err;
            assert!(
                matches!(err, WireErr::ErrNotReady | WireErr::ErrWrongLeader),
                "DeleteShard of configuration 99 answered {err:?}"
            );
            not_ready += usize::from(err == WireErr::ErrNotReady);
        }
        assert_eq!(not_ready, 1, "exactly the leader refuses through its log");
        ck.check("0", "x").await;
    });
}
