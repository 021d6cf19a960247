//! The simulator's task: one wrapper around every future spawned through `labrpc`, doing what
//! each poll needs in one place (a single layer keeps the task small, and spawning cheap):
//!
//! - the seed decides whether the task first yields to the other ready tasks (see `interleave`);
//! - the task's node is the current node while it is polled, so what it spawns, the servers it
//!   creates, its random numbers and its log lines belong to that node;
//! - a panic fails the run, naming the node, before it unwinds into tokio.

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::node::{NodeInner, Registration, panic_message};
use super::{interleave, world};

thread_local! {
    /// The node whose code is running: the polled task's, or the one [`enter`] set.
    static CURRENT: RefCell<Option<Arc<NodeInner>>> = const { RefCell::new(None) };
}

/// The node of the running code, if any (none for the harness and the network).
pub(crate) fn current_node() -> Option<Arc<NodeInner>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Name of the node of the running code, for log lines.
pub(crate) fn current_node_name() -> Option<Arc<str>> {
    CURRENT.with(|c| c.borrow().as_ref().map(|n| n.name.clone()))
}

/// Makes `node` the current node until the guard is dropped (also when unwinding).
pub(crate) fn enter(node: Option<Arc<NodeInner>>) -> Entered {
    Entered(CURRENT.with(|c| c.replace(node)))
}

pub(crate) struct Entered(Option<Arc<NodeInner>>);

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// A future as the simulator runs it.
pub(crate) struct SimTask<F> {
    node: Option<Arc<NodeInner>>,
    /// Removes the task from its node's live set when the task ends or is aborted.
    _registration: Option<Registration>,
    fut: F,
}

impl<F> SimTask<F> {
    pub fn new(node: Option<Arc<NodeInner>>, registration: Option<Registration>, fut: F) -> Self {
        SimTask {
            node,
            _registration: registration,
            fut,
        }
    }
}

impl<F: Future> Future for SimTask<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if interleave::yield_first() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        // SAFETY: `fut` is structurally pinned: it is only ever reached through this pinned
        // projection, never moved, and `SimTask` has no `Drop` of its own that could move it.
        let this = unsafe { self.get_unchecked_mut() };
        let fut = unsafe { Pin::new_unchecked(&mut this.fut) };
        let _entered = enter(this.node.clone());
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                let who = this.node.as_ref().map_or_else(
                    || "the test harness".to_string(),
                    |n| format!("node {}", n.name),
                );
                world::fail(format!(
                    "a task of {who} panicked: {}",
                    panic_message(payload.as_ref())
                ));
                std::panic::resume_unwind(payload)
            }
        }
    }
}
