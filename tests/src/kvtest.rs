//! The parts of the KV test harness that Labs 2, 4 and 5 share: recording every clerk operation
//! into a history, checking it, counting the operations of a test ([`Ops`]), and the checks on
//! appended elements.
//!
//! A lab's tester wraps each clerk call in a [`KvLog`] method, which stamps the call before the
//! clerk's future first runs and the return after it finishes:
//!
//! ```text
//! let value = log.get(client, &key, clerk.get(&key)).await;
//! log.check("basic_2"); // fails the test unless the history is linearizable
//! ```

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use labrpc::view;

use crate::lincheck::kv::{KvInput, KvModel, KvOutput};
use crate::lincheck::{self, CheckResult, History, Recorder, Span};

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
        let shown = view::begin_op(client, || format!("Get({})", short(key)));
        let value = shown.scope(op).await;
        shown.end(|| short(&value));
        pending.complete(KvOutput::new(&value));
        value
    }

    /// Runs `op`, a clerk's `put(key, value)`, recording it for `client`.
    pub async fn put(&self, client: usize, key: &str, value: &str, op: impl Future<Output = ()>) {
        let text = || format!("Put({}, {})", short(key), short(value));
        self.write(client, KvInput::put(key, value), text, op).await
    }

    /// Runs `op`, a clerk's `append(key, value)` that returns nothing (Labs 4 and 5).
    pub async fn append(
        &self,
        client: usize,
        key: &str,
        value: &str,
        op: impl Future<Output = ()>,
    ) {
        let text = || format!("Append({}, {})", short(key), short(value));
        self.write(client, KvInput::append(key, value), text, op)
            .await
    }

    /// Runs `op`, a write that returns nothing, recording it for `client` as `input` (and for the
    /// run view as `text`).
    async fn write(
        &self,
        client: usize,
        input: KvInput,
        text: impl FnOnce() -> String,
        op: impl Future<Output = ()>,
    ) {
        let pending = self.recorder.invoke(client, input);
        let shown = view::begin_op(client, text);
        shown.scope(op).await;
        shown.end(|| "ok".to_string());
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
        let shown = view::begin_op(client, || {
            format!("Append({}, {})", short(key), short(value))
        });
        let old = shown.scope(op).await;
        shown.end(|| short(&old));
        pending.complete(KvOutput::new(&old));
        old
    }

    /// Runs `op`, a clerk's `get(key)` that can fail (Lab 6): recorded when it returns a value;
    /// a read that failed took no effect and is left out.
    pub async fn get_fallible<E: std::fmt::Display>(
        &self,
        client: usize,
        key: &str,
        op: impl Future<Output = Result<String, E>>,
    ) -> Result<String, E> {
        let pending = self.recorder.invoke(client, KvInput::get(key));
        let shown = view::begin_op(client, || format!("Get({})", short(key)));
        let result = shown.scope(op).await;
        shown.end(|| outcome(result.as_ref().map(|value| short(value))));
        if let Ok(value) = &result {
            pending.complete(KvOutput::new(value));
        }
        result
    }

    /// Runs `op`, a clerk's `put(key, value)` that can fail (Lab 6): a put that failed may still
    /// have taken effect, so it is recorded with an unknown outcome.
    pub async fn put_fallible<E: std::fmt::Display>(
        &self,
        client: usize,
        key: &str,
        value: &str,
        op: impl Future<Output = Result<(), E>>,
    ) -> Result<(), E> {
        let pending = self.recorder.invoke(client, KvInput::put(key, value));
        let shown = view::begin_op(client, || format!("Put({}, {})", short(key), short(value)));
        let result = shown.scope(op).await;
        shown.end(|| outcome(result.as_ref().map(|()| "ok".to_string())));
        match result {
            Ok(()) => pending.complete(KvOutput::default()),
            Err(_) => pending.unknown(KvOutput::default()),
        }
        result
    }

    /// Marks an instant on the timeline (e.g. `("crash", "server 2 crashed")`), and notes it on
    /// the run view.
    pub fn annotate(&self, tag: &str, text: &str) {
        self.recorder.annotate(tag, text);
        view::note(tag, || text.to_string());
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

    /// A copy of the history recorded so far (for a test that expects a verdict other than
    /// linearizable).
    pub fn history(&self) -> History<KvInput, KvOutput> {
        self.recorder.history()
    }

    /// Checks the history recorded so far; fails the test `test` (with a timeline) unless it is
    /// linearizable. See [`lincheck::assert_linearizable`].
    pub fn check(&self, test: &str) -> CheckResult {
        let history = self.recorder.history();
        view::note("check", || {
            format!("linearizability of {} operations", history.ops.len())
        });
        lincheck::assert_linearizable(&KvModel, &history, test)
    }
}

/// The clerk operations of a test (Labs 4 and 5): each one counted, for the summary line, and
/// recorded in the history under the row `Some(client)` when the test asks (6.5840's
/// `Get(cfg, ck, key, log, cli)` with a non-nil log). Clones count and record into the same place.
///
/// ```text
/// let value = ops.get(Some(client), &key, clerk.get(&key)).await;
/// ```
#[derive(Clone, Default)]
pub struct Ops {
    log: KvLog,
    count: Arc<AtomicU64>,
}

impl Ops {
    pub fn new() -> Ops {
        Ops::default()
    }

    /// The history the recorded operations go to.
    pub fn log(&self) -> &KvLog {
        &self.log
    }

    /// Operations since the last [`Ops::reset_count`], recorded or not.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    pub fn reset_count(&self) {
        self.count.store(0, Ordering::SeqCst);
    }

    /// Runs `op`, a clerk's `get(key)`.
    pub async fn get(
        &self,
        record: Option<usize>,
        key: &str,
        op: impl Future<Output = String>,
    ) -> String {
        self.count.fetch_add(1, Ordering::SeqCst);
        match record {
            Some(client) => self.log.get(client, key, op).await,
            None => op.await,
        }
    }

    /// Runs `op`, a clerk's `put(key, value)`.
    pub async fn put(
        &self,
        record: Option<usize>,
        key: &str,
        value: &str,
        op: impl Future<Output = ()>,
    ) {
        self.count.fetch_add(1, Ordering::SeqCst);
        match record {
            Some(client) => self.log.put(client, key, value, op).await,
            None => op.await,
        }
    }

    /// Runs `op`, a clerk's `append(key, value)`.
    pub async fn append(
        &self,
        record: Option<usize>,
        key: &str,
        value: &str,
        op: impl Future<Output = ()>,
    ) {
        self.count.fetch_add(1, Ordering::SeqCst);
        match record {
            Some(client) => self.log.append(client, key, value, op).await,
            None => op.await,
        }
    }
}

/// A key or value as the run view shows it: quoted, and shortened when long (values can be
/// megabytes).
/// A fallible operation's result for the run view: its value, or `failed: <why>`.
fn outcome<E: std::fmt::Display>(result: Result<String, &E>) -> String {
    result.unwrap_or_else(|e| format!("failed: {e}"))
}

fn short(s: &str) -> String {
    const CHARS: usize = 24;
    if s.chars().count() <= CHARS {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(CHARS).collect();
        format!("{head:?}… ({} chars)", s.chars().count())
    }
}

/// The element client `client` appends in its `j`-th append: `"x <client> <j> y"`.
pub fn append_element(client: usize, j: usize) -> String {
    format!("x {client} {j} y")
}

/// Checks that `value` holds `client`'s elements `0..count` each exactly once and in order.
/// Panics (failing the test) otherwise, naming the first wrong element in the first line of the
/// message and giving the whole value after it.
pub fn check_client_appends(client: usize, value: &str, count: usize) {
    let mut last: Option<usize> = None;
    for j in 0..count {
        let wanted = append_element(client, j);
        let what = match value.find(&wanted) {
            None => "is missing from the value (a lost append?)",
            Some(at) if value.rfind(&wanted) != Some(at) => {
                "appears twice in the value (an append executed twice)"
            }
            Some(at) if last.is_some_and(|l| at < l) => {
                "comes before the client's previous append in the value: out of order"
            }
            Some(at) => {
                last = Some(at);
                continue;
            }
        };
        panic!(
            "client {client}'s append {j} ({wanted:?}) {what}; the value is {} bytes and should \
             hold the client's {count} appends, each once, in order\n  value: {value:?}",
            value.len()
        );
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
