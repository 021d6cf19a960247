//! Key/value pairs and the hash that picks a pair's reduce task.

use serde::{Deserialize, Serialize};

/// One pair emitted by a Map function.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl KeyValue {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// The key's hash, as the original computes it: 32-bit FNV-1a with the top bit cleared. A pair
/// goes to reduce task `ihash(key) as usize % n_reduce`.
pub fn ihash(key: &str) -> u32 {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    let hash = key
        .bytes()
        .fold(OFFSET_BASIS, |h, b| (h ^ u32::from(b)).wrapping_mul(PRIME));
    hash & 0x7fff_ffff
}

#[cfg(test)]
mod tests {
    use super::ihash;

    #[test]
    fn ihash_is_fnv1a_masked_to_31_bits() {
        // Reference values of 32-bit FNV-1a (Go's hash/fnv New32a), then masked.
        assert_eq!(ihash(""), 0x811c_9dc5 & 0x7fff_ffff);
        assert_eq!(ihash("a"), 0xe40c_292c & 0x7fff_ffff);
        assert_eq!(ihash("foobar"), 0xbf9c_f968 & 0x7fff_ffff);
        assert!((0..1000).all(|i| ihash(&format!("key{i}")) < 1 << 31));
    }
}
