//! Ports of 6.5840's labrpc tests (`src/labrpc/test_test.go`), one `#[test]` each, on the simulator.

mod common;

use common::{JunkArgs, JunkReply, junk_network, one_end};
use labrpc::{RpcError, sim};
use tokio::time::{Duration, Instant, sleep, timeout};

#[test]
fn basic() {
    sim::run("basic", || async {
        let (_net, end, _junk) = one_end();
        let reply: String = end.call("JunkServer.Handler2", &111i64).await.unwrap();
        assert_eq!(reply, "handler2-111", "wrong reply from Handler2");
        let reply: i64 = end.call("JunkServer.Handler1", "9099").await.unwrap();
        assert_eq!(reply, 9099, "wrong reply from Handler1");
    });
}

#[test]
fn types() {
    sim::run("types", || async {
        let (_net, end, _junk) = one_end();
        // Go distinguishes pointer and value arguments; in Rust both are one serde type.
        let reply: JunkReply = end
            .call("JunkServer.Handler4", &JunkArgs::default())
            .await
            .unwrap();
        assert_eq!(reply.x, "pointer", "wrong reply from Handler4");
        let reply: JunkReply = end
            .call("JunkServer.Handler5", &JunkArgs { x: 5 })
            .await
            .unwrap();
        assert_eq!(reply.x, "no pointer", "wrong reply from Handler5");
    });
}

/// Does disabling an end really disconnect the client?
#[test]
fn disconnect() {
    sim::run("disconnect", || async {
        let (net, _junk) = junk_network("server99");
        let end = net.make_end("end1-99");
        net.connect("end1-99", "server99");
        let r: Result<String, _> = end.call("JunkServer.Handler2", &111i64).await;
        assert_eq!(
            r,
            Err(RpcError::Unavailable),
            "unexpected reply from Handler2"
        );
        net.enable("end1-99", true);
        let reply: i64 = end.call("JunkServer.Handler1", "9099").await.unwrap();
        assert_eq!(reply, 9099, "wrong reply from Handler1");
    });
}

#[test]
fn counts() {
    sim::run("counts", || async {
        let (net, _junk) = junk_network("99");
        let end = net.make_end("end1-99");
        net.connect("end1-99", "99");
        net.enable("end1-99", true);
        for i in 0..17i64 {
            let reply: String = end.call("JunkServer.Handler2", &i).await.unwrap();
            assert_eq!(reply, format!("handler2-{i}"));
        }
        assert_eq!(net.count("99"), 17, "wrong count(), expected 17");
    });
}

/// Go's bounds hold for the bincode encoding (labrpc::codec, varint integers):
/// - 17 calls with a 284-character string argument: each argument is a 3-byte length prefix
///   (284 >= 251 needs the 3-byte form) plus 284 bytes = 287 bytes, and each reply is the i64 284
///   in 3 bytes, so the total is 17 * (287 + 3) = 4930, inside Go's [4828, 6000] (4828 = 17 * 284:
///   the bound is the bare payload, exactly as tight as in Go).
/// - 17 calls with the argument 107 (1 byte) and a 107-character reply (1 + 107 bytes):
///   17 * 109 = 1853, inside Go's [1800, 2500] (payload 17 * 107 = 1819).
#[test]
fn bytes() {
    const ARGS_MIN: u64 = 17 * 284;
    const ARGS_MAX: u64 = 6000;
    const REPLIES_MIN: u64 = 1800;
    const REPLIES_MAX: u64 = 2500;
    sim::run("bytes", || async {
        let (net, _junk) = junk_network("99");
        let end = net.make_end("end1-99");
        net.connect("end1-99", "99");
        net.enable("end1-99", true);
        let args = "x".repeat(71).repeat(4);
        for _ in 0..17 {
            let reply: i64 = end.call("JunkServer.Handler6", &args).await.unwrap();
            assert_eq!(reply, args.len() as i64, "wrong reply from Handler6");
        }
        let n = net.total_bytes();
        assert!(
            (ARGS_MIN..=ARGS_MAX).contains(&n),
            "wrong total_bytes() {n}, expected about 5000"
        );
        for _ in 0..17 {
            let reply: String = end.call("JunkServer.Handler7", &107i64).await.unwrap();
            assert_eq!(reply.len(), 107, "wrong reply length from Handler7");
        }
        let nn = net.total_bytes() - n;
        assert!(
            (REPLIES_MIN..=REPLIES_MAX).contains(&nn),
            "wrong total_bytes() {nn}, expected about 2000"
        );
    });
}

/// RPCs from many concurrent client ends.
#[test]
fn concurrent_many() {
    sim::run("concurrent_many", || async {
        let (net, _junk) = junk_network("1000");
        let (nclients, nrpcs) = (20, 10);
        let mut clients = Vec::new();
        for i in 0..nclients {
            let net = net.clone();
            clients.push(labrpc::spawn(async move {
                let name = i.to_string();
                let end = net.make_end(&name);
                net.connect(&name, "1000");
                net.enable(&name, true);
                let mut n = 0;
                for j in 0..nrpcs {
                    let arg = i * 100 + j;
                    let reply: String = end.call("JunkServer.Handler2", &arg).await.unwrap();
                    assert_eq!(reply, format!("handler2-{arg}"));
                    n += 1;
                }
                n
            }));
        }
        let mut total = 0;
        for c in clients {
            total += c.await.unwrap();
        }
        assert_eq!(total, nclients * nrpcs, "wrong number of RPCs completed");
        assert_eq!(net.count("1000"), total as u64, "wrong count()");
    });
}

#[test]
fn unreliable() {
    sim::run("unreliable", || async {
        let (net, _junk) = junk_network("1000");
        net.set_reliable(false);
        let mut clients = Vec::new();
        for i in 0..300i64 {
            let net = net.clone();
            clients.push(labrpc::spawn(async move {
                let name = i.to_string();
                let end = net.make_end(&name);
                net.connect(&name, "1000");
                net.enable(&name, true);
                let arg = i * 100;
                match end.call::<_, String>("JunkServer.Handler2", &arg).await {
                    Ok(reply) => {
                        assert_eq!(reply, format!("handler2-{arg}"));
                        1
                    }
                    Err(_) => 0,
                }
            }));
        }
        let mut total = 0;
        for c in clients {
            total += c.await.unwrap();
        }
        assert!(
            total != 300 && total != 0,
            "{total} of 300 RPCs succeeded on an unreliable network"
        );
    });
}

/// Concurrent RPCs on a single client end.
#[test]
fn concurrent_one() {
    sim::run("concurrent_one", || async {
        let (net, junk) = junk_network("1000");
        let end = net.make_end("c");
        net.connect("c", "1000");
        net.enable("c", true);
        let nrpcs = 20;
        let mut calls = Vec::new();
        for i in 0..nrpcs {
            let end = end.clone();
            calls.push(labrpc::spawn(async move {
                let arg = 100 + i;
                let reply: String = end.call("JunkServer.Handler2", &arg).await.unwrap();
                assert_eq!(reply, format!("handler2-{arg}"));
            }));
        }
        for c in calls {
            c.await.unwrap();
        }
        assert_eq!(
            junk.log2.lock().unwrap().len(),
            nrpcs as usize,
            "wrong number of RPCs delivered"
        );
        assert_eq!(net.count("1000"), nrpcs as u64, "wrong count()");
    });
}

/// An RPC delayed while its end was disabled must not delay RPCs made after the end is enabled.
#[test]
fn regression1() {
    sim::run("regression1", || async {
        let (net, junk) = junk_network("1000");
        let end = net.make_end("c");
        net.connect("c", "1000");
        net.enable("c", false);
        let mut delayed = Vec::new();
        for i in 0..20i64 {
            let end = end.clone();
            delayed.push(labrpc::spawn(async move {
                end.call::<_, String>("JunkServer.Handler2", &(100 + i))
                    .await
            }));
        }
        sleep(Duration::from_millis(100)).await;
        let t0 = Instant::now();
        net.enable("c", true);
        let reply: String = end.call("JunkServer.Handler2", &99i64).await.unwrap();
        assert_eq!(reply, "handler2-99");
        let dur = t0.elapsed();
        assert!(
            dur <= Duration::from_millis(30),
            "RPC took too long ({dur:?}) after enable"
        );
        for d in delayed {
            assert!(
                d.await.unwrap().is_err(),
                "a call made while disabled succeeded"
            );
        }
        assert_eq!(
            junk.log2.lock().unwrap().len(),
            1,
            "wrong number of RPCs delivered"
        );
        assert_eq!(net.count("1000"), 1, "wrong count()");
    });
}

/// An RPC stuck in a server's handler must come unstuck when the server is deleted.
#[test]
fn killed() {
    sim::run("killed", || async {
        let (net, end, _junk) = one_end();
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        labrpc::spawn(async move {
            let r = end.call::<_, i64>("JunkServer.Handler3", &99i64).await;
            tx.send(r).await.unwrap();
        });
        sleep(Duration::from_millis(1000)).await;
        assert!(
            timeout(Duration::from_millis(100), rx.recv())
                .await
                .is_err(),
            "Handler3 should not have returned yet"
        );
        net.delete_server("server99");
        match timeout(Duration::from_millis(100), rx.recv()).await {
            Ok(Some(r)) => assert!(
                r.is_err(),
                "Handler3 returned successfully despite delete_server()"
            ),
            _ => panic!("Handler3 should return after delete_server()"),
        }
    });
}
