//! How long the simulator thread spent blocked in real time. In a paused-clock runtime the thread
//! never waits for anything legitimately: when every task waits, virtual time jumps ahead. So
//! time the thread spends asleep in the kernel is lab code blocking it (`std::thread::sleep`, a
//! `std::sync` lock or channel, blocking I/O). The test still passes, only slower, which is why a
//! student deserves a word about it.
//!
//! The watchdog thread samples the simulator thread's scheduler state from `/proc` on every tick
//! (about 10 times a second): nothing is added to the simulator's own path, so its speed and its
//! determinism are untouched. A tick counts as blocked when the thread was asleep at both of its
//! ends, which keeps brief waits (a contended lock on the output) out of the total. Linux only;
//! elsewhere nothing is measured and nothing is said.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Real time blocked in one run beyond which the test prints its warning.
pub const WARN_AFTER: Duration = Duration::from_secs(1);

/// The real blocking a test that grades speed allows (see `sim::limit_real_blocking`), shared
/// by the simulator thread, which sets it, and the watchdog, which measures against it.
#[derive(Debug, Default)]
pub struct Budget {
    /// Nanoseconds; 0: no limit.
    limit: AtomicU64,
    /// What had been measured when the limit was first passed.
    exceeded: Mutex<Option<Blocked>>,
}

impl Budget {
    /// Sets the limit, or lowers it: a limit once set is never raised.
    pub fn set(&self, limit: Duration) {
        let nanos = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX).max(1);
        let _ = (self.limit).fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
            (old == 0 || nanos < old).then_some(nanos)
        });
    }

    pub fn limit(&self) -> Option<Duration> {
        match self.limit.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// Records `blocked` if it passes the limit (the first time only).
    pub fn measure(&self, blocked: Blocked) {
        if self.limit().is_some_and(|limit| blocked.total() > limit) {
            self.exceeded.lock().unwrap().get_or_insert(blocked);
        }
    }

    /// The failure message, once the limit has been passed.
    pub fn exceeded(&self) -> Option<String> {
        let blocked = (*self.exceeded.lock().unwrap())?;
        let limit = self.limit()?;
        Some(format!(
            "this test grades speed, and lab code blocked the simulator thread for {:.2} s of real \
             time, more than the {:.1} s it allows: virtual time stands still while the thread is \
             blocked, so the speed the test measured is not the speed your code has. Likely cause: \
             {}",
            blocked.total().as_secs_f64(),
            limit.as_secs_f64(),
            likely_cause(blocked.main_cause())
        ))
    }
}

/// Real time the thread spent blocked, and in what (the cause it spent longest in).
#[derive(Debug, Clone, Copy, Default)]
pub struct Blocked {
    sleep: Duration,
    sync_wait: Duration,
    other: Duration,
}

impl Blocked {
    pub fn add(&mut self, time: Duration, cause: Cause) {
        *match cause {
            Cause::Sleep => &mut self.sleep,
            Cause::SyncWait => &mut self.sync_wait,
            Cause::Other => &mut self.other,
        } += time;
    }

    pub fn total(&self) -> Duration {
        self.sleep + self.sync_wait + self.other
    }

    /// The cause the thread spent longest blocked in.
    pub fn main_cause(&self) -> Cause {
        let causes = [
            (self.sleep, Cause::Sleep),
            (self.sync_wait, Cause::SyncWait),
            (self.other, Cause::Other),
        ];
        causes
            .iter()
            .max_by_key(|(time, _)| *time)
            .map_or(Cause::Other, |&(_, c)| c)
    }
}

/// The `/proc` entry of one thread.
pub(crate) struct ThreadProbe {
    dir: PathBuf,
}

/// What a blocked thread was waiting in, as far as the kernel says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A sleep system call: `std::thread::sleep`.
    Sleep,
    /// A futex: a `std::sync` lock, condition variable, channel or thread join.
    SyncWait,
    /// Anything else (blocking I/O), or the kernel does not say.
    Other,
}

impl ThreadProbe {
    /// The calling thread's entry, if this system has `/proc/thread-self`.
    pub fn current_thread() -> Option<ThreadProbe> {
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        Some(ThreadProbe {
            dir: PathBuf::from("/proc").join(link),
        })
    }

    /// Whether the thread is asleep in the kernel (`S` or `D` in its stat line); `None` if the
    /// thread is gone or the line cannot be read.
    pub fn asleep(&self) -> Option<bool> {
        let stat = std::fs::read_to_string(self.dir.join("stat")).ok()?;
        // The command name, in parentheses, may hold spaces: the state follows the last `)`.
        let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
        Some(matches!(state, 'S' | 'D'))
    }

    /// What the thread is waiting in, from the kernel function it sleeps in.
    pub fn cause(&self) -> Cause {
        let wchan = std::fs::read_to_string(self.dir.join("wchan")).unwrap_or_default();
        if wchan.contains("nanosleep") {
            Cause::Sleep
        } else if wchan.contains("futex") {
            Cause::SyncWait
        } else {
            Cause::Other
        }
    }
}

/// The warning for a run whose thread was blocked for `blocked`, mostly in `cause`: one line
/// starting `labrpc: warning: ` (tools look for that prefix).
pub fn warning(test: &str, seed: u64, blocked: Duration, cause: Cause) -> String {
    format!(
        "labrpc: warning: test `{test}` (seed {seed}) blocked the simulator thread for {:.1} s of \
         real time; virtual time stands still meanwhile, so the test only got slower. Likely \
         cause: {}",
        blocked.as_secs_f64(),
        likely_cause(cause)
    )
}

fn likely_cause(cause: Cause) -> &'static str {
    match cause {
        Cause::Sleep => "std::thread::sleep in lab code (use tokio::time::sleep)",
        Cause::SyncWait => {
            "waiting on a std::sync lock, channel or thread in lab code (use tokio::sync, \
             and tasks from labrpc::spawn)"
        }
        Cause::Other => {
            "a blocking call in lab code: std::thread::sleep, a std::sync wait, or blocking file \
             or network I/O (use tokio::time::sleep and the async equivalents)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleeping_thread_is_seen_asleep_in_a_sleep_call() {
        let Some(me) = ThreadProbe::current_thread() else {
            return; // not Linux: nothing to check
        };
        assert_eq!(me.asleep(), Some(false), "this thread is running");
        let (tx, rx) = std::sync::mpsc::channel();
        let sleeper = std::thread::spawn(move || {
            tx.send(ThreadProbe::current_thread().unwrap()).unwrap();
            #[allow(clippy::disallowed_methods)] // the very call to detect
            std::thread::sleep(Duration::from_millis(500));
        });
        let probe = rx.recv().unwrap();
        #[allow(clippy::disallowed_methods)] // give the other thread time to fall asleep
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(probe.asleep(), Some(true));
        let cause = probe.cause();
        // Kernels that hide their symbols say nothing about where a thread sleeps.
        assert!(matches!(cause, Cause::Sleep | Cause::Other), "{cause:?}");
        sleeper.join().unwrap();
    }

    #[test]
    fn a_budget_is_exceeded_once_past_its_limit_and_says_so() {
        let mut blocked = Blocked::default();
        blocked.add(Duration::from_millis(800), Cause::Sleep);
        let budget = Budget::default();
        budget.measure(blocked);
        assert_eq!(budget.exceeded(), None, "no limit set");
        budget.set(Duration::from_secs(1));
        budget.measure(blocked);
        assert_eq!(budget.exceeded(), None, "within the limit");
        blocked.add(Duration::from_millis(300), Cause::Sleep);
        budget.measure(blocked);
        blocked.add(Duration::from_secs(5), Cause::SyncWait);
        budget.measure(blocked);
        let message = budget.exceeded().expect("past the limit");
        assert!(
            message.starts_with("this test grades speed, and lab code blocked the simulator thread for 1.10 s of real time, more than the 1.0 s it allows"),
            "{message}"
        );
        assert!(message.contains("std::thread::sleep"), "{message}");
    }

    #[test]
    fn the_warning_is_one_line_with_the_prefix_tools_look_for() {
        let line = warning("t", 7, Duration::from_millis(1500), Cause::Sleep);
        assert!(line.starts_with("labrpc: warning: test `t` (seed 7) blocked"));
        assert!(line.contains("for 1.5 s of real time"), "{line}");
        assert!(line.contains("std::thread::sleep") && !line.contains('\n'));
    }
}
