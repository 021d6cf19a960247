//! The parts of the KV test harness that Labs 2, 4 and 5 share: recording every clerk operation
//! into a history, checking it, and the checks on appended elements.
//!
//! A lab's tester wraps each clerk call in a [`KvLog`] method, which stamps the call before the
//! clerk's future first runs and the return after it finishes:
//!
//! ```text
//! let value = log.get(client, &key, clerk.get(&key)).await;
//! log.check("basic_2"); // fails the test unless the history is linearizable
//! ```

use std::future::Future;

use crate::lincheck::kv::{KvInput, KvModel, KvOutput};
use crate::lincheck::{self, CheckResult, Recorder, Span};

/// The history of a KV test, shared by all of its client tasks (clones record into one log).
#[derive(Clone, Default)]
pub struct KvLog {
    recorder: Recorder<KvInput, KvOutput>,
}

impl KvLog {
    pub fn new() -> KvLog {
        KvLog::default()
    }

    /// Runs `op`, a clerk's `get(key)`, recording it for `client`.
    pub async fn get(&self, client: usize, key: &str, op: impl Future<Output = String>) -> String {
        let pending = self.recorder.invoke(client, KvInput::get(key));
        let value = op.await;
        pending.complete(KvOutput::new(&value));
        value
    }

    /// Runs `op`, a clerk's `put(key, value)`, recording it for `client`.
    pub async fn put(&self, client: usize, key: &str, value: &str, op: impl Future<Output = ()>) {
        let pending = self.recorder.invoke(client, KvInput::put(key, value));
        op.await;
        pending.complete(KvOutput::default());
    }

    /// Runs `op`, a clerk's `append(key, value)` that returns nothing (Labs 4 and 5).
    pub async fn append(
        &self,
        client: usize,
        key: &str,
        value: &str,
        op: impl Future<Output = ()>,
    ) {
        let pending = self.recorder.invoke(client, KvInput::append(key, value));
        op.await;
        pending.complete(KvOutput::default());
    }

    /// Runs `op`, a clerk's `append(key, value)` that returns the old value (Lab 2).
    pub async fn append_returning_old(
        &self,
        client: usize,
        key: &str,
        value: &str,
        op: impl Future<Output = String>,
    ) -> String {
        let pending = self
            .recorder
            .invoke(client, KvInput::append_returning_old(key, value));
        let old = op.await;
        pending.complete(KvOutput::new(&old));
        old
    }

    /// Marks an instant on the timeline (e.g. `("crash", "server 2 crashed")`).
    pub fn annotate(&self, tag: &str, text: &str) {
        self.recorder.annotate(tag, text);
    }

    /// Marks a period on the timeline (e.g. a partition), until [`Span::end`].
    pub fn begin_span(&self, tag: &str, text: &str) -> Span<KvInput, KvOutput> {
        self.recorder.begin_span(tag, text)
    }

    /// Operations recorded so far.
    pub fn len(&self) -> usize {
        self.recorder.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recorder.is_empty()
    }

    /// Checks the history recorded so far; fails the test `test` (with a timeline) unless it is
    /// linearizable. See [`lincheck::assert_linearizable`].
    pub fn check(&self, test: &str) -> CheckResult {
        lincheck::assert_linearizable(&KvModel, &self.recorder.history(), test)
    }
}

/// The element client `client` appends in its `j`-th append: `"x <client> <j> y"`.
pub fn append_element(client: usize, j: usize) -> String {
    format!("x {client} {j} y")
}

/// Checks that `value` holds `client`'s elements `0..count` each exactly once and in order.
/// Panics (failing the test) otherwise.
pub fn check_client_appends(client: usize, value: &str, count: usize) {
    let mut last: Option<usize> = None;
    for j in 0..count {
        let wanted = append_element(client, j);
        let Some(at) = value.find(&wanted) else {
            panic!("client {client}: element {wanted:?} is missing from the value {value:?}");
        };
        assert_eq!(
            value.rfind(&wanted),
            Some(at),
            "client {client}: element {wanted:?} appears twice in the value (an append was executed twice)"
        );
        assert!(
            last.is_none_or(|l| at > l),
            "client {client}: element {wanted:?} is out of order in the value {value:?}"
        );
        last = Some(at);
    }
}

/// Checks that `value` holds, for every client `i`, its elements `0..counts[i]` each exactly once
/// and in order.
pub fn check_concurrent_appends(value: &str, counts: &[usize]) {
    for (client, &count) in counts.iter().enumerate() {
        check_client_appends(client, value, count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_checks_accept_interleavings_and_reject_duplicates_and_gaps() {
        let value = "x 0 0 yx 1 0 yx 0 1 yx 1 1 y";
        check_concurrent_appends(value, &[2, 2]);
        let dup = std::panic::catch_unwind(|| check_client_appends(0, "x 0 0 yx 0 0 y", 1));
        assert!(dup.is_err(), "a duplicated element must fail");
        let gap = std::panic::catch_unwind(|| check_client_appends(0, "x 0 1 y", 2));
        assert!(gap.is_err(), "a missing element must fail");
        let order = std::panic::catch_unwind(|| check_client_appends(0, "x 0 1 yx 0 0 y", 2));
        assert!(order.is_err(), "elements out of order must fail");
    }
}
