//! The set of operations linearized so far, with what the search's cache needs: an incremental
//! hash and a compact, canonical slice of the words.

/// A bitset over operation ids `0..n` that keeps
/// - a Zobrist hash (the XOR of a fixed random word per member), updated in O(1) per change
///   instead of rehashing every word as porcupine does;
/// - `lo`, the first word that is not all ones, and `hi`, one past the last non-zero word.
///
/// Ids are given in call order, so the linearized set is nearly always "everything up to some
/// point, minus the few operations still running there": the words between `lo` and `hi` are a
/// window about as wide as the history's concurrency. The cache stores only that window, which
/// keeps long sequential histories (tens of thousands of operations) from costing a full bitset
/// per cached configuration.
#[derive(Debug, Clone)]
pub(crate) struct Bitset {
    words: Vec<u64>,
    /// `zobrist(id)` for every id, computed once: the search sets and clears ids many times more
    /// often than there are ids.
    keys: Vec<u64>,
    hash: u64,
    lo: usize,
    hi: usize,
}

/// A scrambled word per id (splitmix64's finaliser): fixed, so runs are reproducible.
fn zobrist(id: usize) -> u64 {
    let mut z = (id as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Bitset {
    pub fn new(n: usize) -> Bitset {
        Bitset {
            words: vec![0; n.div_ceil(64)],
            keys: (0..n).map(zobrist).collect(),
            hash: 0,
            lo: 0,
            hi: 0,
        }
    }

    #[inline]
    pub fn set(&mut self, id: usize) {
        let w = id / 64;
        debug_assert_eq!(self.words[w] & (1 << (id % 64)), 0);
        self.words[w] |= 1 << (id % 64);
        self.hash ^= self.keys[id];
        self.hi = self.hi.max(w + 1);
        while self.lo < self.words.len() && self.words[self.lo] == u64::MAX {
            self.lo += 1;
        }
    }

    #[inline]
    pub fn clear(&mut self, id: usize) {
        let w = id / 64;
        debug_assert_ne!(self.words[w] & (1 << (id % 64)), 0);
        self.words[w] &= !(1 << (id % 64));
        self.hash ^= self.keys[id];
        self.lo = self.lo.min(w);
        while self.hi > 0 && self.words[self.hi - 1] == 0 {
            self.hi -= 1;
        }
    }

    pub fn contains(&self, id: usize) -> bool {
        self.words[id / 64] & (1 << (id % 64)) != 0
    }

    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The canonical compact form: every word before `lo` is all ones, every word from the end
    /// of the slice on is zero. Equal sets give equal windows.
    #[inline]
    pub fn window(&self) -> (usize, &[u64]) {
        (self.lo, &self.words[self.lo..self.hi.max(self.lo)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_sets_have_equal_hash_and_window_whatever_the_order() {
        let mut a = Bitset::new(200);
        let mut b = Bitset::new(200);
        for id in 0..130 {
            a.set(id);
        }
        for id in (0..130).rev() {
            b.set(id);
        }
        a.set(150);
        a.clear(64);
        b.set(150);
        b.clear(64);
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.window(), b.window());
        assert_eq!(a.window().0, 1, "word 0 is full, word 1 lacks id 64");
        assert_eq!(a.window().1.len(), 2);
    }

    #[test]
    fn clearing_everything_returns_to_the_empty_set() {
        let mut a = Bitset::new(100);
        for id in [3, 70, 99] {
            a.set(id);
        }
        for id in [70, 3, 99] {
            a.clear(id);
        }
        assert_eq!(a.hash(), 0);
        assert_eq!(a.window(), (0, &[][..]));
    }
}
