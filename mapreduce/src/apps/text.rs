//! `wc` and `indexer`: the applications whose output the tests compare with mrsequential's.

use std::collections::BTreeSet;

use crate::KeyValue;

/// The words of `text`: maximal runs of letters.
///
/// The original splits on `!unicode.IsLetter`. `char::is_alphabetic` agrees with it on every
/// letter; it also counts as alphabetic the letter numbers (Ⅻ) and the vowel signs of some
/// scripts, which the generated inputs never contain.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphabetic())
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
