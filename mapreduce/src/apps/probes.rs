//! `jobcount` and `early_exit`: applications that expose scheduling mistakes.

use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::KeyValue;

/// Map calls made by this process so far.
static MAP_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Leaves a file `mr-worker-jobcount-<pid>-<n>` per call, takes 2-5 s, and emits `("a", "x")`.
pub(super) fn jobcount_map(_filename: &str, _contents: &str) -> Vec<KeyValue> {
    let n = MAP_CALLS.fetch_add(1, Ordering::SeqCst);
    let mark = format!("mr-worker-jobcount-{}-{n}", std::process::id());
    fs::write(&mark, "x").unwrap_or_else(|e| panic!("cannot create {mark}: {e}"));
    std::thread::sleep(Duration::from_millis(2000 + rand::random_range(0..3000)));
    vec![KeyValue::new("a", "x")]
}

/// The number of map calls made by all workers: the `mr-worker-jobcount` files present.
pub(super) fn jobcount_reduce(_key: &str, _values: &[&str]) -> String {
    let marks = fs::read_dir(".")
        .unwrap_or_else(|e| panic!("cannot list the current directory: {e}"))
        .filter(|entry| {
            entry.as_ref().is_ok_and(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("mr-worker-jobcount")
            })
        })
        .count();
    marks.to_string()
}

/// Emits `(filename, "1")`.
pub(super) fn early_exit_map(filename: &str, _contents: &str) -> Vec<KeyValue> {
    vec![KeyValue::new(filename, "1")]
}

/// The number of values, after 3 s for the keys containing `sherlock` or `tom`: a process that
/// exits before these reduces finish leaves the output incomplete.
pub(super) fn early_exit_reduce(key: &str, values: &[&str]) -> String {
    if key.contains("sherlock") || key.contains("tom") {
        std::thread::sleep(Duration::from_secs(3));
    }
    values.len().to_string()
}
