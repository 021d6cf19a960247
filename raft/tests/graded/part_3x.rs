//! 3X: scenarios beyond 6.5840's tests, graded as their own part.
//!
//! Some classic Raft bugs survive the original 28 tests on almost every seed, because the
//! interleaving that exposes them needs several unlikely steps in a row. These tests play each
//! such interleaving on purpose, with partitions that cut single links and restarts at chosen
//! moments, while a monitor checks Election Safety (at most one leader per term) every 2 ms.
//! A correct Raft passes them whatever its timing: each scenario only asserts what Figure 2 of
//! the paper guarantees, and where a step depends on an election the test cannot steer, the round
//! is abandoned and tried again rather than failed.

use crate::harness::{Cmd, Config, SNAPSHOT_INTERVAL, random_int, run};
use tokio::time::{Duration, Instant, sleep};

/// The scenario of Figure 8 of the extended Raft paper, played step by step. A leader in a later
/// term must not commit an entry of an earlier term by counting its replicas, because a peer whose
/// last entry has a higher term can still be elected and overwrite it.
#[test]
fn figure8_scripted_3x() {
    run(
        5,
        false,
        false,
        "Test (3X): Figure 8, step by step",
        |cfg| async move {
            let _monitor = cfg.monitor_election_safety();
            cfg.one(random_int(), 5, true).await;
            for _ in 0..3 {
                figure8_round(&cfg).await;
                cfg.set_links(|_, _| true);
                cfg.one(random_int(), 5, true).await;
            }
        },
    );
}

async fn figure8_round(cfg: &Config) {
    let n = cfg.n();
    // (a) The leader appends an entry that reaches one follower only.
    let s1 = cfg.check_one_leader().await;
    let s2 = (s1 + 1) % n;
    let rest: Vec<usize> = (0..n).filter(|&i| i != s1 && i != s2).collect();
    cfg.partition(&[&[s1, s2], &rest]);
    let Some((index, _)) = start_on(cfg, s1) else {
        return; // no longer leader: nothing to play this round
    };
    sleep(Duration::from_millis(200)).await;

    // (b) The other three elect a leader, which appends an entry at the same index and is cut
    // off before it can send it.
    let (s5, _) = cfg.leader_among(&rest).await;
    let others: Vec<usize> = rest.iter().copied().filter(|&i| i != s5).collect();
    cfg.partition(&[&[s1, s2], &others]);
    if start_on(cfg, s5).map(|(i, _)| i) != Some(index) {
        return;
    }

    // (c) The first entry's holders and a peer with neither entry elect a leader in a later term.
    // It brings the first entry to a majority, but must not commit it: no entry of its own term
    // is there yet.
    let (s3, s4) = (others[0], others[1]);
    cfg.partition(&[&[s1, s2, s3]]);
    cfg.leader_among(&[s1, s2, s3]).await;
    sleep(Duration::from_millis(500)).await;

    // (d) The cut-off leader returns with the peer that took the first entry and one that never
    // saw it. Its last entry has the highest term, so it wins and overwrites the first entry with
    // its own. Had (c) committed the first entry, two commands now commit at one index.
    cfg.partition(&[&[s5, s3, s4]]);
    let (leader, _) = cfg.leader_among(&[s5, s3, s4]).await;
    if let Some((last, _)) = start_on(cfg, leader) {
        cfg.wait(last, 3, None).await;
    }
}

/// A voter that restarts must remember whom it voted for in its current term. Three peers, the
/// two candidates unable to reach each other: one of them wins with the third peer's vote, the
/// voter restarts, and the other candidate then asks it for the same term.
#[test]
fn restarted_voter_3x() {
    run(
        3,
        false,
        false,
        "Test (3X): a restarted peer remembers its vote",
        |cfg| async move {
            let _monitor = cfg.monitor_election_safety();
            cfg.one(random_int(), 3, true).await;
            let mut played = 0;
            for _ in 0..20 {
                if played == 3 {
                    break;
                }
                if restarted_voter_round(&cfg).await {
                    played += 1;
                }
                cfg.set_links(|_, _| true);
                cfg.one(random_int(), 3, true).await;
            }
        },
    );
}

/// One attempt at the scenario; whether the window it needs opened.
async fn restarted_voter_round(cfg: &Config) -> bool {
    let voter = cfg.check_one_leader().await;
    let (a, b) = ((voter + 1) % 3, (voter + 2) % 3);
    let links = move |i: usize, j: usize| (i, j) != (a, b) && (i, j) != (b, a);
    // Restarting the leader makes it a follower; the first of the three to time out runs the next
    // election.
    cfg.restart(voter, links);
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        sleep(Duration::from_millis(1)).await;
        let (Some(v), Some(sa), Some(sb)) = (cfg.state_of(voter), cfg.state_of(a), cfg.state_of(b))
        else {
            return false;
        };
        if v.1 {
            return false; // the voter itself won this time
        }
        let (winner, loser) = match (sa.1, sb.1) {
            (true, _) => (sa, sb),
            (_, true) => (sb, sa),
            _ => continue,
        };
        if loser.0 + 1 != winner.0 {
            return false; // the loser already ran for that term
        }
        // The winner holds the voter's vote for its term; the loser, which never heard of it, will
        // ask the restarted voter for the same term at its next timeout.
        cfg.restart(voter, links);
        sleep(Duration::from_secs(2)).await;
        return true;
    }
    false
}

/// A leader cut off while the others elect a new one learns of the new term only from replies:
/// the new leader cannot reach it, and the follower it reaches never sends it a request. Figure
/// 2: a peer that sees a higher term in a reply becomes a follower of that term.
#[test]
fn deposed_leader_steps_down_3x() {
    run(
        3,
        false,
        false,
        "Test (3X): a deposed leader learns the new term from replies",
        |cfg| async move {
            let _monitor = cfg.monitor_election_safety();
            cfg.one(random_int(), 3, true).await;
            for _ in 0..3 {
                let old = cfg.check_one_leader().await;
                let Some((old_term, true)) = cfg.state_of(old) else {
                    continue;
                };
                let others: Vec<usize> = (0..3).filter(|&i| i != old).collect();
                cfg.partition(&[&others]);
                let (new, _) = cfg.leader_among(&others).await;
                cfg.set_links(move |i, j| (i, j) != (old, new) && (i, j) != (new, old));
                let t0 = Instant::now();
                while cfg.state_of(old) == Some((old_term, true)) {
                    assert!(
                        t0.elapsed() < Duration::from_secs(1),
                        "server {old} still leads term {old_term} 1 s after it could hear of a \
                         later term in the replies to its heartbeats: a peer that sees a higher \
                         term in a reply must become a follower of that term"
                    );
                    sleep(Duration::from_millis(10)).await;
                }
                cfg.set_links(|_, _| true);
                cfg.one(random_int(), 3, true).await;
            }
        },
    );
}

/// A follower far behind the leader catches up through InstallSnapshot, and then a late copy of
/// that InstallSnapshot reaches it: the network held the first copy back (the leader saw it lost
/// and sent another), and delivers it after the follower has applied entries past it. Figure 13:
/// a snapshot that covers no more than the follower has already committed changes nothing. (The
/// follower is crashed rather than cut off while it falls behind, so that it does not run for
/// elections and comes back in the leader's term: the late copy is then not refused for its term.)
#[test]
fn late_install_snapshot_3x() {
    run(
        3,
        false,
        true,
        "Test (3X): a late copy of an InstallSnapshot",
        |cfg| async move {
            cfg.one(random_int(), 3, true).await;
            for _ in 0..3 {
                let f = (cfg.check_one_leader().await + 1) % 3;
                cfg.crash1(f);
                // Enough entries for the others to snapshot far past the follower's log.
                for _ in 0..6 * SNAPSHOT_INTERVAL {
                    cfg.one(random_int(), 2, true).await;
                }
                // The first request to the follower as long as a snapshot of 60 entries: its
                // log cannot be sent in AppendEntries any more, so that is an InstallSnapshot.
                let held = cfg.hold_long_request_to(f, 300);
                cfg.start1(f);
                cfg.connect(f);
                // The follower catches up through a later copy, then applies entries past it.
                for _ in 0..SNAPSHOT_INTERVAL / 2 {
                    cfg.one(random_int(), 3, true).await;
                }
                if held.kept() == 1 {
                    cfg.deliver_late(&held, f);
                    sleep(Duration::from_millis(200)).await;
                }
                cfg.one(random_int(), 3, true).await;
            }
        },
    );
}

/// A follower hears nothing from the leader for a few commits (the network holds every request
/// the leader sends it), catches up through later AppendEntries, and then receives the old ones,
/// oldest first, after more entries have committed. Figure 2: an AppendEntries whose entries the
/// follower already has changes nothing; only a conflicting entry is a reason to truncate.
#[test]
fn late_append_entries_3x() {
    run(
        3,
        false,
        false,
        "Test (3X): late copies of AppendEntries",
        |cfg| async move {
            let _monitor = cfg.monitor_election_safety();
            cfg.one(random_int(), 3, true).await;
            for _ in 0..3 {
                let leader = cfg.check_one_leader().await;
                let f = (leader + 1) % 3;
                let held = cfg.hold_link(leader, f);
                for _ in 0..5 {
                    cfg.one(random_int(), 2, true).await;
                }
                held.stop();
                for _ in 0..5 {
                    cfg.one(random_int(), 3, true).await;
                }
                cfg.deliver_late(&held, f);
                sleep(Duration::from_millis(200)).await;
                for _ in 0..3 {
                    cfg.one(random_int(), 3, true).await;
                }
            }
        },
    );
}

/// Asks peer `i` to start a fresh random command.
fn start_on(cfg: &Config, i: usize) -> Option<(u64, u64)> {
    cfg.raft(i)?.start(Cmd::random().encode())
}

/// Elections while most replies arrive late and out of order (long reordering), often after
/// their election is over: a candidate must count only votes granted for the term it is running
/// in. Two candidates that cannot reach each other compete for the vote of the third peer, term
/// after term, and the monitor checks that no term ever has two leaders.
#[test]
fn late_vote_replies_3x() {
    run(
        3,
        false,
        false,
        "Test (3X): elections with late vote replies",
        |cfg| async move {
            let _monitor = cfg.monitor_election_safety();
            for round in 0..5 {
                let (a, b) = ((round + 1) % 3, (round + 2) % 3);
                cfg.set_long_reordering(true);
                cfg.set_links(|i, j| (i, j) != (a, b) && (i, j) != (b, a));
                sleep(Duration::from_secs(20)).await;
                cfg.set_long_reordering(false);
                cfg.set_links(|_, _| true);
                cfg.one(random_int(), 3, true).await;
            }
        },
    );
}
