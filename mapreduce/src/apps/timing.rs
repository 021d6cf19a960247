//! `mtiming` and `rtiming`: do map (reduce) tasks of different workers overlap in time?

use std::fs;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::KeyValue;

/// Emits `("times-<pid>", start time)` and `("parallel-<pid>", workers seen mapping at once)`.
pub(super) fn mtiming_map(_filename: &str, _contents: &str) -> Vec<KeyValue> {
    let start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    let pid = std::process::id();
    let n = nparallel("map");
    vec![
        KeyValue::new(
            format!("times-{pid}"),
            format!("{:.1}", start.as_secs_f64()),
        ),
        KeyValue::new(format!("parallel-{pid}"), n.to_string()),
    ]
}

/// The values sorted and joined with spaces.
pub(super) fn mtiming_reduce(_key: &str, values: &[&str]) -> String {
    super::sorted_join(values, " ")
}

/// Emits the keys `a` to `j`, so that several reduce tasks have work.
pub(super) fn rtiming_map(_filename: &str, _contents: &str) -> Vec<KeyValue> {
    ('a'..='j').map(|k| KeyValue::new(k, "1")).collect()
}

/// How many workers were reducing at the same time as this one.
pub(super) fn rtiming_reduce(_key: &str, _values: &[&str]) -> String {
    nparallel("reduce").to_string()
}

/// Announces this worker in a file `mr-worker-<phase>-<pid>`, counts the live processes that have
/// announced themselves, stays one second so that others can see it, and withdraws.
fn nparallel(phase: &str) -> usize {
    let prefix = format!("mr-worker-{phase}-");
    let mine = format!("{prefix}{}", std::process::id());
    fs::write(&mine, "x").unwrap_or_else(|e| panic!("cannot create {mine}: {e}"));
    let alive = fs::read_dir(".")
        .unwrap_or_else(|e| panic!("cannot list the current directory: {e}"))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_prefix(&prefix)?.parse::<libc::pid_t>().ok()
        })
        .filter(|&pid| is_alive(pid))
        .count();
    std::thread::sleep(Duration::from_secs(1));
    fs::remove_file(&mine).unwrap_or_else(|e| panic!("cannot remove {mine}: {e}"));
    alive
}

/// Whether a process with this id exists (a crashed worker leaves its file behind).
fn is_alive(pid: libc::pid_t) -> bool {
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}
