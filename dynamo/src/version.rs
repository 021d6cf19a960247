//! Versions of a key that may disagree (6C): version vectors, the siblings a key keeps, and the
//! context a client reads and writes back.
//!
//! Each write made through [`Clerk::put_with`](crate::Clerk::put_with) gets a *dot*, `(node,
//! n)`: the node that coordinated it and that node's n-th write of the key. It also carries the
//! *context* its client read: the writes the client had seen, as a version vector. A write
//! *covers* every version whose dot its context includes: those it was made after, knowingly. A
//! key keeps every version that no other version covers: its siblings. Two writes made from the
//! same context cover neither each other (their dots are new), so both stay, until a client reads
//! both and writes a value that covers them.
//!
//! A plain version vector says "node A's writes 1 to 6"; a client that read only A's sixth write
//! of a key (its fifth, made concurrently through A by another client, being on replicas it did
//! not read) has not seen the fifth, and a context claiming it would drop that write. So each
//! entry is a contiguous prefix and the writes seen beyond it: `A: 1..=4 and 6`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::NodeId;

/// At most this many writers in a version vector; beyond it the entry updated longest ago is
/// dropped (as Dynamo does at about ten). Dropping can only make a version that was covered look
/// uncovered, so at worst a superseded sibling comes back, for a client to merge again: no write
/// is ever lost to it.
pub const MAX_ENTRIES: usize = 10;

/// For each node, the writes of the key it coordinated that this vector has seen, with when (the
/// node's wall clock) that entry last grew, to know which to drop when there are too many.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionVector {
    entries: BTreeMap<Writer, Seen>,
}

/// Who numbers a write: a node, in one life of its disk (a node whose disk was wiped starts a new
/// epoch, so that its new writes never take the numbers of its old ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Writer {
    pub node: NodeId,
    pub epoch: u64,
}

/// One node's writes seen: all of `1..=upto`, and those in `beyond` (each above `upto + 1`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub upto: u64,
    pub beyond: BTreeSet<u64>,
    /// The wall-clock time of the latest write added.
    pub at: u64,
}

/// A write's identity: who coordinated it and its number for it among its writes of the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Dot {
    pub writer: Writer,
    pub n: u64,
}

/// One version of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sibling {
    pub dot: Dot,
    /// What its writer had seen: the versions it covers.
    pub context: VersionVector,
    /// When it was written, by its coordinator's wall clock (kept for display; deciding by it is
    /// last-write-wins, which loses writes when clocks disagree).
    pub written_at: u64,
    pub value: String,
}

/// What a client read, handed back with its next write: opaque to the client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub clock: VersionVector,
}

impl Context {
    /// How many nodes its version vector names (at most [`MAX_ENTRIES`]).
    pub fn entries(&self) -> usize {
        self.clock.len()
    }
}

impl VersionVector {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What this vector has seen of `writer`'s writes.
    pub fn seen(&self, writer: Writer) -> Option<&Seen> {
        self.entries.get(&writer)
    }

    /// Whether this vector has seen the write `dot`.
    pub fn covers(&self, dot: Dot) -> bool {
        // BEGIN SOLUTION
        (self.entries.get(&dot.writer))
            .is_some_and(|s| dot.n <= s.upto || s.beyond.contains(&dot.n))
        // END SOLUTION
        // STUB: // Your code here (6C).
        // STUB: let _ = dot;
        // STUB: false
    }

    /// Adds what `other` has seen, then drops the entries beyond [`MAX_ENTRIES`].
    pub fn merge(&mut self, other: &VersionVector) {
        // BEGIN SOLUTION
        for (&writer, theirs) in &other.entries {
            let ours = self.entries.entry(writer).or_default();
            ours.upto = ours.upto.max(theirs.upto);
            ours.beyond.extend(theirs.beyond.iter().copied());
            ours.at = ours.at.max(theirs.at);
            ours.compact();
        }
        self.truncate();
        // END SOLUTION
        // STUB: // Your code here (6C).
        // STUB: let _ = other;
    }

    /// Records the write `dot`, made at wall-clock time `at`.
    pub fn add(&mut self, dot: Dot, at: u64) {
        // BEGIN SOLUTION
        let seen = self.entries.entry(dot.writer).or_default();
        seen.beyond.insert(dot.n);
        seen.at = seen.at.max(at);
        seen.compact();
        self.truncate();
        // END SOLUTION
        // STUB: // Your code here (6C).
        // STUB: let _ = (dot, at);
    }
    // BEGIN SOLUTION

    /// Drops the entries that grew longest ago until at most [`MAX_ENTRIES`] are left.
    fn truncate(&mut self) {
        while self.entries.len() > MAX_ENTRIES {
            let oldest = (self.entries.iter())
                .min_by_key(|&(&writer, seen)| (seen.at, writer))
                .map(|(&writer, _)| writer)
                .expect("more than MAX_ENTRIES entries");
            self.entries.remove(&oldest);
        }
    }
    // END SOLUTION
    // STUB:
}

impl Seen {
    /// Moves the writes that continue the prefix into it.
    pub fn compact(&mut self) {
        // BEGIN SOLUTION
        self.beyond.retain(|&n| n > self.upto);
        while self.beyond.remove(&(self.upto + 1)) {
            self.upto += 1;
        }
        // END SOLUTION
        // STUB: // Your code here (6C).
    }
}

impl Sibling {
    /// The version vector of this version: its context and its own write.
    pub fn clock(&self) -> VersionVector {
        let mut clock = self.context.clone();
        clock.add(self.dot, self.written_at);
        clock
    }
}

/// Adds `incoming` to the siblings `kept`: a version already there, or covered by one there,
/// changes nothing; otherwise it goes in, and the versions it covers go out.
pub fn absorb(kept: &mut Vec<Sibling>, incoming: Sibling) {
    // BEGIN SOLUTION
    let known = |s: &Sibling| s.dot == incoming.dot || s.context.covers(incoming.dot);
    if kept.iter().any(known) {
        return;
    }
    kept.retain(|s| !incoming.context.covers(s.dot));
    kept.push(incoming);
    kept.sort_by_key(|s| s.dot);
    // END SOLUTION
    // STUB: // Your code here (6C).
    // STUB: let _ = (kept, incoming);
}

/// The context a client gets with `siblings`: every version among them, seen.
pub fn context_of(siblings: &[Sibling]) -> Context {
    let mut clock = VersionVector::default();
    for sibling in siblings {
        clock.merge(&sibling.clock());
    }
    Context { clock }
}
