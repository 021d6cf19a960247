//! Faults around the sharded service that every correct solution must survive, whatever its
//! protocol between groups: with the controller unreachable, a group keeps serving what it owns
//! and clerks retry until it is back. Never a hang, a wrong answer or a lost write.
//!
//! Not graded, but `make lab5` runs it: it talks to your code only through the API the lab page
//! fixes. (The checks of the reference's own messages between groups are the course's, in
//! `reference_protocol.rs`, which the handout leaves out.)

use tokio::time::{Duration, timeout};

// Only part of the graded harness is used here.
#[allow(dead_code)]
#[path = "graded/harness.rs"]
mod harness;

use harness::{keys, randstring, run};

/// How long a request that should not finish is given.
const WINDOW: Duration = Duration::from_secs(2);

/// With the whole controller down, a group keeps serving the shards it owns; a clerk that has no
/// configuration yet retries until the controller is back. No write is lost.
#[test]
fn unreachable_controller() {
    run(false, None, |cfg| async move {
        cfg.join(0).await;
        let mut ck = cfg.make_client();
        let ka = keys(10);
        let mut va: Vec<String> = ka.iter().map(|_| randstring(5)).collect();
        for (k, v) in ka.iter().zip(&va) {
            ck.put(k, v, None).await;
        }

        let ctrler = cfg.ctrler();
        for i in ctrler.all() {
            ctrler.shutdown_server(i);
        }
        for (k, v) in ka.iter().zip(va.iter_mut()) {
            let x = randstring(5);
            ck.append(k, &x, None).await;
            v.push_str(&x);
            ck.check(k, v).await;
        }
        let mut newcomer = cfg.make_client();
        let early = timeout(WINDOW, newcomer.get(&ka[0], None)).await;
        assert!(early.is_err(), "a Get finished without any configuration");

        for i in ctrler.all() {
            ctrler.start_server(i);
        }
        ctrler.connect_all();
        let mut newcomer = cfg.make_client();
        for (k, v) in ka.iter().zip(&va) {
            newcomer.check(k, v).await;
        }
    });
}
