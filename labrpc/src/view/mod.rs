//! Run views: one self-contained HTML file per simulated run, drawing its servers and clients as
//! lanes over virtual time, every RPC as an arrow between them, crashes, restarts, partitions, the
//! servers' state, their log lines, the harness's notes, and the failing check.
//!
//! A run records what its view needs only when asked; recording off costs one thread-local flag
//! test per hook (docs/PERFORMANCE.md). `LAB_VIEW` decides:
//! - unset (or `failure`): a run that fails is run again from its seed with recording on, which
//!   replays it exactly, and the failure names the view's file next to the replay command;
//! - `1` (or `always`): every run records and writes its view;
//! - `0` (or `never`): no view (the course's grader and suite check run this way).
//!
//! Views go to `target/run-views/` (the Cargo target directory of the test binary), or to
//! `LAB_VIEW_DIR`; only the 20 newest views are kept there, and only files written as views are
//! ever removed.
//!
//! What lab code adds: [`state!`](crate::state) annotations, one track per server and name, which
//! the view shows at every moment. The harness adds [`note`]s and client operations ([`begin_op`]).

mod files;
mod page;
pub(crate) mod payload;
mod reach;
mod recording;

use std::cell::Cell;
use std::future::Future;
use std::path::{Path, PathBuf};

pub use files::file_name;
pub(crate) use files::{default_dir, write};
pub(crate) use page::{Outcome, render};
pub(crate) use recording::{Micros, Recording};

use crate::sim::world;

/// The environment variable that chooses when runs record their view.
pub const ENV: &str = "LAB_VIEW";
/// The environment variable naming the directory views are written to.
pub const DIR_ENV: &str = "LAB_VIEW_DIR";

/// Characters of a message's arguments or reply kept for the view.
const PAYLOAD_CHARS: usize = 160;

/// When a run records its view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Never (`LAB_VIEW=0`).
    Never,
    /// When a run fails, replay its seed with recording on (the default).
    OnFailure,
    /// Every run (`LAB_VIEW=1`).
    Always,
}

impl Mode {
    /// The mode `LAB_VIEW` asks for.
    pub fn from_env() -> Mode {
        match std::env::var(ENV).as_deref().map(str::trim) {
            Err(_) | Ok("" | "failure") => Mode::OnFailure,
            Ok("1" | "always") => Mode::Always,
            Ok("0" | "never") => Mode::Never,
            Ok(other) => panic!(
                "{ENV} must be 1 (every run writes its view), 0 (no views) or failure (the \
                 default: a failing run is replayed to write its view), not `{other}`"
            ),
        }
    }
}

thread_local! {
    /// Whether the run on this thread records its view: the one test every hook starts with.
    static RECORDING: Cell<bool> = const { Cell::new(false) };
    /// The client operation whose future is being polled (see [`Op::scope`]).
    static CURRENT_OP: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Whether the current run records its view (false outside a run).
pub fn recording() -> bool {
    RECORDING.with(Cell::get)
}

pub(crate) fn set_recording(on: bool) {
    RECORDING.with(|r| r.set(on));
}

pub(crate) fn current_op() -> Option<u32> {
    CURRENT_OP.with(Cell::get)
}

/// Shows a value of the calling server's state in the run view, on the track `TRACK`, from now
/// until the next value: `labrpc::state!(RAFT, "T{term} {role} commit {commit} last {last}")`.
///
/// The text is formatted only while the run records its view, so the call costs nothing
/// otherwise; repeating the current value adds nothing. The view colours a value by its first word
/// without digits, so `T5 leader` and `T6 leader` share a colour and `T6 follower` does not.
#[macro_export]
macro_rules! state {
    ($track:ident, $($arg:tt)+) => {
        if $crate::view::recording() {
            $crate::view::state_text(stringify!($track), &format!($($arg)+));
        }
    };
}

/// What [`state!`](crate::state) records.
#[doc(hidden)]
pub fn state_text(track: &str, text: &str) {
    let node = crate::sim::current_node_name();
    world::record(|r, at| r.state(at, node.as_deref(), track, text));
}

/// Marks something the harness did on the view (`note("partition", || "S0 S1 | S2".into())`),
/// on the lane of the machine running the code, or the tester's.
pub fn note(kind: &str, text: impl FnOnce() -> String) {
    if recording() {
        let node = crate::sim::current_node_name();
        let text = text();
        world::record(|r, at| r.note(at, node.as_deref(), kind, &text));
    }
}

/// A client operation on the view: a bar on the lane `client <n>` from its call to its return,
/// and the RPCs sent while its future runs ([`Op::scope`]) come from that lane.
#[must_use = "run the operation in scope() and finish it with end()"]
pub struct Op(Option<u32>);

/// Starts a client operation of `client`, described by `call` (`Get("k")`).
pub fn begin_op(client: usize, call: impl FnOnce() -> String) -> Op {
    if !recording() {
        return Op(None);
    }
    let text = call();
    let mut id = None;
    world::record(|r, at| id = Some(r.op_begin(at, client as u64, &text)));
    Op(id)
}

impl Op {
    /// Runs `fut` as this operation: RPCs it sends are drawn from the operation's lane.
    pub async fn scope<F: Future>(&self, fut: F) -> F::Output {
        let Some(id) = self.0 else {
            return fut.await;
        };
        let mut fut = std::pin::pin!(fut);
        std::future::poll_fn(|cx| {
            let outer = CURRENT_OP.with(|c| c.replace(Some(id)));
            let poll = fut.as_mut().poll(cx);
            CURRENT_OP.with(|c| c.set(outer));
            poll
        })
        .await
    }

    /// The operation returned `result` (`"x 0 1 y"`).
    pub fn end(self, result: impl FnOnce() -> String) {
        if let Some(id) = self.0 {
            let text = result();
            world::record(|r, at| r.op_end(id, at, &text));
        }
    }
}

/// Links another file about this run (a failing check's page) from its view.
pub fn attach(label: &str, path: &Path) {
    attach_file(label, path, false);
}

/// Links the run's linearizability timeline from its view; the view's client operations then
/// link to theirs on the timeline (`#client=<n>&t=<µs>`).
pub fn attach_timeline(path: &Path) {
    attach_file("linearizability timeline", path, true);
}

fn attach_file(label: &str, path: &Path, timeline: bool) {
    if recording() {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        world::record(|r, _| {
            r.attachments.push(recording::Attachment {
                label: label.to_string(),
                path,
                timeline,
            })
        });
    }
}

/// Where the current run's view is written when the run ends, if it records one.
pub fn file() -> Option<PathBuf> {
    let mut path = None;
    world::record(|r, _| path = Some(r.path.clone()));
    path
}

/// The handler of `call` returned `reply`: the view shows it from now on the way back.
pub(crate) fn replied<T: serde::Serialize + ?Sized>(call: u64, reply: &T) {
    let text = payload::describe(reply, PAYLOAD_CHARS);
    world::record(|r, at| r.replied(call, at, Some(text)));
}

/// The arguments of a call, as text for the view, when the run records one.
pub(crate) fn payload<T: serde::Serialize + ?Sized>(value: &T) -> Option<String> {
    recording().then(|| payload::describe(value, PAYLOAD_CHARS))
}
