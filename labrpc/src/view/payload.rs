//! A message as a short line of text for the run view: `{term: 5, entries: [{term: 5, command:
//! <9 bytes>}, … 3 more], leader_commit: 16}`.
//!
//! Written through serde, so it works for every RPC argument and reply without asking lab types to
//! implement `Debug`. It is only called while a run records its view, and it stops working once
//! its budget of characters is spent: a whole log or a snapshot is summarized, never walked.

use std::fmt::{Display, Write as _};

use serde::ser::{self, Serialize};

/// Elements of a sequence or map shown before the rest are counted.
const SHOWN: usize = 3;
/// Characters of a string shown.
const STRING_CHARS: usize = 24;

/// `value` in at most about `budget` characters.
pub(crate) fn describe<T: Serialize + ?Sized>(value: &T, budget: usize) -> String {
    let mut text = Text {
        out: String::new(),
        budget,
    };
    // Our serializer never fails; a lab type whose Serialize does is shown as far as it got.
    let _ = value.serialize(&mut text);
    if text.out.len() > budget {
        let mut cut = budget;
        while !text.out.is_char_boundary(cut) {
            cut -= 1;
        }
        text.out.truncate(cut);
        text.out.push('…');
    }
    text.out
}

struct Text {
    out: String,
    budget: usize,
}

impl Text {
    fn full(&self) -> bool {
        self.out.len() > self.budget
    }

    fn put(&mut self, s: impl Display) {
        if !self.full() {
            let _ = write!(self.out, "{s}");
        }
    }
}

#[derive(Debug)]
struct Never;

impl Display for Never {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

impl std::error::Error for Never {}

impl ser::Error for Never {
    fn custom<T: Display>(_: T) -> Self {
        Never
    }
}

/// A sequence, tuple, map or struct being written: how many items so far, and how many in all.
struct Items<'a> {
    text: &'a mut Text,
    written: usize,
    len: Option<usize>,
    close: &'static str,
}

impl Items<'_> {
    fn open<'t>(
        text: &'t mut Text,
        open: &str,
        close: &'static str,
        len: Option<usize>,
    ) -> Items<'t> {
        text.put(open);
        Items {
            text,
            written: 0,
            len,
            close,
        }
    }

    /// Whether the next item is shown; the first hidden one writes how many are left.
    fn next_shown(&mut self, limit: usize) -> bool {
        self.written += 1;
        if self.written > limit {
            return false;
        }
        if self.written > 1 {
            self.text.put(", ");
        }
        true
    }

    fn end(self, limit: usize) -> Result<(), Never> {
        if self.written > limit {
            match self.len {
                Some(len) => self.text.put(format_args!(", … {} more", len - limit)),
                None => self.text.put(", …"),
            }
        }
        self.text.put(self.close);
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Text {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Items<'a>;
    type SerializeTuple = Items<'a>;
    type SerializeTupleStruct = Items<'a>;
    type SerializeTupleVariant = Items<'a>;
    type SerializeMap = Items<'a>;
    type SerializeStruct = Items<'a>;
    type SerializeStructVariant = Items<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Never> {
        self.put(v);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Never> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Never> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Never> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Never> {
        self.put(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Never> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Never> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Never> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Never> {
        self.put(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Never> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Never> {
        self.put(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Never> {
        self.put(format_args!("{v:?}"));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Never> {
        let count = v.chars().count();
        if count <= STRING_CHARS {
            self.put(format_args!("{v:?}"));
        } else {
            let head: String = v.chars().take(STRING_CHARS).collect();
            self.put(format_args!("{head:?}… ({count} chars)"));
        }
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Never> {
        self.put(format_args!("<{} bytes>", v.len()));
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Never> {
        self.put("None");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Never> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Never> {
        self.put("()");
        Ok(())
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), Never> {
        self.put(name);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Never> {
        self.put(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        self.put(format_args!("{variant}("));
        value.serialize(&mut *self)?;
        self.put(")");
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Items<'a>, Never> {
        Ok(Items::open(self, "[", "]", len))
    }
    fn serialize_tuple(self, len: usize) -> Result<Items<'a>, Never> {
        Ok(Items::open(self, "(", ")", Some(len)))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Items<'a>, Never> {
        Ok(Items::open(self, "(", ")", Some(len)))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Items<'a>, Never> {
        self.put(variant);
        Ok(Items::open(self, "(", ")", Some(len)))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Items<'a>, Never> {
        Ok(Items::open(self, "{", "}", len))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Items<'a>, Never> {
        Ok(Items::open(self, "{", "}", Some(len)))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Items<'a>, Never> {
        self.put(variant);
        Ok(Items::open(self, " {", "}", Some(len)))
    }
}

impl ser::SerializeSeq for Items<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Never> {
        if self.next_shown(SHOWN) {
            value.serialize(&mut *self.text)?;
        }
        Ok(())
    }
    fn end(self) -> Result<(), Never> {
        Items::end(self, SHOWN)
    }
}

impl ser::SerializeTuple for Items<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Never> {
        if self.next_shown(usize::MAX) {
            value.serialize(&mut *self.text)?;
        }
        Ok(())
    }
    fn end(self) -> Result<(), Never> {
        Items::end(self, usize::MAX)
    }
}

impl ser::SerializeTupleStruct for Items<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Never> {
        ser::SerializeTuple::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Never> {
        Items::end(self, usize::MAX)
    }
}

impl ser::SerializeTupleVariant for Items<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Never> {
        ser::SerializeTuple::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Never> {
        Items::end(self, usize::MAX)
    }
}

impl ser::SerializeMap for Items<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Never> {
        if self.next_shown(SHOWN) {
            key.serialize(&mut *self.text)?;
            self.text.put(": ");
        }
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Never> {
        if self.written <= SHOWN {
            value.serialize(&mut *self.text)?;
        }
        Ok(())
    }
    fn end(self) -> Result<(), Never> {
        Items::end(self, SHOWN)
    }
}

impl ser::SerializeStruct for Items<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        if self.next_shown(usize::MAX) {
            self.text.put(format_args!("{key}: "));
            value.serialize(&mut *self.text)?;
        }
        Ok(())
    }
    fn end(self) -> Result<(), Never> {
        Items::end(self, usize::MAX)
    }
}

impl ser::SerializeStructVariant for Items<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<(), Never> {
        Items::end(self, usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Entry {
        term: u64,
        #[serde(with = "crate::codec::bytes")]
        command: Vec<u8>,
    }

    #[derive(Serialize)]
    struct Append {
        term: u64,
        leader: Option<usize>,
        entries: Vec<Entry>,
        key: String,
    }

    #[test]
    fn messages_read_like_rust_and_long_parts_are_summarized() {
        let entry = |term| Entry {
            term,
            command: vec![1; 9],
        };
        let args = Append {
            term: 5,
            leader: Some(2),
            entries: (0..5).map(entry).collect(),
            key: "k".repeat(40),
        };
        assert_eq!(
            describe(&args, 1000),
            format!(
                "{{term: 5, leader: 2, entries: [{{term: 0, command: <9 bytes>}}, {{term: 1, \
                 command: <9 bytes>}}, {{term: 2, command: <9 bytes>}}, … 2 more], key: {:?}… \
                 (40 chars)}}",
                "k".repeat(24)
            )
        );
        let short = describe(&args, 20);
        assert!(
            short.ends_with('…') && short.chars().count() <= 21,
            "{short}"
        );
    }
}
