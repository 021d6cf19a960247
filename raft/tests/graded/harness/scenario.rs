//! Tools for the scripted 3X scenarios, beyond 6.5840's tester: cutting single links (the original
//! only cuts a peer off from everyone), finding the leader of a group of peers, and a monitor that
//! checks Election Safety (at most one leader per term) every few milliseconds instead of only when
//! a test happens to look; and requests held back by the network to arrive late.

use std::collections::BTreeMap;

use labrpc::{Held, dlog, sim};
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant, sleep};

use super::Config;

/// How often the Election Safety monitor looks at every peer.
const MONITOR_PERIOD: Duration = Duration::from_millis(2);

impl Config {
    /// Sets every link at once: peer `i` reaches peer `j` exactly when `linked(i, j)` (asked for
    /// both directions, `i != j`). A peer linked to nobody counts as disconnected. Call it again
    /// after restarting a peer: a new instance starts with all its links cut.
    pub fn set_links(&self, linked: impl Fn(usize, usize) -> bool) {
        let n = self.n();
        let up = |i: usize, j: usize| linked(i, j) && linked(j, i);
        let cut: Vec<String> = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .filter(|&(i, j)| !up(i, j))
            .map(|(i, j)| format!("S{i}-S{j}"))
            .collect();
        dlog!(
            TEST,
            "links cut: {}",
            if cut.is_empty() {
                "none".to_string()
            } else {
                cut.join(" ")
            }
        );
        let group = &self.inner.group;
        let mut connected = self.connected();
        for i in 0..n {
            // A peer linked to nobody counts as disconnected, and its link to itself goes too.
            connected[i] = (0..n).any(|j| j != i && up(i, j));
            for j in i..n {
                if i == j && connected[i] || i != j && up(i, j) {
                    group.connect(i, &[j]);
                } else {
                    group.disconnect(i, &[j]);
                }
            }
        }
    }

    /// Peers in the same group reach each other; no link crosses groups, and a peer in no group
    /// is cut off from everyone.
    pub fn partition(&self, groups: &[&[usize]]) {
        let group = |i| groups.iter().position(|g| g.contains(&i));
        self.set_links(|i, j| group(i).is_some() && group(i) == group(j));
    }

    /// Crashes peer `i` and starts it again from its persisted state at once; its links are then
    /// set by `linked` (see [`Config::set_links`]).
    pub fn restart(&self, i: usize, linked: impl Fn(usize, usize) -> bool) {
        self.start1(i);
        self.set_links(linked);
    }

    /// Waits (up to about five seconds) until a peer of `group` leads a term that no other peer of
    /// the group has moved past, and returns it with that term.
    pub async fn leader_among(&self, group: &[usize]) -> (usize, u64) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            sleep(Duration::from_millis(50)).await;
            let states: Vec<(usize, u64, bool)> = group
                .iter()
                .filter_map(|&i| self.raft(i).map(|rf| (i, rf.get_state())))
                .map(|(i, (term, leader))| (i, term, leader))
                .collect();
            let top = states.iter().map(|&(_, t, _)| t).max().unwrap_or(0);
            if let Some(&(i, term, _)) = states.iter().find(|&&(_, t, l)| l && t == top) {
                self.saw_leader(term);
                return (i, term);
            }
        }
        panic!("expected a leader among servers {group:?} within 5 s, got none");
    }

    /// The term peer `i` is in and whether it leads it (`None` while crashed).
    pub fn state_of(&self, i: usize) -> Option<(u64, bool)> {
        self.raft(i).map(|rf| rf.get_state())
    }

    /// Starts the Election Safety monitor: it fails the test as soon as two different peers
    /// claim to lead the same term. It runs until the test ends.
    pub fn monitor_election_safety(&self) -> JoinHandle<()> {
        let cfg = self.clone();
        labrpc::spawn(async move {
            let mut leaders: BTreeMap<u64, usize> = BTreeMap::new();
            loop {
                for i in 0..cfg.n() {
                    let Some((term, true)) = cfg.state_of(i) else {
                        continue;
                    };
                    match leaders.insert(term, i) {
                        Some(other) if other != i => sim::fail(format!(
                            "Election Safety violated: servers {other} and {i} both claimed to \
                             lead term {term}. A term has at most one leader: does every voter \
                             grant at most one vote per term, persisting it before it replies, \
                             and does a candidate count only votes granted for its current term?"
                        )),
                        _ => {}
                    }
                }
                sleep(MONITOR_PERIOD).await;
            }
        })
    }

    /// Holds back the next request to peer `i` whose arguments are at least `min_len` bytes long
    /// (its sender sees it lost): the tester cannot read the peers' own message types, but a
    /// request that long must carry a snapshot.
    pub fn hold_long_request_to(&self, i: usize, min_len: usize) -> Held {
        let server = self.inner.group.server_name(i);
        dlog!(TEST, "hold the next request of {min_len}+ bytes to S{i}");
        (self.inner.net).hold(1, move |m| m.server == server && m.len >= min_len)
    }

    /// Holds back every request peer `from` sends peer `to` until the hold stops (`from` sees
    /// them lost; `to` hears nothing from it meanwhile).
    pub fn hold_link(&self, from: usize, to: usize) -> Held {
        let link = format!("S{from}->S{to}#");
        dlog!(TEST, "hold every request from S{from} to S{to}");
        (self.inner.net).hold(usize::MAX, move |m| m.end.starts_with(&link))
    }

    /// Delivers what `held` kept to peer `i` now; how many requests it delivered.
    pub fn deliver_late(&self, held: &Held, i: usize) -> usize {
        dlog!(TEST, "deliver {} held request(s) to S{i}", held.kept());
        self.inner.group.deliver_late(held, i)
    }
}
