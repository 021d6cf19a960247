//! The state of one simulated run, kept in a thread-local: the whole cluster runs on the test's
//! thread (a current-thread runtime), so nothing here is ever touched from another thread.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use super::blocked::Budget;
use super::margin::Shares;
use super::scenario::Scenario;
use super::seed;
use super::trace::{Record, Trace};
use crate::clock::Skew;
use crate::view::{self, Micros, Recording};

pub(crate) struct World {
    pub seed: u64,
    start: Cell<Option<Instant>>,
    stopped: Cell<Option<Duration>>,
    pub harness_rng: RefCell<ChaCha8Rng>,
    /// Decides the order of ready tasks (see `interleave`).
    scheduler_rng: RefCell<ChaCha8Rng>,
    pub trace: RefCell<Trace>,
    /// What the run's view is drawn from, when the run records one.
    pub view: Option<RefCell<Recording>>,
    failure: RefCell<Option<String>>,
    /// When the first failure was reported, and by which machine's code (none: the harness).
    pub failed_at: RefCell<Option<(Micros, Option<Arc<str>>)>>,
    pub failed: Notify,
    incarnations: RefCell<HashMap<String, u64>>,
    streams: Cell<u64>,
    /// Bumped every 100 ms of virtual time; the watchdog thread reads it.
    pub heartbeat: Arc<AtomicU64>,
    /// The largest share of each bound the test used (see `margin`).
    pub bounds: RefCell<Shares>,
    /// The events the harness says the run made happen (see `scenario`).
    pub scenario: RefCell<Scenario>,
    /// What to release when the run ends (see `at_teardown`).
    teardown: RefCell<Vec<Box<dyn FnOnce()>>>,
    /// The bounds of the nodes' clocks (`clock::set_skew`), and each node's clock once read.
    clock_bounds: Cell<Option<(Duration, u32)>>,
    clocks: RefCell<HashMap<Arc<str>, Skew>>,
    /// The real blocking the test allows, if it grades speed; the watchdog measures against it.
    pub blocking: Arc<Budget>,
    /// Whether logging was on when the run started (before any lab code ran).
    pub logging: Cell<bool>,
}

thread_local! {
    static WORLD: RefCell<Option<Rc<World>>> = const { RefCell::new(None) };
}

impl World {
    pub fn new(seed: u64, record: bool, view: Option<Recording>) -> World {
        World {
            seed,
            start: Cell::new(None),
            stopped: Cell::new(None),
            harness_rng: RefCell::new(seed::stream(seed, "harness", 0)),
            scheduler_rng: RefCell::new(seed::stream(seed, "scheduler", 0)),
            trace: RefCell::new(Trace::new(record)),
            view: view.map(RefCell::new),
            failure: RefCell::new(None),
            failed_at: RefCell::new(None),
            failed: Notify::new(),
            incarnations: RefCell::new(HashMap::new()),
            streams: Cell::new(0),
            heartbeat: Arc::new(AtomicU64::new(0)),
            bounds: RefCell::new(Shares::new()),
            scenario: RefCell::default(),
            teardown: RefCell::new(Vec::new()),
            clock_bounds: Cell::new(None),
            clocks: RefCell::new(HashMap::new()),
            blocking: Arc::default(),
            logging: Cell::new(false),
        }
    }

    /// Sets the bounds of the nodes' clocks; clocks already read keep their skew.
    pub fn set_clock_skew(&self, max_offset: Duration, max_drift_ppm: u32) {
        self.clock_bounds.set(Some((max_offset, max_drift_ppm)));
    }

    /// Node `name`'s clock error: none without bounds, else drawn once from its own stream.
    pub fn clock_of(&self, name: &Arc<str>) -> Skew {
        let Some((offset, drift)) = self.clock_bounds.get() else {
            return Skew::default();
        };
        *(self.clocks.borrow_mut())
            .entry(name.clone())
            .or_insert_with(|| Skew::draw(self.seed, name, offset, drift))
    }

    /// Marks virtual time zero; called on the runtime, before the test body starts.
    pub fn start_clock(&self) {
        self.start.set(Some(Instant::now()));
    }

    /// Freezes the run's virtual duration (the first call wins) and returns it. Must be called on
    /// the runtime: outside it, tokio's clock reads real time.
    pub fn stop_clock(&self) -> Duration {
        if self.stopped.get().is_none() {
            self.stopped.set(Some(self.elapsed()));
        }
        self.stopped.get().unwrap_or_default()
    }

    /// Virtual time since the body started (frozen once the run is over).
    pub fn elapsed(&self) -> Duration {
        if let Some(stopped) = self.stopped.get() {
            return stopped;
        }
        self.start.get().map_or(Duration::ZERO, |s| s.elapsed())
    }

    /// Records the first failure of the run and wakes the runner, which ends the test with it.
    pub fn fail(&self, message: String) {
        let mut slot = self.failure.borrow_mut();
        if slot.is_none() {
            *slot = Some(message);
            let at = self.elapsed().as_micros() as Micros;
            *self.failed_at.borrow_mut() = Some((at, super::current_node_name()));
            self.failed.notify_one();
        }
    }

    pub fn failure(&self) -> Option<String> {
        self.failure.borrow().clone()
    }

    /// A fresh random stream for a new component (a network, ...), numbered in creation order.
    pub fn new_stream(&self, label: &str) -> ChaCha8Rng {
        let n = self.streams.get();
        self.streams.set(n + 1);
        seed::stream(self.seed, label, n)
    }

    /// The next incarnation number of node `name` (0 for its first start).
    pub fn next_incarnation(&self, name: &str) -> u64 {
        let mut inc = self.incarnations.borrow_mut();
        let n = inc.entry(name.to_string()).or_insert(0);
        *n += 1;
        *n - 1
    }

    pub fn heartbeat(&self) {
        self.heartbeat.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `release` when the run ends, after its tasks are gone. Lab code builds reference
    /// cycles through the network (a server's handlers hold the service, whose ends hold the
    /// network, which holds the server); Go's collector frees them, here they would outlive the
    /// run, and `LAB_ITERS=1000` would keep a thousand clusters in memory.
    pub fn at_teardown(&self, release: Box<dyn FnOnce()>) {
        self.teardown.borrow_mut().push(release);
    }

    /// Runs the teardown hooks, newest first.
    pub fn tear_down(&self) {
        let hooks = std::mem::take(&mut *self.teardown.borrow_mut());
        for release in hooks.into_iter().rev() {
            release();
        }
    }
}

/// Installs `world` as this thread's current run until the guard is dropped.
pub(crate) fn install(world: Rc<World>) -> InstallGuard {
    view::set_recording(world.view.is_some());
    WORLD.with(|w| {
        let prev = w.borrow_mut().replace(world);
        assert!(
            prev.is_none(),
            "labrpc::sim runs cannot be nested on one thread"
        );
    });
    InstallGuard
}

pub(crate) struct InstallGuard;

impl Drop for InstallGuard {
    fn drop(&mut self) {
        view::set_recording(false);
        WORLD.with(|w| w.borrow_mut().take());
    }
}

/// The current run, if this thread is inside one.
pub(crate) fn current() -> Option<Rc<World>> {
    WORLD.with(|w| w.borrow().clone())
}

/// Adds a network event to the current run's trace and returns its number in the trace (zero
/// outside a run).
pub(crate) fn trace(record: &Record<'_>) -> u64 {
    WORLD.with(|w| {
        let Some(world) = &*w.borrow() else {
            return 0;
        };
        let micros = world.elapsed().as_micros() as u64;
        let seq = world.trace.borrow_mut().add(micros, record);
        if let Some(view) = &world.view {
            let node = super::current_node_name();
            let op = view::current_op();
            view.borrow_mut()
                .traced(micros, seq, record, node.as_deref(), op);
        }
        seq
    })
}

/// Runs `f` on the current run's view recording, with the virtual time, if the run records one.
pub(crate) fn record(f: impl FnOnce(&mut Recording, Micros)) {
    if !view::recording() {
        return;
    }
    WORLD.with(|w| {
        if let Some(world) = &*w.borrow()
            && let Some(view) = &world.view
        {
            f(
                &mut view.borrow_mut(),
                world.elapsed().as_micros() as Micros,
            );
        }
    });
}

/// Whether the task about to be polled yields first: true with chance `in_256`/256 inside a run,
/// never outside one (real processes keep tokio's own order).
pub(crate) fn draw_yield(in_256: u32) -> bool {
    WORLD.with(|w| {
        w.borrow()
            .as_ref()
            .is_some_and(|world| world.scheduler_rng.borrow_mut().next_u32() & 0xff < in_256)
    })
}

/// Fails the current run with `message`, or prints it when not inside a run.
pub(crate) fn fail(message: String) {
    match current() {
        Some(world) => world.fail(message),
        None => eprintln!("labrpc: {message}"),
    }
}
