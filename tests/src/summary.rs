//! The one-line summary every graded test prints when it passes, in the spirit of 6.5840's
//! `... Passed -- t 3.8 nrpc 31135 ops 31135`, with virtual and wall time side by side.

use std::time::{Duration, Instant};

/// Started when a test's work begins; [`Summary::passed`] prints the line.
pub struct Summary {
    description: String,
    wall: Instant,
    virtual_start: Duration,
}

/// The figures of a passed test.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    /// Servers (Raft peers, KV servers).
    pub peers: usize,
    /// Clients (clerks) that issued operations.
    pub clients: usize,
    /// RPCs sent, as counted by the network.
    pub rpcs: u64,
    /// Client operations (or agreed commands, for Raft).
    pub ops: u64,
    /// Bytes sent, as counted by the network, for tests that report them (Raft).
    pub bytes: Option<u64>,
}

impl Summary {
    /// Starts timing the test described as `description` (e.g. `"Test: one client (2)"`).
    // The summary line reports wall seconds next to virtual ones, as 6.5840's does.
    #[allow(clippy::disallowed_methods)]
    pub fn begin(description: &str) -> Summary {
        Summary {
            description: description.to_string(),
            wall: Instant::now(),
            virtual_start: labrpc::sim::elapsed(),
        }
    }

    /// The summary line for a passed test.
    pub fn line(&self, tally: Tally) -> String {
        let virtual_secs = (labrpc::sim::elapsed() - self.virtual_start).as_secs_f64();
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let mut line = format!(
            "{} ... Passed -- {virtual_secs:4.1} s virtual, {:5.2} s wall, {}",
            self.description,
            self.wall.elapsed().as_secs_f64(),
            plural(tally.peers, "peer"),
        );
        // Raft tests have no clients; KV tests do not count bytes.
        if tally.clients > 0 {
            line += &format!(", {}", plural(tally.clients, "client"));
        }
        line += &format!(", {:5} RPCs", tally.rpcs);
        if let Some(bytes) = tally.bytes {
            line += &format!(", {bytes:8} bytes");
        }
        line += &format!(", {:5} ops", tally.ops);
        let events = crate::events::summary();
        if !events.is_empty() {
            line += &format!(", {events}");
        }
        line
    }

    /// Prints the summary line.
    pub fn passed(&self, tally: Tally) {
        println!("{}", self.line(tally));
    }
}
