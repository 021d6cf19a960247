//! The search for a linearization of one partition: Wing & Gong's algorithm with Lowe's
//! memoization, as in porcupine, on an index-based linked list.
//!
//! The calls and returns of all operations form one list in time order (calls before returns at
//! equal times, so touching intervals count as concurrent). The search walks it from the front:
//! - at a call, it tries to linearize that operation next: if the model accepts its output and the
//!   resulting (set of linearized operations, state) has not been explored before, it removes the
//!   call and its return from the list ("lifts" them) and starts again from the front;
//! - at a return, the operation that returns there cannot be put off any longer, so the last
//!   choice was wrong: it undoes it (puts the entries back) and tries the next candidate.
//!
//! The list is empty when every operation is linearized; the history is not linearizable when
//! there is nothing left to undo.
//!
//! One addition to porcupine: an operation whose return directly follows its call in the list
//! overlaps no other operation ("isolated"). Wherever it can be linearized it is the only
//! candidate, and the set of operations before it is always the same (all that returned before
//! its call). So undoing it always continues undoing, and it needs no saved state; and the first
//! time the search reaches it, it needs no cache entry either. Only if the search comes back to
//! it (with another state, after trying other orders of earlier operations) is it cached like
//! any other, which bounds the repeated work at one extra visit per configuration. Long
//! sequential stretches, the bulk of a lab's history, then cost no memory per operation.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::bitset::Bitset;
use super::history::Operation;
use super::model::Model;

const NIL: u32 = u32::MAX;
/// How many loop iterations pass between two looks at the clock and the cancel flag.
const POLL_EVERY: u32 = 1 << 10;

/// When to give up.
pub(crate) struct Stop<'a> {
    pub deadline: Option<Instant>,
    /// Set when another partition was found illegal: this one no longer matters.
    pub cancel: &'a AtomicBool,
}

impl Stop<'_> {
    // The checker's timeout is real time: it bounds the search's CPU work, not the simulation.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// How a search ended. Orders hold indices into the slice that was searched.
#[derive(Debug)]
pub(crate) enum Found {
    /// A complete linearization.
    Linearizable(Vec<usize>),
    /// No linearization exists; the longest linearizable prefix the search built.
    Illegal(Vec<usize>),
    /// Stopped early (timeout or cancel); the longest prefix built so far.
    Stopped(Vec<usize>),
}

/// The maps' keys are already well-mixed hashes: use them as they are.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("the cache is keyed by u64 only")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A fast word-at-a-time hasher for states and operations (the multiply-rotate scheme of rustc's
/// FxHasher).
/// Collisions only cost a comparison: cache hits are confirmed with `==`.
#[derive(Default)]
pub(crate) struct StateHasher(u64);

impl StateHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(Self::K).rotate_left(26);
    }
}

impl Hasher for StateHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap()));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(tail) ^ bytes.len() as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    // Enum tags and small fields (derived `Hash`) cost one round each, not a byte loop.
    fn write_u8(&mut self, n: u8) {
        self.add(n.into());
    }
    fn write_u32(&mut self, n: u32) {
        self.add(n.into());
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

fn state_hash<S: Hash>(state: &S) -> u64 {
    let mut h = StateHasher::default();
    state.hash(&mut h);
    h.finish()
}

/// A configuration already explored: linearized set (as its window) and state.
struct Explored<S> {
    /// Next entry with the same key, or `NIL`.
    next: u32,
    lo: u32,
    /// The window's words are `words[start..start + len]` of the cache's arena.
    start: u32,
    len: u32,
    state: S,
}

/// Explored configurations, keyed by a hash of both the set and the state (porcupine keyed by
/// the set alone until v1.3.0 made a state hash optional): keyed by the set alone, every order of
/// the same operations shares a bucket, and the states there (e.g. KV values that differ only in
/// their last few appends) are slow to tell apart. Entries and their words live in two arenas,
/// so adding one allocates nothing (most of the time) and dropping the cache frees a few large
/// blocks.
struct Cache<S> {
    heads: HashMap<u64, u32, BuildHasherDefault<Identity>>,
    entries: Vec<Explored<S>>,
    words: Vec<u64>,
}

impl<S: Clone + Eq + Hash> Cache<S> {
    fn new() -> Self {
        Cache {
            heads: HashMap::default(),
            entries: Vec::new(),
            words: Vec::new(),
        }
    }

    /// Adds (set, state) and returns true if it was not there yet.
    fn insert(&mut self, set: &Bitset, state: &S) -> bool {
        let (lo, words) = set.window();
        let key = set.hash() ^ state_hash(state).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // One probe of the map: most configurations are new, and their key is not there.
        let head = match self.heads.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(self.entries.len() as u32);
                NIL
            }
            Entry::Occupied(mut slot) => {
                let mut at = *slot.get();
                while at != NIL {
                    let e = &self.entries[at as usize];
                    let stored = &self.words[e.start as usize..(e.start + e.len) as usize];
                    if e.lo as usize == lo && stored == words && e.state == *state {
                        return false;
                    }
                    at = e.next;
                }
                slot.insert(self.entries.len() as u32)
            }
        };
        self.entries.push(Explored {
            next: head,
            lo: lo as u32,
            start: self.words.len() as u32,
            len: words.len() as u32,
            state: state.clone(),
        });
        self.words.extend_from_slice(words);
        true
    }
}

/// The list of calls and returns, threaded through arrays. Node `k` is the `k`-th entry in time
/// order; node `head` is a sentinel before the first.
struct Entries {
    next: Vec<u32>,
    prev: Vec<u32>,
    /// Operation of each node (in call order).
    op: Vec<u32>,
    is_call: Vec<bool>,
    call_node: Vec<u32>,
    ret_node: Vec<u32>,
    head: u32,
}

impl Entries {
    /// `times[i]` = (call, return) of operation `i`, operations numbered in call order.
    fn new(times: &[(u64, u64)]) -> Entries {
        let n = times.len();
        // The calls are in order already; only the returns need sorting. At equal times calls
        // come first: an operation that returns at the instant another is called may be
        // linearized after it.
        let mut returns: Vec<u128> = (0..n)
            .map(|i| (u128::from(times[i].1) << 32) | i as u128)
            .collect();
        returns.sort_unstable();
        let head = (2 * n) as u32;
        let mut e = Entries {
            next: (1..=2 * n as u32).chain([0]).collect(),
            prev: std::iter::once(head).chain(0..2 * n as u32).collect(),
            op: Vec::with_capacity(2 * n),
            is_call: Vec::with_capacity(2 * n),
            call_node: vec![0; n],
            ret_node: vec![0; n],
            head,
        };
        if n == 0 {
            e.next[head as usize] = NIL;
        } else {
            e.next[2 * n - 1] = NIL;
        }
        let (mut c, mut r) = (0, 0);
        while r < n {
            let k = e.op.len() as u32;
            let (time, op) = ((returns[r] >> 32) as u64, returns[r] as u32);
            if c < n && times[c].0 <= time {
                e.op.push(c as u32);
                e.is_call.push(true);
                e.call_node[c] = k;
                c += 1;
            } else {
                e.op.push(op);
                e.is_call.push(false);
                e.ret_node[op as usize] = k;
                r += 1;
            }
        }
        e
    }

    fn first(&self) -> u32 {
        self.next[self.head as usize]
    }

    fn isolated(&self, op: u32) -> bool {
        self.ret_node[op as usize] == self.call_node[op as usize] + 1
    }

    /// Removes an operation's call and return from the list; they keep their links for `unlift`.
    fn lift(&mut self, call: u32) {
        let ret = self.ret_node[self.op[call as usize] as usize];
        let (c, r) = (call as usize, ret as usize);
        // A call is always followed by at least its own return.
        self.prev[self.next[c] as usize] = self.prev[c];
        self.next[self.prev[c] as usize] = self.next[c];
        self.next[self.prev[r] as usize] = self.next[r];
        if self.next[r] != NIL {
            self.prev[self.next[r] as usize] = self.prev[r];
        }
    }

    /// Puts back what the matching `lift` removed (undone in reverse order).
    fn unlift(&mut self, call: u32) {
        let ret = self.ret_node[self.op[call as usize] as usize];
        let (c, r) = (call as usize, ret as usize);
        if self.next[r] != NIL {
            self.prev[self.next[r] as usize] = ret;
        }
        self.next[self.prev[r] as usize] = ret;
        self.prev[self.next[c] as usize] = call;
        self.next[self.prev[c] as usize] = call;
    }
}

struct Frame<S> {
    op: u32,
    /// The state before the operation, or `None` if undoing this choice must go on undoing: the
    /// operation was the only one worth trying here (see [`search`]).
    before: Option<S>,
}

/// For each operation, the operation that must be linearized before it, or `NIL`.
///
/// Two operations with equal input and output are interchangeable for the model. If the first
/// (in call order) is also no later to return, any linearization that puts the second first
/// stays valid with the two swapped: the first may take any place the second could, and the
/// second any place the first could. So the search may insist on their call order, and skips
/// the orders that differ only by such swaps (a Jepsen log writes the same few values over and
/// over). Each operation is chained to the previous equal one; a chain breaks where an operation
/// returns before that previous one (it is nested inside it), since then the swap may not hold.
fn predecessors<I: Eq + Hash, O: Eq + Hash>(ops: &[&Operation<I, O>]) -> Vec<u32> {
    // Keyed by a hash of the pair: two different pairs with the same hash only break a chain.
    let mut last: HashMap<u64, u32, BuildHasherDefault<Identity>> =
        HashMap::with_capacity_and_hasher(ops.len(), Default::default());
    ops.iter()
        .enumerate()
        .map(|(i, o)| {
            let mut h = StateHasher::default();
            (&o.input, &o.output).hash(&mut h);
            match last.insert(h.finish(), i as u32) {
                Some(p)
                    if ops[p as usize].input == o.input
                        && ops[p as usize].output == o.output
                        && ops[p as usize].ret <= o.ret =>
                {
                    p
                }
                _ => NIL,
            }
        })
        .collect()
}

/// Searches for a linearization of `ops`, which must be sorted by call time.
///
/// Beside porcupine's search, two rules prune it without changing the verdict:
/// - an operation that never changes the state ([`Model::read_only`]: a read, a failed
///   compare-and-set) and is accepted where it is a candidate may be moved to the front of any linearization from here
///   (everything still to come may follow it in real time, and it changes nothing for them). So
///   the configuration is linearizable exactly when the one after it is: if that fails, or was
///   explored before, there is no need to try the other candidates;
/// - equal operations are taken in call order (see [`predecessors`]).
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    stop: &Stop<'_>,
) -> Found {
    let times: Vec<(u64, u64)> = ops.iter().map(|o| (o.call, o.ret)).collect();
    let mut list = Entries::new(&times);
    let after_equal = predecessors(ops);
    let read_only: Vec<bool> = ops
        .iter()
        .map(|o| model.read_only(&o.input, &o.output))
        .collect();
    let mut linearized = Bitset::new(ops.len());
    let mut cache = Cache::new();
    let mut reached = vec![false; ops.len()];
    let mut stack: Vec<Frame<M::State>> = Vec::new();
    let mut longest: Vec<u32> = Vec::new();
    let mut state = model.init();
    let mut entry = list.first();
    let mut polls = 0u32;
    let order = |stack: &[Frame<M::State>]| stack.iter().map(|f| f.op as usize).collect();

    while list.first() != NIL {
        polls += 1;
        if polls == POLL_EVERY {
            polls = 0;
            if stop.now() {
                let best = if stack.len() > longest.len() {
                    order(&stack)
                } else {
                    longest.iter().map(|&op| op as usize).collect()
                };
                return Found::Stopped(best);
            }
        }
        let k = entry as usize;
        let mut dead_end = !list.is_call[k];
        if !dead_end {
            let op = list.op[k];
            let o = ops[op as usize];
            let waits = after_equal[op as usize];
            let accepted = if waits != NIL && !linearized.contains(waits as usize) {
                None
            } else {
                model.step(&state, &o.input, &o.output)
            };
            entry = list.next[k];
            if let Some(after) = accepted {
                let unchanged = read_only[op as usize];
                linearized.set(op as usize);
                let isolated = list.isolated(op);
                // An isolated operation skips the cache the first time the search reaches it.
                let cached = !isolated || std::mem::replace(&mut reached[op as usize], true);
                if cached && !cache.insert(&linearized, &after) {
                    // Explored before, from another order of the same operations.
                    linearized.clear(op as usize);
                    dead_end = unchanged;
                } else {
                    let before = std::mem::replace(&mut state, after);
                    stack.push(Frame {
                        op,
                        before: (!isolated && !unchanged).then_some(before),
                    });
                    list.lift(k as u32);
                    entry = list.first();
                }
            }
        }
        if dead_end {
            // Nothing else is worth trying here: undo the last choice that has alternatives.
            if stack.len() > longest.len() {
                longest = stack.iter().map(|f| f.op).collect();
            }
            loop {
                let Some(frame) = stack.pop() else {
                    return Found::Illegal(longest.iter().map(|&op| op as usize).collect());
                };
                linearized.clear(frame.op as usize);
                let call = list.call_node[frame.op as usize];
                list.unlift(call);
                if let Some(before) = frame.before {
                    state = before;
                    entry = list.next[call as usize];
                    break;
                }
            }
        }
    }
    Found::Linearizable(order(&stack))
}
