//! Word splitting on text the generated books never contain: characters where Rust's
//! `char::is_alphabetic` and Go's `unicode.IsLetter` disagree, and bytes that are not UTF-8. The
//! expected counts are Go's; mrsequential must produce them, and a distributed job the same lines.

mod common;

use common::{Job, TIMEOUT, same_output};

/// Each pair: the input's bytes and the words Go's `wc` counts in them.
const CASES: [(&[u8], &[&str]); 5] = [
    // U+216B ROMAN NUMERAL TWELVE is a letter number (Nl): it ends the word.
    ("twelve\u{216B}hours".as_bytes(), &["twelve", "hours"]),
    // U+093F DEVANAGARI VOWEL SIGN I (Mc) and U+0301 COMBINING ACUTE ACCENT (Mn) are marks.
    (
        "\u{915}\u{93F} cafe\u{301}s".as_bytes(),
        &["\u{915}", "cafe", "s"],
    ),
    // Modifier (Lm) and title-case (Lt) letters are letters.
    ("\u{2B0}\u{1C5}".as_bytes(), &["\u{2B0}\u{1C5}"]),
    // A stray continuation byte, a truncated sequence and an overlong encoding read as U+FFFD.
    (
        b"bad\x80byte hours\xe2\x82 x\xc0\xafy",
        &["bad", "byte", "hours", "x", "y"],
    ),
    // Invalid UTF-8 in a file must not hide the letters after it.
    (b"\xff\xfetwelve", &["twelve"]),
];

/// `wc`'s output lines (`word count`) for all the cases together, sorted as the tests sort them.
fn expected_wc() -> Vec<String> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for (_, words) in CASES {
        for w in words {
            *counts.entry(w).or_default() += 1;
        }
    }
    let mut lines: Vec<String> = counts.iter().map(|(w, n)| format!("{w} {n}")).collect();
    lines.sort();
    lines
}

#[test]
fn wc_splits_words_as_go_does_on_non_letters_and_invalid_utf8() {
    let mut job = Job::new("unicode");
    let dir = job.cwd.parent().unwrap().to_path_buf();
    job.inputs = CASES
        .iter()
        .enumerate()
        .map(|(i, (bytes, _))| {
            let name = format!("unicode-{i}.txt");
            std::fs::write(dir.join(&name), bytes).unwrap();
            format!("../{name}")
        })
        .collect();
    let sequential = job.sequential("wc");
    assert_eq!(sequential, expected_wc(), "mrsequential wc");

    let mut coordinator = job.coordinator(TIMEOUT);
    let mut workers: Vec<_> = (0..2).map(|_| job.worker("wc", TIMEOUT)).collect();
    let status = coordinator.wait();
    assert!(
        status.is_some_and(|s| s.success()),
        "the coordinator failed:\n{}",
        job.logs()
    );
    for w in &mut workers {
        w.wait();
    }
    if let Err(difference) = same_output("wc", &job.output(), &sequential) {
        panic!("{difference}\n{}", job.logs());
    }
}
