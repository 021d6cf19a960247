//! 3A: leader election.

use crate::harness::{ELECTION_TIMEOUT, run};
use tokio::time::{Duration, sleep};

#[test]
fn initial_election_3a() {
    run(
        3,
        false,
        false,
        "Test (3A): initial election",
        |cfg| async move {
            // Is a leader elected?
            cfg.check_one_leader().await;

            // Sleep a bit to avoid racing with followers learning of the election, then check that
            // all peers agree on the term.
            sleep(Duration::from_millis(50)).await;
            let term1 = cfg.check_terms().expect("no connected servers");
            assert!(term1 >= 1, "term is {term1}, but should be at least 1");

            // Does the leader+term stay the same if there is no network failure?
            sleep(2 * ELECTION_TIMEOUT).await;
            let term2 = cfg.check_terms().expect("no connected servers");
            if term1 != term2 {
                println!("warning: term changed even though there were no failures");
            }

            // There should still be a leader.
            cfg.check_one_leader().await;
        },
    );
}

#[test]
fn re_election_3a() {
    run(
        3,
        false,
        false,
        "Test (3A): election after network failure",
        |cfg| async move {
            let n = cfg.n();
            let leader1 = cfg.check_one_leader().await;

            // If the leader disconnects, a new one should be elected.
            cfg.disconnect(leader1);
            cfg.check_one_leader().await;

            // If the old leader rejoins, that shouldn't disturb the new leader. And the old leader
            // should switch to follower.
            cfg.connect(leader1);
            let leader2 = cfg.check_one_leader().await;

            // If there's no quorum, no new leader should be elected.
            cfg.disconnect(leader2);
            cfg.disconnect((leader2 + 1) % n);
            sleep(2 * ELECTION_TIMEOUT).await;

            // Check that the one connected server does not think it is the leader.
            cfg.check_no_leader();

            // If a quorum arises, it should elect a leader.
            cfg.connect((leader2 + 1) % n);
            cfg.check_one_leader().await;

            // Re-join of the last node shouldn't prevent leader from existing.
            cfg.connect(leader2);
            cfg.check_one_leader().await;
        },
    );
}

#[test]
fn many_elections_3a() {
    run(
        7,
        false,
        false,
        "Test (3A): multiple elections",
        |cfg| async move {
            let n = cfg.n();
            cfg.check_one_leader().await;

            for _ in 1..10 {
                // Disconnect three nodes (possibly the same one more than once).
                let i1 = labrpc::rand::random_range(0..n);
                let i2 = labrpc::rand::random_range(0..n);
                let i3 = labrpc::rand::random_range(0..n);
                cfg.disconnect(i1);
                cfg.disconnect(i2);
                cfg.disconnect(i3);

                // Either the current leader should still be alive, or the remaining four should
                // elect a new one.
                cfg.check_one_leader().await;

                cfg.connect(i1);
                cfg.connect(i2);
                cfg.connect(i3);
            }

            cfg.check_one_leader().await;
        },
    );
}
