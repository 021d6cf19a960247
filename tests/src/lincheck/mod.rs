//! Linearizability checking: the oracle of the KV labs.
//!
//! A test records a [`History`] with a [`Recorder`] while clients run: every operation's input,
//! output, and the logical times of its call and return. [`check`] then searches for an order of
//! the operations that respects real time (an operation that returned before another was called
//! comes first) and that a sequential [`Model`] of the object accepts. The search is porcupine's
//! (Wing & Gong's algorithm with Lowe's cache of explored configurations), run separately on each
//! independent partition of the history (each key of a KV store).
//!
//! The answer is tri-state: [`Verdict::Ok`], [`Verdict::Illegal`], or [`Verdict::Unknown`] when
//! the timeout ran out first. Lab tests call [`assert_linearizable`], which fails the test on
//! `Illegal` *and* on `Unknown`, and writes an HTML timeline of the history ([`timeline`]).
//!
//! ```
//! use tests::lincheck::{self, History, Operation, Verdict, kv::{KvInput, KvModel, KvOutput}};
//! let op = |client, input, output: &str, call, ret| Operation {
//!     client, input, output: KvOutput::new(output), call, ret,
//! };
//! let history = History {
//!     ops: vec![
//!         op(0, KvInput::put("k", "a"), "", 0, 1),
//!         op(1, KvInput::get("k"), "", 2, 3), // reads "" after the put returned: stale
//!     ],
//!     ..History::default()
//! };
//! assert_eq!(lincheck::check(&KvModel, &history, None).verdict, Verdict::Illegal);
//! ```

mod bitset;
mod check;
pub mod formats;
pub mod generate;
mod hash_index;
mod history;
pub mod kv;
pub mod kv_whole;
mod model;
pub mod register;
mod report;
mod search;
mod sort;
pub mod timeline;
pub(crate) mod timeline_files;

pub use check::{CheckResult, PartitionResult, Verdict, check};
pub use history::{Annotation, History, NEVER_RETURNED, Operation, Pending, Recorder, Span};
pub use model::{Model, Partition};
pub use report::{LAB_TIMEOUT, assert_linearizable, assert_linearizable_within};
