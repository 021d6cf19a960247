//! Nodes: a simulated machine is the set of tasks spawned on its behalf. Crashing it aborts every
//! one of them at once, the way a process dies, so a crashed instance can never run again.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha8Rng;
use tokio::task::{AbortHandle, JoinHandle};

use super::task::{SimTask, enter};
use super::trace::{Event, Record};
use super::world;

pub(crate) struct NodeInner {
    pub(super) name: Arc<str>,
    pub rng: Mutex<ChaCha8Rng>,
    tasks: Mutex<Tasks>,
    crashed: AtomicBool,
}

#[derive(Default)]
struct Tasks {
    next_key: u64,
    live: HashMap<u64, AbortHandle>,
}

/// A simulated machine: a name, its own random stream, and the tasks running on it.
///
/// The harness creates one per server start. Work started through [`Node::spawn`] or
/// [`Node::enter`], and everything those tasks spawn with [`crate::spawn`], belongs to the node;
/// RPC handlers of a [`Server`](crate::Server) created inside the node run on it too.
/// [`Node::crash`] aborts all of it.
#[derive(Clone)]
pub struct Node {
    inner: Arc<NodeInner>,
}

impl Node {
    /// Starts a new incarnation of the machine called `name` (e.g. `"S1"`), with a random stream
    /// derived from the run's seed, the name and the incarnation number.
    pub fn new(name: &str) -> Node {
        let rng = match world::current() {
            Some(w) => {
                let incarnation = w.next_incarnation(name);
                world::record(|r, at| r.machine_started(at, name, incarnation));
                super::seed::stream(w.seed, name, incarnation)
            }
            None => super::seed::stream(rand::random(), name, 0),
        };
        Node {
            inner: Arc::new(NodeInner {
                name: name.into(),
                rng: Mutex::new(rng),
                tasks: Mutex::new(Tasks::default()),
                crashed: AtomicBool::new(false),
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub(crate) fn from_inner(inner: Arc<NodeInner>) -> Node {
        Node { inner }
    }

    pub(crate) fn inner(&self) -> &Arc<NodeInner> {
        &self.inner
    }

    /// Runs `f` as this node: tasks it spawns and servers it creates belong to the node.
    pub fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        let _entered = enter(Some(self.inner.clone()));
        f()
    }

    /// Spawns `fut` as a task of this node.
    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(Some(&self.inner), fut)
    }

    /// Aborts every task of this node; none of them is polled again. Spawning on a crashed node
    /// starts nothing.
    pub fn crash(&self) {
        self.inner.crashed.store(true, Ordering::SeqCst);
        let live = std::mem::take(&mut self.inner.tasks.lock().unwrap().live);
        for handle in live.values() {
            handle.abort();
        }
        world::trace(&Record {
            event: Event::Crash,
            call: 0,
            end: u64::MAX,
            end_name: "",
            target: &self.inner.name,
            method: "",
            len: live.len(),
            payload: None,
        });
    }

    pub fn is_crashed(&self) -> bool {
        self.inner.crashed.load(Ordering::SeqCst)
    }

    /// Number of this node's tasks that have not finished.
    pub fn live_tasks(&self) -> usize {
        self.inner.tasks.lock().unwrap().live.len()
    }
}

/// Removes a finished (or aborted) task from its node's live set.
pub(crate) struct Registration {
    node: Arc<NodeInner>,
    key: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.node.tasks.lock().unwrap().live.remove(&self.key);
    }
}

/// Spawns `fut` on `node` (or as a harness task when `None`). A panic in the task fails the run
/// with the node's name and the panic message, then propagates to the task's `JoinHandle`.
pub(crate) fn spawn_on<F>(node: Option<&Arc<NodeInner>>, fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let Some(node) = node else {
        return tokio::spawn(SimTask::new(None, None, fut));
    };
    let key = {
        let mut tasks = node.tasks.lock().unwrap();
        tasks.next_key += 1;
        tasks.next_key
    };
    let registration = Registration {
        node: node.clone(),
        key,
    };
    let handle = tokio::spawn(SimTask::new(Some(node.clone()), Some(registration), fut));
    if node.crashed.load(Ordering::SeqCst) {
        handle.abort();
    } else {
        // Registering after the spawn is safe: on the current-thread runtime the task cannot run
        // (and deregister) before this function returns. The lock is not held across the spawn,
        // because a runtime that is shutting down drops the future (and its registration) at once.
        let mut tasks = node.tasks.lock().unwrap();
        tasks.live.insert(key, handle.abort_handle());
    }
    handle
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}
