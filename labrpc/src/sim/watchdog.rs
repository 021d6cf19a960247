//! The wall-clock watchdog. Virtual time only advances when every task is waiting, so code that
//! blocks the simulator thread (a `std::thread::sleep`, a `std::sync::Mutex` taken twice, a loop
//! that never reaches an `.await`) would hang the test forever. A plain thread watches the run's
//! heartbeat and, when virtual time has not moved for too long, explains the likely cause and ends
//! the test process: a blocked thread cannot be unblocked, only abandoned.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub(crate) struct Watchdog {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The exit status of a test process ended by the watchdog (libtest uses 101 for failures).
pub const EXIT_STATUS: i32 = 101;

impl Watchdog {
    /// Starts watching `heartbeat`; `report` is printed if it stalls for `limit` of wall time.
    pub fn start(heartbeat: Arc<AtomicU64>, limit: Duration, report: String) -> Watchdog {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("labrpc-watchdog".into())
            .spawn(move || {
                let mut last = heartbeat.load(Ordering::Relaxed);
                let mut since = Instant::now();
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::park_timeout(Duration::from_millis(100).min(limit));
                    let now = heartbeat.load(Ordering::Relaxed);
                    if now != last {
                        last = now;
                        since = Instant::now();
                    } else if since.elapsed() >= limit && !stopped.load(Ordering::Relaxed) {
                        print_uncaptured(&report);
                        std::process::exit(EXIT_STATUS);
                    }
                }
            })
            .expect("cannot start the labrpc watchdog thread");
        Watchdog {
            stop,
            thread: Some(thread),
        }
    }
}

/// Writes straight to the process's standard error. `eprintln!` would go into libtest's capture
/// buffer (this thread inherits the test's), which is lost when the process exits: under a plain
/// `cargo test`, or in a tool's log, the student would see no test name, seed or replay command.
fn print_uncaptured(report: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{report}");
    let _ = stderr.flush();
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}
