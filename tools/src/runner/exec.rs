//! Running one test in its own process, with a seed, a wall-clock limit and a memory limit, and
//! judging it on evidence the test process cannot forge.
//!
//! A graded run passes only when the harness's evidence line carries this run's secret and says
//! the test passed, libtest printed its own `test result: ok. 1 passed`, and the process exited
//! with status 0. Exit status alone never passes a graded run: lab code runs inside the test
//! process and can end it with any status it likes.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::TestCase;
use super::process::{self, Limits};
use super::watch::{Seen, Verdict, Watcher};

/// What to run: one test, on one seed, as a policy says.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub case: TestCase,
    /// `LAB_SEED` for simulated tests; `None` for tests that take no seed.
    pub seed: Option<u64>,
    pub policy: Policy,
}

/// How a tool runs tests: the same for every run of a lab in a grading, or of a stress session.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The wall-clock limit of one run.
    pub timeout: Duration,
    /// Whether the tests take a seed (simulated ones do; Lab 1's real processes do not).
    pub seeded: bool,
    /// Run alone, after all the others (tests that measure parallelism).
    pub exclusive: bool,
    /// Extra environment, e.g. `LAB_LOG=1` when capturing a failing run's logs.
    pub env: Vec<(String, String)>,
    pub limits: Limits,
    /// Pass only on the harness's evidence (the grader). Without it (the stress runner, the suite
    /// check, on code they trust), a run with no evidence line passes on exit status 0 and
    /// libtest's result line, so tests that do not report (unit tests) can be run too.
    pub require_evidence: bool,
    /// Write the run's whole output to this file, up to a cap (the stress runner's logs).
    pub log: Option<LogFile>,
}

/// Where a run's whole output goes, and how much of it at most.
#[derive(Debug, Clone)]
pub struct LogFile {
    pub path: PathBuf,
    pub cap_bytes: u64,
}

/// What was written of a run's output to its [`LogFile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logged {
    Whole {
        bytes: u64,
    },
    /// Stopped at the cap: the lines after it are missing.
    Cut {
        bytes: u64,
    },
    /// The file could not be written.
    Failed(String),
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// Whether the test process started at all (a missing binary is not a failing test).
    pub started: bool,
    pub passed: bool,
    pub timed_out: bool,
    /// Why it failed, in one line (`None` when it passed).
    pub reason: Option<String>,
    /// The last lines of the test's output (stdout and stderr, as they arrived).
    pub output: String,
    /// The simulator's warnings for the student (e.g. its thread was blocked in real time).
    pub warnings: Vec<String>,
    pub wall: Duration,
    /// Virtual time, for simulated tests (from the harness's evidence line).
    pub virtual_time: Option<Duration>,
    /// The seed the harness says the run used: a test that takes no seed from the environment
    /// (one with a fixed seed, a unit test) names another, or none.
    pub seed_used: Option<u64>,
    /// What went to the policy's log file, if it has one.
    pub logged: Option<Logged>,
    /// For a pass: the events its test exists to create that the run did not make happen (from
    /// the harness's evidence; see `labrpc::sim::scenario`).
    pub missing: Vec<String>,
}

/// How long the output pipes may stay open once the run's processes are killed.
const DRAIN: Duration = Duration::from_secs(2);

/// Runs `spec` to completion or to its time limit.
pub fn run_one(spec: &RunSpec) -> RunOutcome {
    let policy = &spec.policy;
    let secret = format!("{:032x}", rand::random::<u128>());
    let mut cmd = Command::new(&spec.case.binary);
    cmd.args(["--exact", &spec.case.full_name, "--test-threads=1"])
        .current_dir(&spec.case.dir)
        .env("CARGO_PKG_NAME", &spec.case.package)
        .env(labrpc::grading::ENV, "1")
        .env("LAB_ITERS", "1")
        .env_remove("LAB_REPORT")
        .env_remove("LAB_CHECK_DETERMINISM")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match spec.seed {
        Some(seed) => cmd.env("LAB_SEED", seed.to_string()),
        None => cmd.env_remove("LAB_SEED"),
    };
    for (k, v) in &policy.env {
        cmd.env(k, v);
    }
    process::confine(&mut cmd, &policy.limits);

    let start = Instant::now();
    let mut child = match process::spawn(&mut cmd) {
        Ok(child) => child,
        Err(e) => {
            let reason = match &policy.limits.run_as {
                None => format!("cannot start {}: {e}", spec.case.binary.display()),
                Some(user) => format!(
                    "cannot start {} as user {}: {e} (that user must be able to read the project \
                     and run its test binaries)",
                    spec.case.binary.display(),
                    user.name
                ),
            };
            return RunOutcome {
                started: false,
                passed: false,
                timed_out: false,
                output: reason.clone(),
                reason: Some(reason),
                warnings: Vec::new(),
                wall: Duration::ZERO,
                virtual_time: None,
                seed_used: None,
                logged: None,
                missing: Vec::new(),
            };
        }
    };
    // The harness reads the secret before the test runs lab code; the pipe then stays at its end.
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(format!("{secret}\n").as_bytes());
    }
    let names = vec![spec.case.full_name.clone(), spec.case.short_name.clone()];
    let watcher = Watcher::new(secret, names);
    let mut log_error = None;
    if let Some(log) = &policy.log {
        match std::fs::File::create(&log.path) {
            Ok(file) => watcher.log_to(file, log.cap_bytes),
            Err(e) => log_error = Some(format!("cannot write {}: {e}", log.path.display())),
        }
    }
    let readers = [
        watcher.read(child.stdout.take().expect("piped stdout")),
        watcher.read(child.stderr.take().expect("piped stderr")),
    ];

    let pid = child.id();
    let mut timed_out = false;
    let ended = loop {
        match process::wait(pid, false) {
            Ok(Some(ended)) => break Some(ended),
            Ok(None) if start.elapsed() >= policy.timeout => {
                timed_out = true;
                process::kill(pid);
                break process::wait(pid, true).ok().flatten();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    let wall = start.elapsed();
    // Also on success: nothing a run started may outlive it.
    process::end(pid);
    // A process that escaped the kill could hold the pipes open forever: stop waiting after a
    // while, and leave its reader blocked (it ends when the pipe does).
    let drained_by = Instant::now() + DRAIN;
    while readers.iter().any(|r| !r.is_finished()) && Instant::now() < drained_by {
        std::thread::sleep(Duration::from_millis(10));
    }

    let seen = watcher.seen();
    let verdict = judge(policy, timed_out, ended.as_ref(), &seen);
    let passed = verdict.is_ok();
    let virtual_ms = match &seen.verdict {
        Some(Verdict::Passed { virtual_ms, .. } | Verdict::Failed { virtual_ms, .. }) => {
            *virtual_ms
        }
        None => None,
    };
    RunOutcome {
        started: true,
        passed,
        timed_out,
        reason: verdict.err(),
        output: seen.tail_text(),
        warnings: seen.warnings.clone(),
        wall,
        virtual_time: virtual_ms.map(Duration::from_millis),
        seed_used: seen.seed_used,
        logged: match (&seen.log, log_error) {
            (_, Some(e)) => Some(Logged::Failed(e)),
            (Some(log), None) if log.cut => Some(Logged::Cut { bytes: log.bytes }),
            (Some(log), None) => Some(Logged::Whole { bytes: log.bytes }),
            (None, None) => None,
        },
        missing: match (&seen.verdict, passed) {
            (Some(Verdict::Passed { missing, .. }), true) => missing.clone(),
            _ => Vec::new(),
        },
    }
}

/// Passed, or why not: from the harness's own evidence, else from how the process ended.
fn judge(
    policy: &Policy,
    timed_out: bool,
    ended: Option<&process::Ended>,
    seen: &Seen,
) -> Result<(), String> {
    if timed_out {
        return Err(format!(
            "timed out: killed after its wall-clock limit of {} s",
            policy.timeout.as_secs()
        ));
    }
    let Some(ended) = ended else {
        return Err("the runner lost track of the test process".into());
    };
    let status = ended.status;
    match &seen.verdict {
        Some(Verdict::Failed { reason, .. }) if reason.is_empty() => {
            Err("failed (the harness gave no reason; see the output)".into())
        }
        Some(Verdict::Failed { reason, .. }) => Err(reason.clone()),
        Some(Verdict::Passed { .. }) if status.success() && seen.libtest_passed => Ok(()),
        Some(Verdict::Passed { .. }) => Err(format!(
            "the harness's checks passed, but then the test process {} without libtest \
             reporting the test as passed",
            ended_how(status)
        )),
        None if !policy.require_evidence && status.success() && seen.libtest_passed => Ok(()),
        None => Err(match (status.signal(), policy.limits.memory_bytes) {
            (Some(_), Some(limit)) if out_of_memory(ended, seen, limit) => format!(
                "out of memory: the run exceeded its memory limit of {} MiB",
                limit >> 20
            ),
            (Some(signal), _) => format!(
                "killed by {} before the test finished",
                process::signal_name(signal)
            ),
            (None, _) => format!(
                "the test process {} before the test finished",
                ended_how(status)
            ),
        }),
    }
}

/// Whether a process killed by a signal died for want of memory: Rust's allocation-failure
/// message (then SIGABRT), or most of the limit in use (a thread's stack could not grow, which
/// is a SIGSEGV).
fn out_of_memory(ended: &process::Ended, seen: &Seen, limit: u64) -> bool {
    seen.allocation_failed || ended.peak_memory >= limit / 2
}

/// "exited with status 0", "was killed by SIGSEGV".
fn ended_how(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by {}", process::signal_name(signal)),
        (None, None) => format!("ended ({status})"),
    }
}
