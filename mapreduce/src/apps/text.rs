//! `wc` and `indexer`: the applications whose output the tests compare with mrsequential's.

use std::collections::BTreeSet;

use crate::KeyValue;

/// Whether `c` is part of a word: exactly Go's `unicode.IsLetter`, which the original's `wc` and
/// `indexer` split on (`strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) })`).
///
/// The rule is Unicode's general category L (Lu, Ll, Lt, Lm, Lo) and nothing else, so that the
/// output matches the original's on any text. Rust's `char::is_alphabetic` is the wider
/// `Alphabetic` property: it also takes letter numbers (Nl, such as `Ⅻ` U+216B) and many combining
/// marks (Mn, Mc, such as the Devanagari vowel sign `ि` U+093F), which split words in Go. The
/// table comes from `unicode-general-category`; its Unicode version may be newer than a given Go
/// release's, which only matters for characters assigned in between.
///
/// Input that is not valid UTF-8 reaches us with each bad sequence replaced by U+FFFD (see
/// `read_input`), as Go's range over a string yields U+FFFD for each bad byte: a symbol (So),
/// so a separator in both.
fn is_letter(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    // Nearly all of a book is ASCII: skip the table's search there.
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    matches!(
        get_general_category(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
    )
}

/// The words of `text`: maximal runs of letters.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_letter(c))
        .filter(|w| !w.is_empty())
}

/// Emits `(word, "1")` for every word.
pub(super) fn wc_map(_filename: &str, contents: &str) -> Vec<KeyValue> {
    words(contents).map(|w| KeyValue::new(w, "1")).collect()
}

/// The number of occurrences.
pub(super) fn wc_reduce(_key: &str, values: &[&str]) -> String {
    values.len().to_string()
}

/// Emits `(word, document)` once per distinct word of the document.
pub(super) fn indexer_map(document: &str, contents: &str) -> Vec<KeyValue> {
    let distinct: BTreeSet<&str> = words(contents).collect();
    distinct
        .into_iter()
        .map(|w| KeyValue::new(w, document))
        .collect()
}

/// `"<count> <documents joined by commas>"`, documents sorted.
pub(super) fn indexer_reduce(_key: &str, values: &[&str]) -> String {
    format!("{} {}", values.len(), super::sorted_join(values, ","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_everything_but_letters() {
        let text = "Héllo, wörld! it’s 1887; naïve—ΛΌΓΟΣ x2y don't";
        let found: Vec<&str> = words(text).collect();
        assert_eq!(
            found,
            [
                "Héllo",
                "wörld",
                "it",
                "s",
                "naïve",
                "ΛΌΓΟΣ",
                "x",
                "y",
                "don",
                "t"
            ]
        );
    }

    #[test]
    fn letter_numbers_combining_marks_and_replacement_characters_separate_words() {
        // U+216B (Nl), U+093F (Mc), U+0301 (Mn) and U+FFFD (So) are no letters in Go; U+02B0 (Lm)
        // and U+01C5 (Lt) are.
        let text = "twelveⅫhours कि e\u{301}t a\u{FFFD}b ʰdž";
        let found: Vec<&str> = words(text).collect();
        assert_eq!(found, ["twelve", "hours", "क", "e", "t", "a", "b", "ʰdž"]);
    }

    #[test]
    fn indexer_emits_each_word_once_per_document() {
        let kvs = indexer_map("../a.txt", "b a b");
        assert_eq!(
            kvs,
            [
                KeyValue::new("a", "../a.txt"),
                KeyValue::new("b", "../a.txt")
            ]
        );
        assert_eq!(indexer_reduce("a", &["y", "x"]), "2 x,y");
    }
}
