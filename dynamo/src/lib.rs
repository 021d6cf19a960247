//! Lab 6: a leaderless replicated key/value store, Amazon's Dynamo in miniature.
//!
//! Every node is alike: there is no leader. A key's place is its hash on a ring of [`PARTITIONS`]
//! equal partitions, each owned by a node ([`Ring`]); its N replicas are the first N distinct
//! nodes clockwise from it (its preference list). Any node coordinates any client request: it
//! sends the request to the key's replicas and answers once R of them replied (a Get) or W of them
//! stored the value (a Put). What a client asks for is in its [`Options`]: the [`Quorum`]
//! (N, R, W) and the [`Mode`]: linearizable, plain quorums, or sloppy quorums with hinted
//! handoff.
//!
//! You write these files:
//! - `src/ring.rs`: the ring: partitions spread over the nodes, preference lists, join and leave
//!   (6A);
//! - `src/common.rs`: the RPC messages between clerks, coordinators and replicas;
//! - `src/server.rs`: the node: replica, coordinator, read repair (6A), hinted handoff (6B);
//! - `src/client.rs`: the clerk, which finds a coordinator;
//! - `src/version.rs`: version vectors and siblings (6C);
//! - `src/cart.rs`: the shopping cart on top of them (6C; removals are the challenge).
//!
//! Everything in this file (the hash, [`Stamp`], [`Quorum`], [`Mode`], [`Options`],
//! [`DynamoError`], the timing constants) and the graded tests in `tests/` are the course's and
//! are replaced by the originals when your work is graded. See `docs/lab6-dynamo.md`.

use serde::{Deserialize, Serialize};
use tokio::time::Duration;

pub mod cart;
pub mod client;
pub mod common;
pub mod ring;
pub mod server;
pub mod version;

pub use cart::Cart;
pub use client::Clerk;
pub use ring::Ring;
pub use server::{DynamoNode, service};

/// A node's number: its index among the harness's nodes (`ends[id]` reaches it).
pub type NodeId = usize;

/// The ring's partitions in every test: Dynamo's strategy 3 cuts the hash space into Q equal
/// partitions and spreads them over the nodes; with 1024, ten nodes hold 102 or 103 each.
pub const PARTITIONS: usize = 1024;

/// How long a coordinator keeps trying to reach its quorum before it answers
/// [`DynamoError::NotEnoughReplicas`]: a request never waits longer than this for replicas.
pub const QUORUM_TIMEOUT: Duration = Duration::from_secs(1);

/// In the plain and sloppy modes a Get answers first and repairs stale replicas afterwards: once
/// every replica it asked has answered, or this long after its answer, whichever comes first
/// (stragglers answer within it, so one repair covers them).
pub const REPAIR_WAIT: Duration = Duration::from_millis(100);

/// How often a node tries to deliver the copies it owes other nodes (hints, and the keys a ring
/// change gave to others).
pub const HANDOFF_INTERVAL: Duration = Duration::from_millis(100);

/// What a node does in the background beyond hinted handoff (the tests of 6A to 6C run without
/// anti-entropy, so that they see exactly what quorums, read repair and handoff do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeOptions {
    /// Merkle-tree anti-entropy (6D): every this long, exchange trees with one other replica.
    pub anti_entropy_every: Option<Duration>,
}

/// Keys whose ranges anti-entropy keeps in sync are replicated on this many nodes (every test
/// uses N = 3).
pub const ANTI_ENTROPY_N: usize = 3;

/// The leaves of a range's Merkle tree: its keys are spread over them by hash, and replicas
/// exchange the keys of the leaves whose hashes differ.
pub const LEAVES: usize = 16;

/// A key's position on the ring: the 64-bit FNV-1a hash of its bytes, mixed by MurmurHash3's
/// finalizer (FNV-1a alone leaves the high bits, which pick the partition, poorly spread for
/// short keys that differ in their last characters). Given (the tests place keys with it), and
/// stable across runs and machines, unlike `std`'s hashers.
pub fn hash(key: &str) -> u64 {
    hash_bytes(key.as_bytes())
}

/// [`hash`] of any bytes (the anti-entropy trees of 6D hash encoded entries with it).
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The partition of `partitions` equal partitions of the hash space that `key` falls in.
pub fn partition_of(key: &str, partitions: usize) -> usize {
    ((u128::from(hash(key)) * partitions as u128) >> 64) as usize
}

/// This node's wall clock, in microseconds (`labrpc::clock`). In the tests of 6A and 6B every
/// node's clock reads the simulator's virtual time, so clocks agree exactly and a write stamped
/// with it is newer than every write acknowledged before it began; the tests of 6C skew them, as
/// real clocks are.
pub fn wall_clock() -> u64 {
    labrpc::clock::now().as_micros() as u64
}

/// The version of a value: a write's stamp is larger than that of every write it knew of, and
/// (its counter starting from the writer's [`wall_clock`]) than that of every write acknowledged
/// before it began. Ordered by counter, then by the node that wrote it, so two writes never tie.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Stamp {
    pub counter: u64,
    pub node: NodeId,
}

/// How many replicas a key has (N), and how many a read (R) and a write (W) wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quorum {
    pub n: usize,
    pub r: usize,
    pub w: usize,
}

impl Quorum {
    /// Dynamo's usual (3, 2, 2): every read quorum meets every write quorum.
    pub const DEFAULT: Quorum = Quorum { n: 3, r: 2, w: 2 };

    /// A quorum of `n` replicas, reads waiting for `r` and writes for `w`: each at least 1 and at
    /// most `n`.
    pub fn new(n: usize, r: usize, w: usize) -> Result<Quorum, DynamoError> {
        let bad = |why: String| Err(DynamoError::BadOptions(why));
        if n == 0 {
            return bad("N = 0: a key needs at least one replica".into());
        }
        for (name, k) in [("R", r), ("W", w)] {
            if k == 0 || k > n {
                return bad(format!(
                    "{name} = {k} with N = {n}: {name} counts replicas, from 1 to N"
                ));
            }
        }
        Ok(Quorum { n, r, w })
    }

    /// Whether every read quorum meets every write quorum (R + W > N).
    pub fn overlapping(&self) -> bool {
        self.r + self.w > self.n
    }
}

/// What a client's requests guarantee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Strict quorums of the key's N home replicas; a Get writes the value it returns back to W
    /// of them before it answers (the ABD register), so that every key's history is
    /// linearizable. Needs R + W > N.
    Linearizable,
    /// Strict quorums; a Get answers with the newest of the first R replies and repairs stale
    /// replicas afterwards ([`REPAIR_WAIT`]). Not linearizable: a read can see a write that a
    /// later read does not.
    Quorum,
    /// Sloppy quorums (6B): a replica that cannot be reached is stood in for by the next node on
    /// the ring, which keeps the copy as a hint for it and hands it over later. Reads as in
    /// [`Mode::Quorum`].
    Sloppy,
}

/// A client's choice of quorum and mode, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    pub quorum: Quorum,
    pub mode: Mode,
}

impl Options {
    pub fn new(quorum: Quorum, mode: Mode) -> Result<Options, DynamoError> {
        if mode == Mode::Linearizable && !quorum.overlapping() {
            return Err(DynamoError::BadOptions(format!(
                "linearizable reads need R + W > N, not R = {}, W = {}, N = {}",
                quorum.r, quorum.w, quorum.n
            )));
        }
        Ok(Options { quorum, mode })
    }

    /// The default quorum in `mode` (always valid).
    pub fn default_in(mode: Mode) -> Options {
        Options {
            quorum: Quorum::DEFAULT,
            mode,
        }
    }
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DynamoError {
    /// The coordinator could not reach enough replicas within [`QUORUM_TIMEOUT`]: `reached` of
    /// the `needed` answered. A failed Put may still have stored its value on some replicas.
    NotEnoughReplicas { needed: usize, reached: usize },
    /// The clerk could reach no node to coordinate its request.
    NoCoordinator,
    /// The request's options make no sense here (e.g. an N above the number of nodes).
    BadOptions(String),
}

impl std::fmt::Display for DynamoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DynamoError::NotEnoughReplicas { needed, reached } => write!(
                f,
                "not enough replicas: {reached} of the {needed} needed answered within {} ms",
                QUORUM_TIMEOUT.as_millis()
            ),
            DynamoError::NoCoordinator => write!(f, "no node could be reached to coordinate"),
            DynamoError::BadOptions(why) => write!(f, "bad options: {why}"),
        }
    }
}

impl std::error::Error for DynamoError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable_and_partitions_cover_the_ring() {
        assert_eq!(hash(""), hash(""));
        assert_ne!(hash("k1"), hash("k2"));
        assert_eq!(partition_of("", 1), 0);
        let seen: std::collections::BTreeSet<usize> = (0..10_000)
            .map(|i| partition_of(&format!("k{i}"), 8))
            .collect();
        assert_eq!(seen.len(), 8);
    }

    #[test]
    fn quorums_and_options_are_checked() {
        assert!(Quorum::new(3, 2, 2).is_ok());
        for (n, r, w) in [(0, 1, 1), (3, 0, 2), (3, 4, 2), (3, 2, 0), (3, 2, 4)] {
            assert!(matches!(
                Quorum::new(n, r, w),
                Err(DynamoError::BadOptions(_))
            ));
        }
        let weak = Quorum::new(3, 1, 1).unwrap();
        assert!(Options::new(weak, Mode::Linearizable).is_err());
        assert!(Options::new(weak, Mode::Quorum).is_ok());
    }
}
