//! `crash` and `nocrash`: the same output, but `crash` kills or stalls its worker at random.

use std::time::Duration;

use crate::KeyValue;

/// A third of the time the process exits; another third it stalls for up to 10 s.
fn maybe_crash() {
    let roll = rand::random_range(0..1000);
    if roll < 330 {
        std::process::exit(1);
    } else if roll < 660 {
        std::thread::sleep(Duration::from_millis(rand::random_range(0..10_000)));
    }
}

pub(super) fn crash_map(filename: &str, contents: &str) -> Vec<KeyValue> {
    maybe_crash();
    nocrash_map(filename, contents)
}

/// Emits the file's name, the name's length, the contents' length, and a constant.
pub(super) fn nocrash_map(filename: &str, contents: &str) -> Vec<KeyValue> {
    vec![
        KeyValue::new("a", filename),
        KeyValue::new("b", filename.len().to_string()),
        KeyValue::new("c", contents.len().to_string()),
        KeyValue::new("d", "xyzzy"),
    ]
}

/// Like `nocrash_reduce`, after perhaps crashing or stalling.
pub(super) fn crash_reduce(key: &str, values: &[&str]) -> String {
    maybe_crash();
    nocrash_reduce(key, values)
}

/// The values sorted and joined with spaces.
pub(super) fn nocrash_reduce(_key: &str, values: &[&str]) -> String {
    super::sorted_join(values, " ")
}
