//! What a key should hold, kept as the pieces written to it (a put, then appends, each with the
//! operation that wrote it), so that a wrong value is explained in one line: which piece is
//! missing, doubled, out of place, or what foreign text sits where a piece should be, and whose
//! operation that piece was. A student then reads "client 3's append 17 is missing" instead of
//! diffing two values of a thousand characters by eye.
//!
//! ```text
//! let mut expected = Expected::new();
//! expected.append("client 0's append 0", "x 0 0 y");
//! expected.check("get wrong value, key \"0\"", &got); // panics with the explanation
//! ```

use std::fmt::Write as _;

/// The value a key should hold, piece by piece.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    /// The operation that wrote it, for messages: `client 3's append 17`.
    op: String,
    text: String,
}

impl Expected {
    /// A key that holds nothing yet (a missing key reads as `""`).
    pub fn new() -> Expected {
        Expected::default()
    }

    /// A key last written by a put (or given `value` some other way) by `op`.
    pub fn put(op: impl Into<String>, value: &str) -> Expected {
        let mut expected = Expected::new();
        expected.append(op, value);
        expected
    }

    /// Records that `op` appended `text`.
    pub fn append(&mut self, op: impl Into<String>, text: &str) {
        self.pieces.push(Piece {
            op: op.into(),
            text: text.to_string(),
        });
    }

    /// The whole value.
    pub fn value(&self) -> String {
        self.pieces.iter().map(|p| p.text.as_str()).collect()
    }

    /// Fails the test unless `got` is the expected value; the message starts with `context`
    /// (`Get("3")`) and says, in its first line, what is wrong.
    #[track_caller]
    pub fn check(&self, context: &str, got: &str) {
        if let Some(why) = self.mismatch(context, got) {
            panic!("{why}");
        }
    }

    /// `None` if `got` is the expected value; otherwise the explanation: a first line that names
    /// the first wrong piece and gives both lengths, then both values in full.
    pub fn mismatch(&self, context: &str, got: &str) -> Option<String> {
        let wanted = self.value();
        if got == wanted {
            return None;
        }
        let short = |text: &str| text.chars().count() <= EXCERPT;
        if self.pieces.len() <= 1 && short(&wanted) && short(got) {
            return Some(format!("{context}: received {got:?}, expected {wanted:?}"));
        }
        let mut why = format!(
            "{context}: {} (received {} bytes, expected {})",
            self.first_difference(got),
            got.len(),
            wanted.len()
        );
        let _ = write!(why, "\n  expected: {wanted:?}\n  received: {got:?}");
        Some(why)
    }

    /// The first place where `got` departs from the pieces, in words.
    fn first_difference(&self, got: &str) -> String {
        let pieces: Vec<&Piece> = self.pieces.iter().filter(|p| !p.text.is_empty()).collect();
        let mut at = 0;
        for (k, piece) in pieces.iter().enumerate() {
            let rest = &got[at..];
            if rest.starts_with(&piece.text) {
                at += piece.text.len();
                continue;
            }
            if let Some(previous) = k.checked_sub(1).map(|j| pieces[j])
                && rest.starts_with(&previous.text)
            {
                return format!(
                    "{} appears twice, at bytes {} and {at} (executed twice?)",
                    describe(previous),
                    at - previous.text.len()
                );
            }
            if rest.is_empty() {
                return match pieces.len() - k - 1 {
                    0 => format!("{} is missing at the end", describe(piece)),
                    after => format!(
                        "{} is missing, and the {after} after it: the value ends at byte {at}",
                        describe(piece)
                    ),
                };
            }
            let later = (k + 1..pieces.len()).find(|&j| rest.starts_with(&pieces[j].text));
            if let Some(j) = later {
                return if rest.contains(&piece.text) {
                    format!(
                        "{} comes before {} (at byte {at}): out of order",
                        describe(pieces[j]),
                        describe(piece)
                    )
                } else {
                    format!("{} is missing (at byte {at})", describe(piece))
                };
            }
            // A common start shorter than half the piece is chance (`"x "` of an element).
            return match common_prefix(rest, &piece.text) {
                same if same < piece.text.len().div_ceil(2) => format!(
                    "foreign text {} at byte {at}, where {} belongs",
                    excerpt(rest),
                    describe(piece)
                ),
                same => format!(
                    "{} differs from byte {}: received {}, expected {}",
                    describe(piece),
                    at + same,
                    excerpt(&rest[same..]),
                    excerpt(&piece.text[same..])
                ),
            };
        }
        let rest = &got[at..];
        match pieces.last() {
            Some(last) if rest.starts_with(&last.text) => format!(
                "{} appears twice, at bytes {} and {at} (executed twice?)",
                describe(last),
                at - last.text.len()
            ),
            _ => format!(
                "foreign text {} at byte {at}, after everything that was written",
                excerpt(rest)
            ),
        }
    }
}

/// The length in bytes of the longest common start of `a` and `b` (whole characters).
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((at, _), _)| at)
}

/// `client 3's append 17 ("x 3 17 y")`, the text cut if it is long.
fn describe(piece: &Piece) -> String {
    format!("{} ({})", piece.op, excerpt(&piece.text))
}

/// The start of `text`, quoted, at most [`EXCERPT`] characters.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// Characters of a piece quoted in a first line.
const EXCERPT: usize = 24;

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(n: usize) -> Expected {
        let mut expected = Expected::put("the initial put", "");
        for j in 0..n {
            expected.append(format!("client 3's append {j}"), &format!("x 3 {j} y"));
        }
        expected
    }

    fn first_line(expected: &Expected, got: &str) -> String {
        let why = expected.mismatch("Get(\"3\")", got).expect("a mismatch");
        why.lines().next().unwrap().to_string()
    }

    #[test]
    fn the_right_value_passes() {
        let expected = elements(3);
        assert_eq!(expected.value(), "x 3 0 yx 3 1 yx 3 2 y");
        assert_eq!(expected.mismatch("k", &expected.value()), None);
        expected.check("k", "x 3 0 yx 3 1 yx 3 2 y");
    }

    #[test]
    fn a_missing_append_is_named_with_its_client_and_both_lengths() {
        let line = first_line(&elements(3), "x 3 0 yx 3 2 y");
        assert_eq!(
            line,
            "Get(\"3\"): client 3's append 1 (\"x 3 1 y\") is missing (at byte 7) (received 14 \
             bytes, expected 21)"
        );
        let line = first_line(&elements(3), "x 3 0 y");
        assert!(
            line.contains("client 3's append 1 (\"x 3 1 y\") is missing, and the 1 after it"),
            "{line}"
        );
        let line = first_line(&elements(3), "x 3 0 yx 3 1 y");
        assert!(
            line.contains("append 2 (\"x 3 2 y\") is missing at the end"),
            "{line}"
        );
    }

    #[test]
    fn a_doubled_append_is_named() {
        let line = first_line(&elements(3), "x 3 0 yx 3 0 yx 3 1 yx 3 2 y");
        assert!(
            line.contains("client 3's append 0 (\"x 3 0 y\") appears twice, at bytes 0 and 7"),
            "{line}"
        );
        let line = first_line(&elements(2), "x 3 0 yx 3 1 yx 3 1 y");
        assert!(
            line.contains("append 1 (\"x 3 1 y\") appears twice"),
            "{line}"
        );
    }

    #[test]
    fn reordered_and_foreign_text_are_named() {
        let line = first_line(&elements(3), "x 3 0 yx 3 2 yx 3 1 y");
        assert!(
            line.contains("append 2 (\"x 3 2 y\") comes before client 3's append 1"),
            "{line}"
        );
        let line = first_line(&elements(2), "x 3 0 yx 9 9 y");
        assert!(
            line.contains("foreign text \"x 9 9 y\" at byte 7, where client 3's append 1"),
            "{line}"
        );
        let line = first_line(&elements(1), "x 3 0 ystray");
        assert!(
            line.contains("foreign text \"stray\" at byte 7, after"),
            "{line}"
        );
    }

    #[test]
    fn a_short_single_value_is_compared_in_one_line_and_a_long_one_at_its_first_difference() {
        let line = first_line(&Expected::put("the put", "14"), "15");
        assert_eq!(line, "Get(\"3\"): received \"15\", expected \"14\"");
        let long = "abcdefghij".repeat(5);
        let mut changed = long.clone();
        changed.replace_range(30..31, "X");
        let line = first_line(&Expected::put("the put", &long), &changed);
        assert!(
            line.contains("differs from byte 30: received \"Xbcdefghij"),
            "{line}"
        );
    }

    #[test]
    fn the_full_values_follow_the_first_line() {
        let why = elements(2).mismatch("k", "x 3 0 y").unwrap();
        let lines: Vec<&str> = why.lines().collect();
        assert_eq!(lines[1], "  expected: \"x 3 0 yx 3 1 y\"");
        assert_eq!(lines[2], "  received: \"x 3 0 y\"");
    }

    #[test]
    fn long_pieces_are_cut_in_the_first_line_and_multibyte_text_is_safe() {
        let mut expected = Expected::put("the put", "a");
        expected.append("the append", &"é".repeat(40));
        let line = first_line(&expected, &format!("a{}", "ü".repeat(40)));
        let (foreign, piece) = ("ü".repeat(EXCERPT), "é".repeat(EXCERPT));
        assert!(
            line.contains(&format!(
                "foreign text {foreign:?}... at byte 1, where the append ({piece:?}...) belongs"
            )),
            "{line}"
        );
    }
}
