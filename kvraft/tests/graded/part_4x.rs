//! 4X: scenarios beyond 6.5840's tests, graded as their own part.
//!
//! An old copy of a clerk's request reaches the service after the clerk has moved on: the
//! network holds the first copy back (the clerk sees it lost), the clerk's retry is executed and
//! its next requests too, and then, after a leader change or after every server restarted from
//! its snapshot, the old copy reaches the leader. It must not be executed again. The original
//! tests never deliver a copy that late, so a duplicate table that recognises only a clerk's
//! latest request, or lives only on the leader, or is left out of the snapshot, passes them.

use tokio::time::sleep;

use crate::harness::{Client, Config, ELECTION_TIMEOUT, run};

/// The servers snapshot when their Raft state reaches this many bytes.
const MAXRAFTSTATE: usize = 1000;

/// Rounds per test, each on a key of its own.
const ROUNDS: usize = 3;

#[test]
fn late_request_after_leader_change_4x() {
    late_request(After::LeaderChange, None);
}

#[test]
fn late_request_after_snapshot_4x() {
    late_request(After::Snapshots, Some(MAXRAFTSTATE));
}

/// What happens between the clerk's requests and the late copy's arrival.
#[derive(Clone, Copy)]
enum After {
    /// The leader is cut off and a new one elected; then the partition heals.
    LeaderChange,
    /// Every server snapshots past the requests, and all restart from their snapshots.
    Snapshots,
}

impl After {
    fn describe(self) -> &'static str {
        match self {
            After::LeaderChange => "a leader change",
            After::Snapshots => "a restart from snapshots",
        }
    }
}

fn late_request(after: After, maxraftstate: Option<usize>) {
    run(3, false, maxraftstate, move |cfg| async move {
        let mut ck = cfg.make_client(&cfg.all());
        let title = format!(
            "Test: a late copy of a request, after {} (4X)",
            after.describe()
        );
        cfg.begin(&title, 1);
        for round in 0..ROUNDS {
            late_copy_round(&cfg, &mut ck, round, after).await;
        }
        cfg.end();
    });
}

/// One round on key `k<round>`: appends "a", then "b" with its first copy held back, then "c";
/// lets `after` happen, delivers the held copy of "b" to the leader, and checks that the key
/// holds each append once.
async fn late_copy_round(cfg: &Config, ck: &mut Client, round: usize, after: After) {
    let key = format!("k{round}");
    ck.append(&key, "a", None).await;
    let held = cfg.group().hold_clerk(&ck.ends(), 1);
    ck.append(&key, "b", None).await;
    assert_eq!(
        held.kept(),
        1,
        "the clerk's first copy of Append(\"b\") was held back"
    );
    ck.append(&key, "c", None).await;
    let expected = match after {
        After::LeaderChange => {
            let leader = cfg.group().leader().unwrap_or(0);
            let rest: Vec<usize> = cfg.all().into_iter().filter(|&i| i != leader).collect();
            cfg.partition(&[leader], &rest);
            ck.append(&key, "d", None).await;
            cfg.connect_all();
            "abcd"
        }
        After::Snapshots => {
            // Enough writes for every server to snapshot past the clerk's requests.
            for i in 0..40 {
                ck.put(&format!("fill{i}"), &"x".repeat(30), None).await;
            }
            sleep(ELECTION_TIMEOUT).await;
            for i in 0..cfg.n() {
                cfg.shutdown_server(i);
            }
            for i in 0..cfg.n() {
                cfg.start_server(i);
            }
            cfg.connect_all();
            "abc"
        }
    };

    // A read through the log shows a leader is in office; the copy goes to it.
    ck.get(&key, None).await;
    let leader = cfg.group().leader().unwrap_or(0);
    cfg.group().deliver_late(&held, leader);
    sleep(ELECTION_TIMEOUT).await;
    let value = ck.get(&key, None).await;
    assert!(
        value == expected,
        "Get({key:?}) = {value:?}, expected {expected:?}: an old copy of the clerk's \
         Append({key:?}, \"b\"), delivered to the leader after the clerk's later requests and \
         after {}, was executed again. A server must recognise every request a clerk has \
         already had executed (its sequence number is at or below the clerk's latest), on every \
         replica and after a restart from a snapshot",
        after.describe()
    );
}
