//! The wall-clock watchdog. Virtual time only advances when every task is waiting, so code that
//! blocks the simulator thread (a `std::thread::sleep`, a `std::sync::Mutex` taken twice, a loop
//! that never reaches an `.await`) would hang the test forever. A plain thread watches the run's
//! heartbeat and, when virtual time has not moved for too long, explains the likely cause and ends
//! the test process: a blocked thread cannot be unblocked, only abandoned. On the same ticks it
//! measures how long the simulator thread was blocked (see `blocked`), for a warning about
//! blocking that did not last long enough to stop the test.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::blocked::{Blocked, Budget, ThreadProbe};

pub(crate) struct Watchdog {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    blocked: Arc<Mutex<Blocked>>,
}

/// The exit status of a test process ended by the watchdog (libtest uses 101 for failures).
pub const EXIT_STATUS: i32 = 101;

impl Watchdog {
    /// Starts watching `heartbeat`, which the calling thread (the simulator's) advances; `report`
    /// is printed if it stalls for `limit` of wall time. The blocked time measured goes to
    /// `budget` as it grows.
    // Real time is what the watchdog measures: it watches the simulator from outside.
    #[allow(clippy::disallowed_methods)]
    pub fn start(
        heartbeat: Arc<AtomicU64>,
        limit: Duration,
        report: String,
        budget: Arc<Budget>,
    ) -> Watchdog {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let blocked = Arc::new(Mutex::new(Blocked::default()));
        let measured = blocked.clone();
        let simulator = ThreadProbe::current_thread();
        let thread = std::thread::Builder::new()
            .name("labrpc-watchdog".into())
            .spawn(move || {
                let mut last = heartbeat.load(Ordering::Relaxed);
                let mut since = Instant::now();
                let (mut last_tick, mut was_asleep) = (since, false);
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::park_timeout(Duration::from_millis(100).min(limit));
                    if stopped.load(Ordering::Relaxed) {
                        // Woken by `finish`, whose caller now waits for this thread: not blocking.
                        break;
                    }
                    let tick = Instant::now();
                    // A tick counts as blocked when the thread slept at both of its ends.
                    if let Some(probe) = &simulator {
                        let asleep = probe.asleep() == Some(true);
                        if asleep && was_asleep {
                            let cause = probe.cause();
                            let mut measured = measured.lock().unwrap();
                            measured.add(tick - last_tick, cause);
                            budget.measure(*measured);
                        }
                        was_asleep = asleep;
                    }
                    last_tick = tick;
                    let now = heartbeat.load(Ordering::Relaxed);
                    if now != last {
                        last = now;
                        since = tick;
                    } else if since.elapsed() >= limit {
                        print_uncaptured(&report);
                        std::process::exit(EXIT_STATUS);
                    }
                }
            })
            .expect("cannot start the labrpc watchdog thread");
        Watchdog {
            stop,
            thread: Some(thread),
            blocked,
        }
    }

    /// Stops watching; returns how long the simulator thread was blocked meanwhile.
    pub fn finish(mut self) -> Blocked {
        self.stop_thread();
        *self.blocked.lock().unwrap()
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// Writes straight to the process's standard error (also the blocked-thread warning, which
/// must reach a student whose test passes). `eprintln!` would go into libtest's capture
/// buffer (this thread inherits the test's), which is lost when the process exits: under a plain
/// `cargo test`, or in a tool's log, the student would see no test name, seed or replay command.
pub(crate) fn print_uncaptured(report: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{report}");
    let _ = stderr.flush();
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop_thread();
    }
}
