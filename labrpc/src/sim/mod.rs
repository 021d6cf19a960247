//! The deterministic runtime every graded test of Labs 2-5 runs on.
//!
//! A test calls [`run`] (or a [`Builder`]) with its name and an async body. The body runs on a
//! current-thread tokio runtime whose clock is paused: virtual time jumps ahead whenever every task
//! is waiting, so a test that sleeps for a minute finishes in milliseconds, and the run is a pure
//! function of its seed.
//!
//! Environment:
//! - `LAB_SEED=<u64>` replays a run exactly (a failing test prints its seed and rerun command).
//! - `LAB_ITERS=<n>` runs n seeds, starting at `LAB_SEED` (or a random one).
//! - `LAB_CHECK_DETERMINISM=1` runs every seed twice and compares the network event traces,
//!   reporting the first event where they differ.
//! - `LAB_WATCHDOG_SECS=<s>` sets how long the simulator thread may be stuck (default 30 s).
//! - `LAB_REPORT=<file>` appends each seed's outcome and virtual time to a file, for tools.
//! - `LAB_GRADER_EVIDENCE=1`: a grader's secret waits on stdin (see [`crate::grading`]).
//! - `LAB_VIEW=1|0` writes every run's view, or none; by default a failing seed is replayed to
//!   write its view (see [`crate::view`]). `LAB_VIEW_DIR=<dir>` says where.

mod blocked;
mod interleave;
mod margin;
mod node;
mod scenario;
mod seed;
mod task;
pub(crate) mod trace;
mod watchdog;
pub(crate) mod world;

use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant as WallInstant};

pub(crate) use interleave::latency;
pub use margin::bound;
pub use node::Node;
pub(crate) use node::{panic_message, spawn_on};
pub use scenario::{Scenario, scenario};
pub use seed::derive_seed;
pub(crate) use seed::stream as seed_stream;
pub(crate) use task::{current_node, current_node_name};
pub use watchdog::EXIT_STATUS as WATCHDOG_EXIT_STATUS;
use world::World;

use crate::view;

/// The virtual-time limit of a test, as in 6.5840.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(120);
const DEFAULT_WATCHDOG: Duration = Duration::from_secs(30);
const HEARTBEAT: Duration = Duration::from_millis(100);

/// Runs `body` as the test `test` with the default limits; panics (failing the test) with the seed
/// and a rerun command if the body panics, a node task panics, or a limit is exceeded.
pub fn run<F, Fut>(test: &str, body: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    Builder::new(test).run(body)
}

/// Options of a simulated test run.
#[derive(Debug, Clone)]
pub struct Builder {
    test: String,
    package: Option<String>,
    time_limit: Duration,
    watchdog: Duration,
    seed: u64,
    iterations: u64,
    check_determinism: bool,
    view: view::Mode,
    view_dir: Option<PathBuf>,
    /// The grader's secret, taken by [`Builder::run`] before the body runs (see [`crate::grading`]).
    evidence: Option<crate::grading::Evidence>,
    /// What usually keeps this lab's tests from finishing, named when one runs out of time.
    hang_suspects: Vec<String>,
}

/// What one successful seed produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub seed: u64,
    /// Virtual time the body took.
    pub virtual_time: Duration,
    /// Digest of the network event trace: equal seeds must give equal digests.
    pub digest: u64,
    /// Number of network events traced.
    pub events: u64,
    /// The share of each bound the run used (used / limit), the time limit included (see [`bound`]).
    pub bounds: std::collections::BTreeMap<&'static str, f64>,
    /// Real time the simulator thread spent blocked (asleep in the kernel) during the run; from
    /// one second on, the test prints a warning. Measured on Linux only (zero elsewhere).
    pub blocked: Duration,
    /// The run's view, when it recorded one (see [`crate::view`]).
    pub view: Option<PathBuf>,
    /// The events the harness counted, and those the test names that did not happen.
    pub scenario: Scenario,
}

/// Why a run failed, with what is needed to replay it.
#[derive(Debug)]
pub struct Failure {
    pub seed: u64,
    pub message: String,
    pub virtual_time: Duration,
    /// The command that replays exactly this run.
    pub rerun: String,
    /// The body's own panic, re-raised by [`Builder::run`] so its message and location survive.
    pub panic: Option<Box<dyn std::any::Any + Send>>,
    /// The run's view (see [`crate::view`]).
    pub view: Option<Box<FailureView>>,
    /// Whether running the seed again replays this failure (not so for a determinism check's).
    replayable: bool,
}

/// Where the view of a failed run is, and what to know about it.
#[derive(Debug)]
pub struct FailureView {
    pub file: PathBuf,
    /// Set when the replay drawn in the view did not fail the same way.
    pub note: Option<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}\n  seed {} (failed after {:.1} s of virtual time)\n  replay: {}",
            self.message,
            self.seed,
            self.virtual_time.as_secs_f64(),
            self.rerun
        )?;
        if let Some(view) = &self.view {
            write!(
                f,
                "\n  view: {} (open it in a browser)",
                view.file.display()
            )?;
            if let Some(note) = &view.note {
                write!(f, "\n  ({note})")?;
            }
        }
        Ok(())
    }
}

impl FailureView {
    fn of(file: Option<PathBuf>, note: Option<String>) -> Option<Box<FailureView>> {
        file.map(|file| Box::new(FailureView { file, note }))
    }
}

impl Builder {
    /// A run of the test named `test` (used in messages and the rerun command).
    pub fn new(test: &str) -> Builder {
        Builder {
            test: test.to_string(),
            package: std::env::var("CARGO_PKG_NAME").ok(),
            time_limit: DEFAULT_TIME_LIMIT,
            watchdog: std::env::var("LAB_WATCHDOG_SECS")
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .map_or(DEFAULT_WATCHDOG, Duration::from_secs_f64),
            seed: seed::base_seed(),
            iterations: seed::iterations(),
            check_determinism: seed::check_determinism(),
            view: view::Mode::from_env(),
            view_dir: None,
            evidence: None,
            hang_suspects: Vec::new(),
        }
    }

    /// When runs record their view (instead of `LAB_VIEW`).
    pub fn view(mut self, mode: view::Mode) -> Builder {
        self.view = mode;
        self
    }

    /// Where views are written (instead of `LAB_VIEW_DIR` or `target/run-views`).
    pub fn view_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.view_dir = Some(dir.into());
        self
    }

    /// Runs seed `seed` first (instead of `LAB_SEED` or a random one).
    pub fn seed(mut self, seed: u64) -> Builder {
        self.seed = seed;
        self
    }

    /// Runs `n` consecutive seeds (instead of `LAB_ITERS`).
    pub fn iterations(mut self, n: u64) -> Builder {
        self.iterations = n.max(1);
        self
    }

    /// Runs every seed twice and compares the traces (instead of `LAB_CHECK_DETERMINISM`).
    pub fn check_determinism(mut self, check: bool) -> Builder {
        self.check_determinism = check;
        self
    }

    /// The Cargo package named in the rerun command (defaults to the one `cargo test` runs).
    pub fn package(mut self, package: &str) -> Builder {
        self.package = Some(package.to_string());
        self
    }

    /// Fails the test when its body has not finished after `limit` of virtual time.
    pub fn time_limit(mut self, limit: Duration) -> Builder {
        self.time_limit = limit;
        self
    }

    /// Names `suspects`, what usually keeps the lab's tests from finishing, when the test runs out
    /// of virtual time (the lab's harness knows them; the simulator does not).
    pub fn hang_suspects(mut self, suspects: &[&str]) -> Builder {
        self.hang_suspects = suspects.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Ends the process when the simulator thread makes no virtual progress for `limit` of wall time.
    pub fn watchdog(mut self, limit: Duration) -> Builder {
        self.watchdog = limit;
        self
    }

    /// Runs every seed the environment asks for; on failure prints the seed and rerun command and
    /// panics, which fails the calling `#[test]`.
    pub fn run<F, Fut>(self, body: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        // Before the body runs any lab code, which must not get hold of the grader's secret.
        let evidence = crate::grading::take(&self.test);
        let this = Builder { evidence, ..self };
        let outcome = this.try_run(body);
        if let Some(evidence) = &this.evidence {
            match &outcome {
                Ok(reports) => {
                    let mut missing = Scenario::default();
                    for report in reports {
                        missing
                            .missing
                            .extend(report.scenario.missing.iter().cloned());
                    }
                    evidence
                        .for_seed(reports[0].seed)
                        .missing(&missing.missing_field())
                        .passed(Some(reports.iter().map(|r| r.virtual_time).sum()))
                }
                Err(failure) => evidence
                    .for_seed(failure.seed)
                    .failed(Some(failure.virtual_time), &failure.message),
            }
        }
        if let Err(failure) = outcome {
            eprintln!(
                "\n---- labrpc: test `{}` failed ----\n{failure}\n",
                this.test
            );
            match failure.panic {
                Some(payload) => std::panic::resume_unwind(payload),
                None => panic!("{}", failure.message),
            }
        }
    }

    /// Like [`Builder::run`], but returns the failure instead of panicking.
    pub fn try_run<F, Fut>(&self, body: F) -> Result<Vec<Report>, Failure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        let (base, iterations, check) = (self.seed, self.iterations, self.check_determinism);
        let mut reports = Vec::new();
        let mut tightest = margin::Tightest::default();
        // One blocked-thread warning per test is enough to point at the cause.
        let warned = Cell::new(false);
        for i in 0..iterations {
            let seed = base.wrapping_add(i);
            // Wall time only for the progress line a student reads; the run never sees it.
            #[allow(clippy::disallowed_methods)]
            let wall = WallInstant::now();
            let outcome = self.run_seed(seed, check, &warned, &body);
            append_outcome(&self.test, seed, &outcome);
            let report = match outcome {
                Err(failure)
                    if self.view == view::Mode::OnFailure
                        && failure.replayable
                        && failure.view.is_none() =>
                {
                    return Err(self.replay_for_view(failure, &warned, &body));
                }
                outcome => outcome?,
            };
            if let Some(view) = &report.view {
                println!(
                    "labrpc: run view of {} seed {seed}: {}",
                    self.test,
                    view.display()
                );
            }
            if iterations > 1 {
                println!(
                    "labrpc: {} seed {seed} passed ({}/{iterations}, {:.1} s virtual, {:.2} s wall)",
                    self.test,
                    i + 1,
                    report.virtual_time.as_secs_f64(),
                    wall.elapsed().as_secs_f64()
                );
            }
            tightest.add(seed, &report.bounds);
            reports.push(report);
        }
        if iterations > 1 {
            println!(
                "labrpc: {} passed {iterations} seeds; closest to its bounds: {}",
                self.test,
                tightest.summary()
            );
        }
        Ok(reports)
    }

    /// Runs one seed (twice, comparing traces, when checking determinism).
    fn run_seed<F, Fut>(
        &self,
        seed: u64,
        check: bool,
        warned: &Cell<bool>,
        body: &F,
    ) -> Result<Report, Failure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        let recorded_view = (self.view == view::Mode::Always).then_some("LAB_VIEW=1");
        let (report, recorded) = self.run_once(seed, check, warned, body, recorded_view)?;
        if check {
            // Said before the second run, so that its own output (a second summary line) is
            // not mistaken for another test.
            println!("LAB_CHECK_DETERMINISM: running seed {seed} again to compare the two runs");
            let (again, recorded_again) = self.run_once(seed, true, warned, body, None)?;
            if let Some(divergence) = trace::first_divergence(&recorded, &recorded_again) {
                let mut failure = self.failure(
                    seed,
                    again.virtual_time,
                    format!(
                        "LAB_CHECK_DETERMINISM: seed {seed} did not replay identically; {divergence}\n\
                         Lab code must take time only from tokio::time, randomness only from \
                         labrpc::rand, never rely on HashMap iteration order, and never use threads."
                    ),
                    None,
                );
                failure.view = FailureView::of(report.view, None);
                failure.replayable = false;
                return Err(failure);
            }
            println!(
                "LAB_CHECK_DETERMINISM: seed {seed} replayed identically ({} network events)",
                report.events
            );
        }
        Ok(report)
    }

    /// Runs a failing seed again with its view on: the seed replays the run exactly, so the view
    /// shows the failure just reported.
    fn replay_for_view<F, Fut>(
        &self,
        mut failure: Failure,
        warned: &Cell<bool>,
        body: &F,
    ) -> Failure
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        let how = "a replay of the failing seed (a failing run is replayed to draw its view)";
        match self.run_once(failure.seed, false, warned, body, Some(how)) {
            Ok((report, _)) => {
                let note = "but the replay drawn there passed: the lab code does not replay \
                            exactly; LAB_CHECK_DETERMINISM=1 finds where";
                failure.view = FailureView::of(report.view, Some(note.into()));
            }
            Err(again) => {
                let note = (again.message != failure.message).then(|| {
                    format!(
                        "the replay drawn there failed differently: {}",
                        again.message.lines().next().unwrap_or("")
                    )
                });
                failure.view = FailureView::of(again.view.map(|v| v.file), note);
            }
        }
        failure
    }

    /// Runs one seed; prints the blocked-thread warning unless `warned` says it was given. With
    /// `view` (how the view came to be recorded), records the run and writes its view.
    fn run_once<F, Fut>(
        &self,
        seed: u64,
        record: bool,
        warned: &Cell<bool>,
        body: &F,
        view: Option<&str>,
    ) -> Result<(Report, Vec<String>), Failure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut rt = tokio::runtime::Builder::new_current_thread();
        rt.enable_time().start_paused(true);
        #[cfg(tokio_unstable)]
        rt.rng_seed(tokio::runtime::RngSeed::from_bytes(&seed.to_le_bytes()));
        let rt = rt
            .build()
            .expect("cannot build the simulator's tokio runtime");

        let recording = view.map(|_| {
            let dir = self.view_dir.clone().unwrap_or_else(view::default_dir);
            let name = view::file_name(self.package.as_deref(), &self.test, seed);
            view::Recording::new(dir.join(name))
        });
        let world = Rc::new(World::new(seed, record, recording));
        let _installed = world::install(world.clone());
        // A replay for a view would print a failing run's log lines a second time.
        let replaying = view.is_some() && self.view == view::Mode::OnFailure;
        let _log = crate::log::install(!replaying, view.is_some());
        world.logging.set(!replaying && crate::log::printing());
        let watchdog = watchdog::Watchdog::start(
            world.heartbeat.clone(),
            self.watchdog,
            self.watchdog_report(seed),
            world.blocking.clone(),
        );

        let limit = self.time_limit;
        let out_of_time = self.out_of_time_message();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                world.start_clock();
                tokio::spawn(heartbeat());
                let result = tokio::select! {
                    biased;
                    _ = world.failed.notified() => Err(None),
                    finished = tokio::time::timeout(limit, body()) => {
                        finished.map_err(|_| Some(out_of_time))
                    }
                };
                world.stop_clock();
                result
            })
        }));
        // A panicking body never reached stop_clock; read the clock while the runtime still exists.
        let virtual_time = rt.block_on(async { world.stop_clock() });
        // Shut the cluster down while the world is still installed: dropping tasks may touch it.
        drop(rt);
        world.tear_down();
        let blocked = watchdog.finish();
        world.blocking.measure(blocked);
        // Past the bound of a test that grades speed, the test fails (below): no warning then.
        let over_budget = world.blocking.exceeded();
        if over_budget.is_none() && blocked.total() >= blocked::WARN_AFTER && !warned.replace(true)
        {
            watchdog::print_uncaptured(&blocked::warning(
                &self.test,
                seed,
                blocked.total(),
                blocked.main_cause(),
            ));
        }

        let failure = match outcome {
            Ok(Ok(())) => world
                .failure()
                .or(over_budget)
                .map(|message| (message, None)),
            Ok(Err(limit_message)) => {
                let message = world.failure().or(limit_message).unwrap_or_default();
                Some((message, None))
            }
            Err(payload) => {
                let message = world
                    .failure()
                    .unwrap_or_else(|| panic_message(payload.as_ref()));
                Some((message, Some(payload)))
            }
        };
        let view_file = view.and_then(|how| {
            let failed = failure.as_ref().map(|(message, _)| message.as_str());
            self.write_view(&world, seed, virtual_time, failed, how)
        });
        if let Some((message, panic)) = failure {
            let mut failure = self.failure(seed, virtual_time, message, panic);
            failure.view = FailureView::of(view_file, None);
            return Err(failure);
        }
        let mut bounds = world.bounds.take();
        bounds.insert(
            "virtual time",
            virtual_time.as_secs_f64() / self.time_limit.as_secs_f64(),
        );
        let mut trace = world.trace.borrow_mut();
        let report = Report {
            seed,
            virtual_time,
            digest: trace.digest(),
            events: trace.events(),
            bounds,
            blocked: blocked.total(),
            view: view_file,
            scenario: world.scenario.take(),
        };
        Ok((report, trace.take_recorded()))
    }

    /// The failure of a test that ran out of virtual time: the limit, then the likely causes, the
    /// lab's own first.
    fn out_of_time_message(&self) -> String {
        let mut message = format!(
            "the test did not finish within its limit of {} s of virtual time (6.5840 allows \
             120 s per test): something it waits for never happens. Likely causes:",
            self.time_limit.as_secs()
        );
        let generic = [
            "a task waiting for something that never happens: an async lock never released, a \
             channel nobody sends on",
            "a retry loop that never succeeds",
        ];
        let suspects = self.hang_suspects.iter().map(String::as_str);
        for cause in suspects.chain(generic) {
            message += &format!("\n- {cause}");
        }
        message
    }

    /// Draws the run recorded in `world` and writes its view; the file, or `None` (with a word on
    /// stderr) when it cannot be written.
    fn write_view(
        &self,
        world: &World,
        seed: u64,
        virtual_time: Duration,
        failed: Option<&str>,
        how: &str,
    ) -> Option<PathBuf> {
        let recording = world.view.as_ref()?.borrow();
        let failure = failed.map(|message| {
            let (at, node) = world
                .failed_at
                .borrow()
                .clone()
                .unwrap_or((virtual_time.as_micros() as view::Micros, None));
            (at, node, message)
        });
        let rerun = self.rerun_command(seed);
        let outcome = view::Outcome {
            test: &self.test,
            package: self.package.as_deref(),
            seed,
            virtual_time,
            failure: failure
                .as_ref()
                .map(|(at, node, message)| (*at, node.as_deref(), *message)),
            replay: &rerun,
            recorded: how,
        };
        let html = view::render(&recording, &outcome);
        match view::write(&recording.path, &html) {
            Ok(()) => Some(recording.path.clone()),
            Err(e) => {
                eprintln!(
                    "labrpc: cannot write the run view {}: {e}",
                    recording.path.display()
                );
                None
            }
        }
    }

    fn rerun_command(&self, seed: u64) -> String {
        let check = if self.check_determinism {
            "LAB_CHECK_DETERMINISM=1 "
        } else {
            ""
        };
        let package = self
            .package
            .as_ref()
            .map(|p| format!(" -p {p}"))
            .unwrap_or_default();
        // libtest names each test's thread after the test's full path.
        let thread = std::thread::current();
        let test = match thread.name() {
            Some(name) if name != "main" => name.to_string(),
            _ => self.test.clone(),
        };
        format!("LAB_SEED={seed} {check}cargo test{package} --release -- --exact {test}")
    }

    fn failure(
        &self,
        seed: u64,
        virtual_time: Duration,
        message: String,
        panic: Option<Box<dyn std::any::Any + Send>>,
    ) -> Failure {
        Failure {
            seed,
            message,
            virtual_time,
            rerun: self.rerun_command(seed),
            panic,
            view: None,
            replayable: true,
        }
    }

    fn watchdog_report(&self, seed: u64) -> String {
        let report = format!(
            "\n---- labrpc watchdog: test `{}` is stuck ----\n\
             Virtual time has not advanced for {:.0} s of wall-clock time, so something is blocking \
             the simulator thread. Likely causes:\n\
             - std::thread::sleep, or any blocking call, in lab code (use tokio::time::sleep);\n\
             - a std::sync::Mutex locked twice by the same task, or held across an .await while \
             another task waits for it;\n\
             - a blocking channel receive (std::sync::mpsc) or a loop that never reaches an .await.\n\
             The test process is ended because a blocked thread cannot be interrupted.\n  seed {seed}\n  replay: {}\n",
            self.test,
            self.watchdog.as_secs_f64(),
            self.rerun_command(seed)
        );
        match &self.evidence {
            Some(evidence) => {
                let why = format!(
                    "watchdog: no virtual progress for {:.0} s (the simulator thread is blocked)",
                    self.watchdog.as_secs_f64()
                );
                let line = evidence.for_seed(seed).failed_line(None, &why);
                format!("{report}\n{line}")
            }
            None => report,
        }
    }
}

/// With `LAB_REPORT=<file>`, appends one line per seed to the file, for tools (the stress runner,
/// the grader) that need each run's outcome and virtual time without parsing test output:
/// `test=<name> seed=<seed> result=<pass|fail> virtual_ms=<ms>`, and for a pass
/// ` digest=<hex> events=<n> blocked_ms=<ms>`: the network trace's digest and length, and the
/// real time the simulator thread spent blocked (docs/PERFORMANCE.md measures it); then, when the
/// harness counted its test's events, ` scenario=<event>:<n>,...` and ` missing=<event>,...`.
fn append_outcome(test: &str, seed: u64, outcome: &Result<Report, Failure>) {
    let Some(path) = std::env::var_os("LAB_REPORT") else {
        return;
    };
    // A passing run's trace digest lets a tool compare runs across builds and machines.
    let (result, virtual_time, details) = match outcome {
        Ok(r) => {
            let mut details = format!(
                " digest={:016x} events={} blocked_ms={}",
                r.digest,
                r.events,
                r.blocked.as_millis()
            );
            if !r.scenario.counts.is_empty() {
                details += &format!(" scenario={}", r.scenario.counts_field());
            }
            if !r.scenario.missing.is_empty() {
                details += &format!(" missing={}", r.scenario.missing_field());
            }
            ("pass", r.virtual_time, details)
        }
        Err(f) => ("fail", f.virtual_time, String::new()),
    };
    let line = format!(
        "test={} seed={seed} result={result} virtual_ms={}{details}\n",
        test.replace(char::is_whitespace, "_"),
        virtual_time.as_millis()
    );
    use std::io::Write as _;
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "labrpc: cannot append to LAB_REPORT file {}: {e}",
            path.to_string_lossy()
        );
    }
}

async fn heartbeat() {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        if let Some(world) = world::current() {
            world.heartbeat();
            // Ends a speed test as soon as its bound on real blocking is passed, rather than
            // after the minutes a sleeping clerk takes to finish it.
            if let Some(message) = world.blocking.exceeded() {
                world.fail(message);
            }
        }
    }
}

/// Declares that the running test grades speed: if lab code blocks the simulator thread for more
/// than `limit` of real time in all (a `std::thread::sleep`, a blocking lock), the test fails,
/// since virtual time stood still meanwhile and the speed it measured is not the code's. Not
/// with logging on: writing the log into a pipe whose reader falls behind (a pager, the log
/// viewer) blocks too, and the grader never logs. Whether logging is on is decided when the run
/// starts, before lab code runs, and a later call can only lower the limit: lab code can neither
/// turn the bound off nor raise it. Outside a run it does nothing.
pub fn limit_real_blocking(limit: Duration) {
    if let Some(world) = world::current()
        && !world.logging.get()
    {
        world.blocking.set(limit);
    }
}

/// Virtual time since the current run's body started (zero outside a run).
pub fn elapsed() -> Duration {
    world::current().map_or(Duration::ZERO, |w| w.elapsed())
}

/// The machine the calling code runs on (a [`Node`]'s name), if any: a harness names what a
/// server asks of it after the server.
pub fn machine() -> Option<std::sync::Arc<str>> {
    current_node_name()
}

/// The seed of the current run, if inside one.
pub fn seed() -> Option<u64> {
    world::current().map(|w| w.seed)
}

/// Fails the current run with `message` as soon as the runner sees it, even if the body is
/// still waiting. Harness checks that run in background tasks (an applier noticing an
/// out-of-order commit) use it; outside a run it only prints the message.
pub fn fail(message: impl Into<String>) {
    world::fail(message.into())
}
