//! The one place that names the wire encoding.
//!
//! Every RPC argument, RPC reply and persisted Raft state goes through [`encode`] and [`decode`], so
//! nodes never share memory and byte counts are real. The format is bincode 1.3.3 with variable-length
//! integers: small integers take one byte, much like Go's gob, which keeps the byte bounds of the
//! 6.5840 tests meaningful.

use bincode::Options;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Why a value could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(String);

fn options() -> impl Options {
    // Varint integers, little endian, no size limit, trailing bytes rejected: a payload must decode
    // as exactly one value of the expected type.
    bincode::DefaultOptions::new()
}

/// Encodes `value` into a fresh byte vector.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    options()
        .serialize(value)
        .map_err(|e| CodecError(e.to_string()))
}

/// Decodes a value of type `T` that must fill `bytes` exactly.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    options()
        .deserialize(bytes)
        .map_err(|e| CodecError(e.to_string()))
}

/// Decodes a value of type `T` that must fill `bytes` exactly and may borrow from them: a `&str`
/// field points into `bytes` instead of being copied (MapReduce's intermediate files).
pub fn decode_borrowed<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, CodecError> {
    options()
        .deserialize(bytes)
        .map_err(|e| CodecError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_sizes() {
        let v: (u64, String, Vec<i64>) = (7, "hello".into(), vec![1, -1, 300]);
        let bytes = encode(&v).unwrap();
        assert_eq!(decode::<(u64, String, Vec<i64>)>(&bytes).unwrap(), v);
        // Small integers are one byte; a string is its length prefix plus its bytes.
        assert_eq!(encode(&7u64).unwrap().len(), 1);
        assert_eq!(encode("abc").unwrap().len(), 4);
        assert_eq!(encode(&"x".repeat(284)).unwrap().len(), 287);
    }

    #[test]
    fn borrowed_strings_point_into_the_bytes() {
        let bytes = encode(&vec![("key", "value")]).unwrap();
        let pairs: Vec<(&str, &str)> = decode_borrowed(&bytes).unwrap();
        assert_eq!(pairs, [("key", "value")]);
        assert!(bytes.as_ptr_range().contains(&pairs[0].0.as_ptr()));
    }

    #[test]
    fn rejects_wrong_type_and_trailing_bytes() {
        let bytes = encode(&(1u8, 2u8)).unwrap();
        assert!(
            decode::<u8>(&bytes).is_err(),
            "trailing byte must be rejected"
        );
        assert!(
            decode::<String>(&[5, b'a']).is_err(),
            "short string must be rejected"
        );
    }
}
