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

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::bitset::Bitset;
use super::hash_index::{HashIndex, VACANT};
use super::history::{NEVER_RETURNED, Operation};
use super::model::Model;
use super::sort::sort_by_time;

const NIL: u32 = u32::MAX;
/// Marks a return in [`Entries::node`]; a call holds the bare operation index.
const RETURN: u32 = 1 << 31;
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

/// How many configurations the cache is sized for up front: as many as the partition has
/// operations (a search that finds a linearization at once caches about that many), but not
/// beyond this, so that a long sequential history, which caches few, does not pay for a large
/// empty table.
const CACHE_PRESIZE_LIMIT: usize = 1 << 12;

/// A configuration already explored: linearized set (as its window) and state.
struct Explored<S> {
    /// Next entry with the same key, or `VACANT`.
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
    heads: HashIndex,
    entries: Vec<Explored<S>>,
    words: Vec<u64>,
}

impl<S: Clone + Eq + Hash> Cache<S> {
    fn with_capacity(configurations: usize) -> Self {
        Cache {
            heads: HashIndex::with_capacity(configurations),
            entries: Vec::with_capacity(configurations),
            words: Vec::with_capacity(configurations),
        }
    }

    /// Adds (set, state) and returns true if it was not there yet.
    #[inline]
    fn insert(&mut self, set: &Bitset, state: &S) -> bool {
        let (lo, words) = set.window();
        let key = set.hash() ^ state_hash(state).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let head = self.heads.slot(key);
        let mut at = *head;
        while at != VACANT {
            let e = &self.entries[at as usize];
            let stored = &self.words[e.start as usize..(e.start + e.len) as usize];
            // Word by word: the windows are a word or two, shorter than a call to memcmp.
            let same_set = e.lo as usize == lo
                && stored.len() == words.len()
                && stored.iter().zip(words).all(|(a, b)| a == b);
            if same_set && e.state == *state {
                return false;
            }
            at = e.next;
        }
        self.entries.push(Explored {
            next: *head,
            lo: lo as u32,
            start: self.words.len() as u32,
            len: words.len() as u32,
            state: state.clone(),
        });
        *head = (self.entries.len() - 1) as u32;
        self.words.extend_from_slice(words);
        true
    }
}

/// What the search reads about an operation at each step, kept together.
#[derive(Clone, Copy)]
struct OpFacts {
    /// Its call's and its return's node in [`Entries`].
    call_node: u32,
    ret_node: u32,
    /// The operation that must be linearized before it (see [`predecessors`]), or `NIL`.
    after: u32,
    /// [`Model::read_only`] for its input and output.
    read_only: bool,
    /// Set the first time the search reaches it while it is isolated (see the module doc).
    reached: bool,
}

impl OpFacts {
    /// True if nothing happens between its call and its return (see the module doc).
    fn isolated(&self) -> bool {
        self.ret_node == self.call_node + 1
    }
}

#[derive(Clone, Copy)]
struct Link {
    next: u32,
    prev: u32,
}

/// The list of calls and returns, threaded through arrays. Node `k` is the `k`-th entry in time
/// order; node `head` is a sentinel before the first.
struct Entries {
    links: Vec<Link>,
    /// Per node: the index of its operation, with [`RETURN`] set if the node is a return.
    node: Vec<u32>,
    head: u32,
}

impl Entries {
    /// The list of `ops` (sorted by call) in time order; records each one's nodes in `facts`.
    fn new<I, O>(ops: &[&Operation<I, O>], facts: &mut [OpFacts]) -> Entries {
        let n = ops.len();
        // The calls are in order already; only the returns need sorting, and those that never
        // happen go last, in call order, without taking part in the sort: where they are in the
        // middle, every later return would move past them.
        let mut by_return: Vec<u32> = Vec::with_capacity(n);
        by_return.extend((0..n as u32).filter(|&i| ops[i as usize].ret != NEVER_RETURNED));
        let returned = by_return.len();
        sort_by_time(&mut by_return, |i| ops[i as usize].ret);
        if returned < n {
            by_return.extend((0..n as u32).filter(|&i| ops[i as usize].ret == NEVER_RETURNED));
        }
        let head = 2 * n as u32;
        let mut node = Vec::with_capacity(2 * n);
        let (mut c, mut r) = (0, 0);
        while r < n {
            let k = node.len() as u32;
            let returning = by_return[r] as usize;
            // At equal times calls come first: an operation that returns at the instant another
            // is called may be linearized after it.
            if c < n && ops[c].call <= ops[returning].ret {
                node.push(c as u32);
                facts[c].call_node = k;
                c += 1;
            } else {
                node.push(returning as u32 | RETURN);
                facts[returning].ret_node = k;
                r += 1;
            }
        }
        let mut links: Vec<Link> = (0..head)
            .map(|k| Link {
                next: k + 1,
                prev: k.checked_sub(1).unwrap_or(head),
            })
            .collect();
        links.push(Link {
            next: if n == 0 { NIL } else { 0 },
            prev: NIL,
        });
        if n > 0 {
            links[2 * n - 1].next = NIL;
        }
        Entries { links, node, head }
    }

    fn first(&self) -> u32 {
        self.links[self.head as usize].next
    }

    /// Removes an operation's call and return from the list; they keep their links for `unlift`.
    #[inline]
    fn lift(&mut self, call: u32, ret: u32) {
        let Link { next, prev } = self.links[call as usize];
        // A call is always followed by at least its own return.
        self.links[next as usize].prev = prev;
        self.links[prev as usize].next = next;
        let Link { next, prev } = self.links[ret as usize];
        self.links[prev as usize].next = next;
        if next != NIL {
            self.links[next as usize].prev = prev;
        }
    }

    /// Puts back what the matching `lift` removed (undone in reverse order).
    #[inline]
    fn unlift(&mut self, call: u32, ret: u32) {
        let Link { next, prev } = self.links[ret as usize];
        if next != NIL {
            self.links[next as usize].prev = ret;
        }
        self.links[prev as usize].next = ret;
        let Link { next, prev } = self.links[call as usize];
        self.links[next as usize].prev = call;
        self.links[prev as usize].next = call;
    }
}

struct Frame<S> {
    op: u32,
    /// The state before the operation, or `None` if undoing this choice must go on undoing: the
    /// operation was the only one worth trying here (see [`search`]).
    before: Option<S>,
}

/// The longest linearizable prefix the search has built: what a failed or stopped search
/// reports. Copied from the stack only from where the two differ, so that a search that keeps
/// going deeper does not copy the whole stack at each new depth.
struct Longest {
    ops: Vec<u32>,
    /// `ops[..same]` equals the stack's first `same` operations.
    same: usize,
}

impl Longest {
    fn record<S>(&mut self, stack: &[Frame<S>]) {
        if stack.len() > self.ops.len() {
            self.ops.truncate(self.same);
            self.ops.extend(stack[self.same..].iter().map(|f| f.op));
            self.same = stack.len();
        }
    }

    /// The stack lost its top: the copy no longer matches beyond its new length.
    fn popped(&mut self, depth: usize) {
        self.same = self.same.min(depth);
    }

    fn or_stack<S>(mut self, stack: &[Frame<S>]) -> Vec<usize> {
        self.record(stack);
        self.ops.into_iter().map(|op| op as usize).collect()
    }
}

/// What the search needs to know about each operation: [`OpFacts`] (its nodes are filled in by
/// [`Entries::new`]).
///
/// `after` names, for each operation, the one that must be linearized before it. Two operations
/// with equal input and output are interchangeable for the model. If the first (in call order)
/// is also no later to return, any linearization that puts the second first stays valid with the
/// two swapped: the first may take any place the second could, and the second any place the
/// first could. So the search may insist on their call order, and skips the orders that differ
/// only by such swaps (a Jepsen log writes the same few values over and over). Each operation is
/// chained to the previous equal one; a chain breaks where an operation returns before that
/// previous one (it is nested inside it), since then the swap may not hold.
fn facts<M: Model>(model: &M, ops: &[&Operation<M::Input, M::Output>]) -> Vec<OpFacts> {
    // Keyed by a hash of the pair: two different pairs with the same hash only break a chain.
    let mut last = HashIndex::with_capacity(ops.len());
    ops.iter()
        .enumerate()
        .map(|(i, o)| {
            let mut h = StateHasher::default();
            (&o.input, &o.output).hash(&mut h);
            let p = std::mem::replace(last.slot(h.finish()), i as u32);
            let after = match ops.get(p as usize) {
                Some(q) if q.input == o.input && q.output == o.output && q.ret <= o.ret => p,
                _ => NIL,
            };
            OpFacts {
                call_node: NIL,
                ret_node: NIL,
                after,
                read_only: model.read_only(&o.input, &o.output),
                reached: false,
            }
        })
        .collect()
}

/// Searches for a linearization of `ops`, which must be sorted by call time.
///
/// Beside porcupine's search, two rules prune it without changing the verdict:
/// - an operation that never changes the state ([`Model::read_only`]: a read, a failed
///   compare-and-set) and is accepted where it is a candidate may be moved to the front of any
///   linearization from here (everything still to come may follow it in real time, and it
///   changes nothing for them). So the configuration is linearizable exactly when the one after
///   it is: if that fails, or was explored before, there is no need to try the other candidates;
/// - equal operations are taken in call order (see [`facts`]).
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    stop: &Stop<'_>,
) -> Found {
    assert!(ops.len() < RETURN as usize, "too many operations to check");
    let mut facts = facts(model, ops);
    let mut list = Entries::new(ops, &mut facts);
    let mut linearized = Bitset::new(ops.len());
    let mut cache = Cache::with_capacity(ops.len().min(CACHE_PRESIZE_LIMIT));
    let mut stack: Vec<Frame<M::State>> = Vec::with_capacity(ops.len());
    let mut longest = Longest {
        ops: Vec::new(),
        same: 0,
    };
    let mut state = model.init();
    let mut entry = list.first();
    let mut polls = 0u32;

    while list.first() != NIL {
        polls += 1;
        if polls == POLL_EVERY {
            polls = 0;
            if stop.now() {
                return Found::Stopped(longest.or_stack(&stack));
            }
        }
        let node = list.node[entry as usize];
        let mut dead_end = node & RETURN != 0;
        if !dead_end {
            let op = node as usize;
            let f = facts[op];
            let accepted = if f.after != NIL && !linearized.contains(f.after as usize) {
                None
            } else {
                model.step(&state, &ops[op].input, &ops[op].output)
            };
            let call = entry;
            entry = list.links[call as usize].next;
            if let Some(after) = accepted {
                linearized.set(op);
                let isolated = f.isolated();
                // An isolated operation skips the cache the first time the search reaches it.
                let cached = !isolated || std::mem::replace(&mut facts[op].reached, true);
                if cached && !cache.insert(&linearized, &after) {
                    // Explored before, from another order of the same operations.
                    linearized.clear(op);
                    dead_end = f.read_only;
                } else {
                    let before = std::mem::replace(&mut state, after);
                    stack.push(Frame {
                        op: op as u32,
                        before: (!isolated && !f.read_only).then_some(before),
                    });
                    list.lift(call, f.ret_node);
                    entry = list.first();
                }
            }
        }
        if dead_end {
            // Nothing else is worth trying here: undo the last choice that has alternatives.
            longest.record(&stack);
            loop {
                let Some(frame) = stack.pop() else {
                    return Found::Illegal(longest.or_stack(&stack));
                };
                longest.popped(stack.len());
                let f = &facts[frame.op as usize];
                linearized.clear(frame.op as usize);
                list.unlift(f.call_node, f.ret_node);
                if let Some(before) = frame.before {
                    state = before;
                    entry = list.links[f.call_node as usize].next;
                    break;
                }
            }
        }
    }
    Found::Linearizable(stack.iter().map(|f| f.op as usize).collect())
}
