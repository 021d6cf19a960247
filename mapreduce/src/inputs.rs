//! Input texts made here rather than downloaded: the eight files the tests use, named and sized
//! like the original's Project Gutenberg books, and larger corpora for benchmarks.
//!
//! The text is deterministic (the same file name and size always give the same bytes) and looks
//! enough like a novel to exercise the apps: words drawn from a fixed vocabulary with a skewed
//! (Zipf-like) frequency, sentences and paragraphs, mixed case, punctuation, numbers, quotes and
//! dashes, and words with non-ASCII letters (accented Latin, Greek, Cyrillic), so that splitting
//! on non-letters matters.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::OnceLock;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The original inputs' names and sizes in bytes.
pub const BOOKS: [(&str, usize); 8] = [
    ("pg-being_ernest.txt", 138_885),
    ("pg-dorian_gray.txt", 453_168),
    ("pg-frankenstein.txt", 441_033),
    ("pg-grimm.txt", 540_174),
    ("pg-huckleberry_finn.txt", 594_262),
    ("pg-metamorphosis.txt", 139_054),
    ("pg-sherlock_holmes.txt", 581_863),
    ("pg-tom_sawyer.txt", 412_665),
];

/// Writes the eight [`BOOKS`] into `dir` and returns their names, sorted (as `pg*txt` expands).
pub fn write_books(dir: &Path) -> io::Result<Vec<String>> {
    for (name, bytes) in BOOKS {
        write_text(dir, name, bytes)?;
    }
    Ok(BOOKS.iter().map(|(name, _)| name.to_string()).collect())
}

/// Writes a corpus of `total_bytes` split over `files` files `corpus-000.txt`, ... into `dir`
/// and returns their names.
pub fn write_corpus(dir: &Path, total_bytes: usize, files: usize) -> io::Result<Vec<String>> {
    assert!(files > 0, "a corpus needs at least one file");
    let mut names = Vec::with_capacity(files);
    for i in 0..files {
        let name = format!("corpus-{i:03}.txt");
        let share = total_bytes / files + usize::from(i < total_bytes % files);
        write_text(dir, &name, share)?;
        names.push(name);
    }
    Ok(names)
}

fn write_text(dir: &Path, name: &str, bytes: usize) -> io::Result<()> {
    let path = dir.join(name);
    fs::write(&path, text(name, bytes))
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display())))
}

/// The text of the file called `name`: exactly `bytes` bytes of UTF-8.
pub fn text(name: &str, bytes: usize) -> String {
    let mut writer = Writer {
        rng: ChaCha8Rng::seed_from_u64(fnv64(name.as_bytes())),
        page: Page {
            out: String::with_capacity(bytes),
            limit: bytes,
            column: 0,
        },
        token: String::new(),
    };
    while writer.paragraph() {}
    // Whatever space is left is less than one word: fill it with line ends.
    let out = &mut writer.page.out;
    while out.len() < bytes {
        out.push('\n');
    }
    writer.page.out
}

/// Lines are wrapped at this many characters.
const LINE_WIDTH: usize = 72;

/// The text so far, wrapped into lines, never longer than `limit` bytes.
struct Page {
    out: String,
    limit: usize,
    column: usize,
}

impl Page {
    /// Appends `token` after a space or at the start of a new line. Returns false, appending
    /// nothing, when it would not fit (one byte is kept for the final line end).
    fn push(&mut self, token: &str) -> bool {
        let chars = token.chars().count();
        let wrap = self.column > 0 && self.column + 1 + chars > LINE_WIDTH;
        let separator = match (self.column, wrap) {
            (0, _) => "",
            (_, true) => "\n",
            (_, false) => " ",
        };
        if self.out.len() + separator.len() + token.len() + 1 > self.limit {
            return false;
        }
        self.out.push_str(separator);
        self.out.push_str(token);
        self.column = if wrap || self.column == 0 {
            chars
        } else {
            self.column + 1 + chars
        };
        true
    }

    /// Ends the paragraph with a blank line. Returns false when full.
    fn end_paragraph(&mut self) -> bool {
        if self.out.len() + 2 + 1 > self.limit {
            return false;
        }
        self.out.push_str("\n\n");
        self.column = 0;
        true
    }
}

struct Writer {
    rng: ChaCha8Rng,
    page: Page,
    /// The token being built, reused to avoid an allocation per word.
    token: String,
}

impl Writer {
    /// Writes a paragraph (or a chapter heading). Returns false once the page is full.
    fn paragraph(&mut self) -> bool {
        if self.rng.random_bool(0.03) {
            let n = self.rng.random_range(1..40);
            let heading = match self.rng.random_range(0..3) {
                0 => format!("CHAPTER {}.", roman(n)),
                1 => format!("Chapter {n}"),
                _ => format!("§ {n}."),
            };
            return self.page.push(&heading) && self.page.end_paragraph();
        }
        for _ in 0..self.rng.random_range(2..9) {
            if !self.sentence() {
                return false;
            }
        }
        self.page.end_paragraph()
    }

    /// Writes a sentence of 3-18 words, sometimes quoted. Returns false when full.
    fn sentence(&mut self) -> bool {
        let quotes = match self.rng.random_range(0..100) {
            0..4 => Some(("“", "”")),
            4..7 => Some(("\"", "\"")),
            7..8 => Some(("‘", "’")),
            8..9 => Some(("«", "»")),
            _ => None,
        };
        let len = self.rng.random_range(3..19);
        for i in 0..len {
            self.token.clear();
            if let (0, Some((open, _))) = (i, quotes) {
                self.token.push_str(open);
            }
            self.word(i == 0);
            if i + 1 == len {
                let end = match self.rng.random_range(0..10) {
                    0 => "!",
                    1 => "?",
                    _ => ".",
                };
                self.token.push_str(end);
                if let Some((_, close)) = quotes {
                    self.token.push_str(close);
                }
            } else {
                self.punctuation();
            }
            let token = std::mem::take(&mut self.token);
            let fitted = self.page.push(&token);
            self.token = token;
            if !fitted {
                return false;
            }
        }
        true
    }

    /// Appends one word (or number, compound, contraction) to the token.
    fn word(&mut self, capitalize: bool) {
        let roll = self.rng.random_range(0..1000);
        if roll < 15 {
            self.number();
            return;
        }
        let word = self.pick();
        match roll {
            15..35 => self.token.push_str(&word.to_uppercase()),
            35..75 => push_capitalized(&mut self.token, word),
            _ if capitalize => push_capitalized(&mut self.token, word),
            _ => self.token.push_str(word),
        }
        match roll {
            75..85 => {
                self.token.push('-');
                let second = self.pick();
                self.token.push_str(second);
            }
            85..105 => {
                self.token.push(if roll % 2 == 0 { '\'' } else { '’' });
                let suffix = ["s", "t", "ll", "d", "re", "ve"][roll % 6];
                self.token.push_str(suffix);
            }
            105..110 => {
                self.token.insert(0, '_');
                self.token.push('_');
            }
            _ => {}
        }
    }

    /// Appends a number in one of the shapes books use.
    fn number(&mut self) {
        let n = self.rng.random_range(1..100u32);
        let number = match self.rng.random_range(0..6) {
            0 => format!("{}", self.rng.random_range(1000..2000)),
            1 => format!("{n}"),
            2 => {
                let suffix = match (n % 10, n % 100) {
                    (_, 11..=13) => "th",
                    (1, _) => "st",
                    (2, _) => "nd",
                    (3, _) => "rd",
                    _ => "th",
                };
                format!("{n}{suffix}")
            }
            3 => format!("{n}.{}", n % 10),
            4 => format!("£{n}"),
            _ => format!("{n},{:03}", self.rng.random_range(0..1000)),
        };
        self.token.push_str(&number);
    }

    /// Appends the punctuation that may follow a word inside a sentence.
    fn punctuation(&mut self) {
        match self.rng.random_range(0..1000) {
            0..60 => self.token.push(','),
            60..70 => self.token.push(';'),
            70..75 => self.token.push(':'),
            75..82 => {
                self.token.push('—');
                let next = self.pick();
                self.token.push_str(next);
            }
            _ => {}
        }
    }

    /// A vocabulary word, frequent words far more often than rare ones.
    fn pick(&mut self) -> &'static str {
        let words = vocabulary();
        // A log-uniform rank: P(rank r) is about proportional to 1 / (r + 1), as in Zipf's law.
        let rank = ((words.len() + 1) as f64).powf(self.rng.random::<f64>()) as usize - 1;
        &words[rank.min(words.len() - 1)]
    }
}

fn push_capitalized(token: &mut String, word: &str) {
    let mut chars = word.chars();
    if let Some(first) = chars.next() {
        token.extend(first.to_uppercase());
        token.push_str(chars.as_str());
    }
}

fn roman(mut n: u32) -> String {
    const NUMERALS: [(u32, &str); 9] = [
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, numeral) in NUMERALS {
        while n >= value {
            out.push_str(numeral);
            n -= value;
        }
    }
    out
}

/// The words, most frequent first: English function words, then made-up words, some of them
/// accented Latin, Greek or Cyrillic.
fn vocabulary() -> &'static [String] {
    static WORDS: OnceLock<Vec<String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        const COMMON: &str = "the and of to a in that he was it his her i with as had you for she \
            not is at on but my be him have all by so which said they me this from we there were \
            one no what an would their or been if when them could into then out will more up";
        const SIZE: usize = 20_000;
        let mut rng = ChaCha8Rng::seed_from_u64(0x6_5840);
        let mut words: Vec<String> = COMMON.split_whitespace().map(String::from).collect();
        while words.len() < SIZE {
            let word = match rng.random_range(0..1000) {
                0..15 => made_up(&mut rng, &GREEK),
                15..30 => made_up(&mut rng, &CYRILLIC),
                30..100 => {
                    let plain = made_up(&mut rng, &LATIN);
                    accented(&mut rng, plain)
                }
                _ => made_up(&mut rng, &LATIN),
            };
            words.push(word);
        }
        words
    })
}

/// Letters to build words from: onsets, vowels and codas of syllables.
struct Alphabet {
    onsets: &'static [&'static str],
    vowels: &'static [&'static str],
    codas: &'static [&'static str],
}

const LATIN: Alphabet = Alphabet {
    onsets: &[
        "", "b", "br", "c", "ch", "cl", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "l", "m",
        "n", "p", "pl", "qu", "r", "s", "sh", "st", "t", "th", "tr", "v", "w", "wh", "y", "z",
    ],
    vowels: &[
        "a", "e", "i", "o", "u", "ea", "ee", "ou", "ai", "oa", "ie", "y",
    ],
    codas: &[
        "", "", "", "n", "r", "s", "t", "l", "d", "m", "nd", "ng", "st", "rk", "ck", "th", "ll",
    ],
};

const GREEK: Alphabet = Alphabet {
    onsets: &[
        "λ", "μ", "ν", "π", "τ", "κ", "σ", "δ", "θ", "φ", "χ", "ρ", "γ", "β",
    ],
    vowels: &["α", "ε", "ο", "ι", "ω", "η", "υ", "ό", "ά", "έ", "ί"],
    codas: &["", "", "ς", "ν", "ρ"],
};

const CYRILLIC: Alphabet = Alphabet {
    onsets: &[
        "б", "в", "г", "д", "ж", "з", "к", "л", "м", "н", "п", "р", "с", "т", "ч", "ш",
    ],
    vowels: &["а", "е", "и", "о", "у", "я", "ы", "ё"],
    codas: &["", "", "й", "н", "р", "ть", "в"],
};

/// A word of one to four syllables.
fn made_up(rng: &mut ChaCha8Rng, alphabet: &Alphabet) -> String {
    let mut word = String::new();
    for _ in 0..rng.random_range(1..5) {
        for part in [alphabet.onsets, alphabet.vowels, alphabet.codas] {
            word.push_str(part[rng.random_range(0..part.len())]);
        }
    }
    word
}

/// The word with one of its vowels replaced by an accented letter.
fn accented(rng: &mut ChaCha8Rng, word: String) -> String {
    const ACCENTED: [char; 16] = [
        'é', 'è', 'ê', 'ü', 'ö', 'ä', 'ï', 'å', 'ø', 'æ', 'œ', 'í', 'ó', 'ú', 'ñ', 'ß',
    ];
    let vowels: Vec<usize> = word
        .char_indices()
        .filter(|(_, c)| "aeiou".contains(*c))
        .map(|(i, _)| i)
        .collect();
    let Some(&at) = vowels.get(rng.random_range(0..vowels.len().max(1))) else {
        return word;
    };
    let mut out = String::with_capacity(word.len() + 2);
    out.push_str(&word[..at]);
    out.push(ACCENTED[rng.random_range(0..ACCENTED.len())]);
    out.push_str(&word[at + 1..]);
    out
}

/// 64-bit FNV-1a, to seed each file's text from its name.
fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_have_the_exact_size_and_are_deterministic() {
        for bytes in [0, 1, 2, 3, 50, 1000, 138_885] {
            let a = text("pg-x.txt", bytes);
            assert_eq!(a.len(), bytes);
            assert_eq!(a, text("pg-x.txt", bytes));
        }
        assert_ne!(text("a.txt", 5000), text("b.txt", 5000));
    }

    #[test]
    fn texts_mix_case_punctuation_digits_and_non_ascii_letters() {
        let t = text("pg-grimm.txt", 540_174);
        let has = |f: fn(char) -> bool| t.chars().any(f);
        assert!(has(|c| c.is_ascii_uppercase()) && has(|c| c.is_ascii_lowercase()));
        assert!(has(|c| c.is_ascii_digit()));
        assert!(has(|c| ",.;:!?\"'".contains(c)));
        assert!(
            has(|c| !c.is_ascii() && c.is_alphabetic()),
            "non-ASCII letters"
        );
        assert!(
            has(|c| !c.is_ascii() && !c.is_alphabetic()),
            "non-ASCII punctuation"
        );
        assert!(t.lines().all(|l| l.chars().count() <= LINE_WIDTH));
        let words = t
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty());
        let distinct: std::collections::BTreeSet<&str> = words.collect();
        assert!(distinct.len() > 5_000, "{} distinct words", distinct.len());
    }
}
