//! A map from 64-bit hashes to small integers, for the search's two tables (explored
//! configurations, and the last operation seen with each input and output).
//!
//! std's `HashMap` was a fifth of the checker's instructions on the small Jepsen logs: its SIMD
//! probing and growth (rehashing every entry at each doubling) are made for keys it must hash
//! itself. Here the keys are hashes already, the table is sized for the history up front, and a
//! probe is a shift, a load and a compare.

/// The value of an empty slot; the tables never store it.
pub(crate) const VACANT: u32 = u32::MAX;

/// Open addressing with linear probing, at most half full. Keys must be well mixed: the slot is
/// taken from their top bits.
pub(crate) struct HashIndex {
    slots: Vec<(u64, u32)>,
    len: usize,
    /// `64 - log2(slots.len())`: a key's home slot is `key >> shift`.
    shift: u32,
}

impl HashIndex {
    /// A table that holds `expected` keys without growing.
    pub fn with_capacity(expected: usize) -> HashIndex {
        let slots = (2 * expected).next_power_of_two().max(16);
        HashIndex {
            slots: vec![(0, VACANT); slots],
            len: 0,
            shift: 64 - slots.trailing_zeros(),
        }
    }

    /// The value stored for `key`, made `VACANT` (and counted as used) if there was none: the
    /// caller sets it. One probe sequence serves both the lookup and the insertion.
    #[inline]
    pub fn slot(&mut self, key: u64) -> &mut u32 {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = (key >> self.shift) as usize;
        loop {
            let (k, v) = self.slots[at];
            if v == VACANT {
                self.len += 1;
                self.slots[at].0 = key;
                return &mut self.slots[at].1;
            }
            if k == key {
                return &mut self.slots[at].1;
            }
            at = (at + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::replace(self, HashIndex::with_capacity(self.slots.len()));
        for (key, value) in old.slots {
            if value != VACANT {
                *self.slot(key) = value;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_values_across_growth_and_collisions() {
        let mut index = HashIndex::with_capacity(1);
        // Keys with equal top bits share a home slot: the probe must walk past them.
        let keys: Vec<u64> = (0..100u64).map(|i| (i % 3) << 62 | i).collect();
        for (i, &key) in keys.iter().enumerate() {
            let slot = index.slot(key);
            assert_eq!(*slot, VACANT);
            *slot = i as u32;
        }
        for (i, &key) in keys.iter().enumerate() {
            assert_eq!(*index.slot(key), i as u32);
        }
        assert_eq!(index.len, keys.len());
    }
}
