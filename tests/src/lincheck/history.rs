//! Histories: operations with the logical times of their call and return, plus annotations, and
//! the [`Recorder`] that builds them while a test runs.
//!
//! Times are stamps of one global logical clock: every call, return and annotation takes the next
//! number, so two events never share a time and their order is exactly the order in which the
//! (single-threaded) simulator ran them. Real or virtual timestamps would tie whenever two events
//! happen at the same instant, and a tie makes the checker treat the two as concurrent, which is
//! weaker than what happened. The virtual time of each event is kept beside it for display.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The return time of an operation whose outcome is unknown (the client gave up, or crashed):
/// it may take effect at any point after its call, or never.
pub const NEVER_RETURNED: u64 = u64::MAX;

/// One completed (or abandoned) operation of a history.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation<I, O> {
    /// Who issued it: operations of one client never overlap in a well-formed history.
    pub client: usize,
    pub input: I,
    pub output: O,
    /// Logical time of the call.
    pub call: u64,
    /// Logical time of the return, after `call`; [`NEVER_RETURNED`] if the outcome is unknown.
    pub ret: u64,
}

impl<I, O> Operation<I, O> {
    /// True when the operation may or may not have taken effect.
    pub fn outcome_unknown(&self) -> bool {
        self.ret == NEVER_RETURNED
    }
}

/// Something the harness did during the test, drawn on the timeline (a partition, a crash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// A short kind, e.g. `"partition"` or `"crash"`; the timeline colours annotations by tag.
    pub tag: String,
    pub text: String,
    pub start: u64,
    /// Equal to `start` for an instant.
    pub end: u64,
}

/// A recorded history: what the checker checks and the timeline draws.
#[derive(Debug, Clone, PartialEq)]
pub struct History<I, O> {
    pub ops: Vec<Operation<I, O>>,
    pub annotations: Vec<Annotation>,
    /// Virtual time of each logical stamp (index = stamp), when recorded under the simulator.
    /// Empty for histories read from files.
    pub virtual_times: Vec<Duration>,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        History {
            ops: Vec::new(),
            annotations: Vec::new(),
            virtual_times: Vec::new(),
        }
    }
}

impl<I, O> History<I, O> {
    /// The virtual time of a stamp, if known.
    pub fn virtual_time(&self, stamp: u64) -> Option<Duration> {
        usize::try_from(stamp)
            .ok()
            .and_then(|i| self.virtual_times.get(i).copied())
    }
}

/// Records a history while a test runs. Cheap to clone; clones record into the same history, so
/// every client task can hold one.
///
/// ```
/// use tests::lincheck::{Recorder, kv::{KvInput, KvOutput}};
/// let recorder = Recorder::new();
/// let pending = recorder.invoke(0, KvInput::get("k"));
/// // ... the clerk's RPC runs here ...
/// pending.complete(KvOutput::new(""));
/// assert_eq!(recorder.history().ops.len(), 1);
/// ```
pub struct Recorder<I, O> {
    inner: Arc<Mutex<History<I, O>>>,
}

impl<I, O> Clone for Recorder<I, O> {
    fn clone(&self) -> Self {
        Recorder {
            inner: self.inner.clone(),
        }
    }
}

impl<I, O> Default for Recorder<I, O> {
    fn default() -> Self {
        Recorder::new()
    }
}

/// An operation that has been called and not yet returned. Finish it with
/// [`Pending::complete`] or [`Pending::unknown`]; one that is dropped is left out of the history,
/// which is right only if it cannot have reached the object.
#[must_use = "finish the operation with complete() or unknown(), or it is not recorded"]
pub struct Pending<I, O> {
    recorder: Recorder<I, O>,
    client: usize,
    input: I,
    call: u64,
}

impl<I, O> Recorder<I, O> {
    pub fn new() -> Recorder<I, O> {
        Recorder {
            inner: Arc::new(Mutex::new(History::default())),
        }
    }

    /// Takes the next logical stamp, noting the current virtual time.
    fn stamp(history: &mut History<I, O>) -> u64 {
        let stamp = history.virtual_times.len() as u64;
        history.virtual_times.push(labrpc::sim::elapsed());
        stamp
    }

    /// Stamps the call of an operation by `client`.
    pub fn invoke(&self, client: usize, input: I) -> Pending<I, O> {
        let call = Self::stamp(&mut self.inner.lock().unwrap());
        Pending {
            recorder: self.clone(),
            client,
            input,
            call,
        }
    }

    /// Adds an instant annotation (e.g. `("crash", "S2 crashed")`) at the current logical time.
    pub fn annotate(&self, tag: &str, text: &str) {
        let mut history = self.inner.lock().unwrap();
        let at = Self::stamp(&mut history);
        history.annotations.push(Annotation {
            tag: tag.to_string(),
            text: text.to_string(),
            start: at,
            end: at,
        });
    }

    /// Starts an annotation that lasts until [`Span::end`] (e.g. a network partition).
    pub fn begin_span(&self, tag: &str, text: &str) -> Span<I, O> {
        let start = Self::stamp(&mut self.inner.lock().unwrap());
        Span {
            recorder: self.clone(),
            tag: tag.to_string(),
            text: text.to_string(),
            start,
        }
    }

    /// Number of operations recorded so far.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap().ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of everything recorded so far.
    pub fn history(&self) -> History<I, O>
    where
        I: Clone,
        O: Clone,
    {
        self.inner.lock().unwrap().clone()
    }

    fn finish(&self, pending: Pending<I, O>, output: O, unknown: bool) {
        let mut history = self.inner.lock().unwrap();
        let ret = if unknown {
            NEVER_RETURNED
        } else {
            Self::stamp(&mut history)
        };
        history.ops.push(Operation {
            client: pending.client,
            input: pending.input,
            output,
            call: pending.call,
            ret,
        });
    }
}

impl<I, O> Pending<I, O> {
    /// Stamps the return: the operation took effect between its call and now, with this output.
    pub fn complete(self, output: O) {
        let recorder = self.recorder.clone();
        recorder.finish(self, output, false);
    }

    /// Records the operation with an unknown outcome: it may take effect at any time after its
    /// call, or never. `output` must be what the model accepts as "no answer known" (e.g.
    /// [`RegisterOutput::Unknown`](super::register::RegisterOutput::Unknown)).
    pub fn unknown(self, output: O) {
        let recorder = self.recorder.clone();
        recorder.finish(self, output, true);
    }
}

/// An annotation in progress; see [`Recorder::begin_span`].
#[must_use = "end the span with end()"]
pub struct Span<I, O> {
    recorder: Recorder<I, O>,
    tag: String,
    text: String,
    start: u64,
}

impl<I, O> Span<I, O> {
    pub fn end(self) {
        let mut history = self.recorder.inner.lock().unwrap();
        let end = Recorder::stamp(&mut history);
        history.annotations.push(Annotation {
            tag: self.tag,
            text: self.text,
            start: self.start,
            end,
        });
    }
}
