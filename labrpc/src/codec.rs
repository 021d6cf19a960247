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

/// For a `Vec<u8>` field holding opaque bytes (a Raft log's commands, a snapshot):
/// `#[serde(with = "labrpc::codec::bytes")]` encodes exactly the same bytes as the default, a
/// length and then the bytes, but writes and reads them in one piece instead of one element at a
/// time. A peer that persists its whole log on every change spends most of its time there.
pub mod bytes {
    use serde::{Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_byte_buf(BytesVisitor)
    }

    struct BytesVisitor;

    impl<'de> de::Visitor<'de> for BytesVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a byte string")
        }

        fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
            Ok(bytes.to_vec())
        }

        fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(bytes)
        }
    }
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
    fn bytes_fields_encode_like_the_default() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Fast(#[serde(with = "super::bytes")] Vec<u8>);
        let data: Vec<u8> = (0..=255).collect();
        let fast = encode(&Fast(data.clone())).unwrap();
        assert_eq!(fast, encode(&data).unwrap());
        assert_eq!(decode::<Fast>(&fast).unwrap(), Fast(data.clone()));
        assert_eq!(decode::<Vec<u8>>(&fast).unwrap(), data);
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
