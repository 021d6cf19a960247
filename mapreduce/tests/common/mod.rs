//! The harness of Lab 1's tests: a job in its own directory with its own socket, and the real
//! mrcoordinator, mrworker and mrsequential processes, each with a time limit (test-mr.sh runs
//! every process under `timeout`).

#![allow(dead_code)] // Each test binary uses its own part of the harness.

use std::fs::{self, File};
use std::io::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// test-mr.sh's `timeout -k 2s 45s`.
pub const TIMEOUT: Duration = Duration::from_secs(45);
/// test-mr.sh's `timeout -k 2s 120s`, for the crash test.
pub const CRASH_TIMEOUT: Duration = Duration::from_secs(120);

const POLL: Duration = Duration::from_millis(10);

/// One job's directory: the generated inputs, the socket, the processes' logs, and `mr-tmp/`,
/// where the processes run and the output files appear.
pub struct Job {
    dir: tempfile::TempDir,
    pub cwd: PathBuf,
    pub socket: PathBuf,
    /// The inputs as the coordinator receives them: `../pg-*.txt`.
    pub inputs: Vec<String>,
    processes: AtomicUsize,
    /// The grader's secret, when a grader runs the test: [`finish`] reports the verdict with it.
    evidence: Option<labrpc::grading::Evidence>,
}

impl Job {
    /// A fresh directory with the eight generated inputs.
    pub fn new(test: &str) -> Job {
        let dir = tempfile::Builder::new()
            .prefix(&format!("mr-{test}-"))
            .tempdir()
            .expect("cannot create a temporary directory");
        let cwd = dir.path().join("mr-tmp");
        fs::create_dir(&cwd).unwrap();
        fs::create_dir(dir.path().join("logs")).unwrap();
        let inputs = mapreduce::inputs::write_books(dir.path())
            .expect("cannot write the inputs")
            .into_iter()
            .map(|name| format!("../{name}"))
            .collect();
        Job {
            socket: dir.path().join("mr.sock"),
            dir,
            cwd,
            inputs,
            processes: AtomicUsize::new(0),
            evidence: labrpc::grading::take(test),
        }
    }

    /// The reference output of `app`: mrsequential's `mr-out-0`, sorted, empty lines dropped.
    pub fn sequential(&self, app: &str) -> Vec<String> {
        let mut command = self.command("mrsequential");
        command.arg(app).args(&self.inputs);
        let mut p = self.spawn(&format!("mrsequential {app}"), command, TIMEOUT);
        let status = p.wait();
        assert!(
            status.is_some_and(|s| s.success()),
            "mrsequential {app} failed: it {}\n{}",
            p.describe_end(status),
            p.log()
        );
        let out = self.cwd.join("mr-out-0");
        let lines = sorted_lines(std::slice::from_ref(&out));
        fs::remove_file(out).unwrap();
        lines
    }

    /// Starts mrcoordinator on the inputs, with the socket given as a flag, and returns once its
    /// socket exists (rather than after test-mr.sh's fixed `sleep 1`).
    pub fn coordinator(&self, limit: Duration) -> Proc {
        let mut command = self.command("mrcoordinator");
        command.args(&self.inputs).arg("--socket").arg(&self.socket);
        let mut p = self.spawn("mrcoordinator", command, limit);
        while !self.socket.exists() {
            if let Some(status) = p.poll() {
                panic!(
                    "mrcoordinator ended before creating its socket: it {}\n{}",
                    p.describe_end(Some(status)),
                    p.log()
                );
            }
            sleep(POLL);
        }
        p
    }

    /// Starts an mrworker running `app`, with the socket given through the environment (so that
    /// both ways of choosing it are exercised).
    pub fn worker(&self, app: &str, limit: Duration) -> Proc {
        let mut command = self.command("mrworker");
        command
            .arg(app)
            .env(mapreduce::cli::SOCKET_ENV, &self.socket);
        self.spawn(&format!("mrworker {app}"), command, limit)
    }

    /// A command running `program` (mrcoordinator, mrworker or mrsequential) in `mr-tmp/`.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(binary(program));
        command.current_dir(&self.cwd).stdin(Stdio::null());
        command
    }

    /// Starts `command`, its output going to a log of the job, killed after `limit`.
    pub fn spawn(&self, name: &str, mut command: Command, limit: Duration) -> Proc {
        let n = self.processes.fetch_add(1, Ordering::SeqCst);
        let log = self
            .dir
            .path()
            .join("logs")
            .join(format!("{n:02}-{}", name.replace(' ', "-")));
        let output = File::create(&log).unwrap();
        let child = command
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            name: name.to_string(),
            child,
            deadline: Instant::now() + limit,
            limit,
            killed: false,
            log,
        }
    }

    /// `sort mr-out* | grep .`: every line of every output file, sorted, empty lines dropped.
    pub fn output(&self) -> Vec<String> {
        sorted_lines(&self.files_starting_with("mr-out"))
    }

    /// The files in `mr-tmp/` whose names start with `prefix`.
    pub fn files_starting_with(&self, prefix: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(&self.cwd)
            .unwrap()
            .filter_map(|e| {
                let e = e.ok()?;
                e.file_name()
                    .to_string_lossy()
                    .starts_with(prefix)
                    .then(|| e.path())
            })
            .collect();
        files.sort();
        files
    }

    /// The job's process logs, in start order, with their file names.
    fn process_logs(&self) -> Vec<(String, String)> {
        let mut logs: Vec<PathBuf> = fs::read_dir(self.dir.path().join("logs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        logs.sort();
        logs.iter()
            .map(|log| {
                let name = log.file_name().unwrap().to_string_lossy().into_owned();
                (name, fs::read_to_string(log).unwrap_or_default())
            })
            .collect()
    }

    /// Every log of the job's processes, for a failure message.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        for (name, text) in self.process_logs() {
            if !text.trim().is_empty() {
                all.push_str(&format!("--- log of {name}:\n{}\n", tail(&text, 20)));
            }
        }
        all
    }

    /// The first panic of any process of the job, as `<log name> panicked at <place>: <message>`:
    /// the likeliest cause of a failure, and otherwise buried in the logs below the verdict.
    fn first_panic(&self) -> Option<String> {
        self.process_logs()
            .iter()
            .find_map(|(name, text)| Some(format!("{name} {}", panic_in(text)?)))
    }
}

/// A process of the job, killed if it outlives its time limit or the test.
pub struct Proc {
    pub name: String,
    child: Child,
    deadline: Instant,
    limit: Duration,
    killed: bool,
    log: PathBuf,
}

impl Proc {
    /// Its exit status if it has exited; kills it once past its time limit.
    pub fn poll(&mut self) -> Option<ExitStatus> {
        if let Some(status) = self.child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= self.deadline && !self.killed {
            announce(&format!(
                "--- {} still running after {} s: killed",
                self.name,
                self.limit.as_secs()
            ));
            self.killed = true;
            let _ = self.child.kill();
        }
        None
    }

    /// Waits for it to exit (or be killed at its time limit). `None` if it was killed.
    pub fn wait(&mut self) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.poll() {
                return (!self.killed).then_some(status);
            }
            sleep(POLL);
        }
    }

    /// The last lines of its stdout and stderr.
    pub fn log(&self) -> String {
        tail(&fs::read_to_string(&self.log).unwrap_or_default(), 20)
    }

    /// How it ended (`status` from [`Proc::wait`] or [`Proc::poll`]), in words: its panic if it
    /// panicked, else its exit status or signal.
    pub fn describe_end(&self, status: Option<ExitStatus>) -> String {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        if let Some(panic) = panic_in(&log) {
            return panic;
        }
        match status {
            None => format!(
                "was killed after its time limit of {} s",
                self.limit.as_secs()
            ),
            Some(status) => match (status.code(), status.signal()) {
                (Some(code), _) => format!("exited with status {code}"),
                (None, Some(signal)) => format!("was killed by signal {signal}"),
                (None, None) => format!("ended ({status})"),
            },
        }
    }

    /// Sends SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until the first of `procs` exits (bash's `wait -n`) and returns its index.
pub fn wait_any(procs: &mut [Proc]) -> usize {
    loop {
        for (i, p) in procs.iter_mut().enumerate() {
            if p.poll().is_some() {
                return i;
            }
        }
        sleep(POLL);
    }
}

/// Prints test-mr.sh's lines (`*** Starting wc test.`, `--- wc test: PASS`) even while cargo
/// test captures the tests' output: they go straight to stderr, not through `eprintln!`.
pub fn announce(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Ends a test the way test-mr.sh does: `--- <name> test: PASS`, or the reason and
/// `--- <name> test: FAIL`, then fails the Rust test with the reason and the processes' logs.
pub fn finish(name: &str, job: &Job, verdict: Result<(), String>) {
    if let Some(evidence) = &job.evidence {
        match &verdict {
            Ok(()) => evidence.passed(None),
            Err(reason) => evidence.failed(None, reason),
        }
    }
    match verdict {
        Ok(()) => announce(&format!("--- {name} test: PASS")),
        Err(reason) => {
            announce(&format!("--- {reason}\n--- {name} test: FAIL"));
            let panic = job
                .first_panic()
                .map_or_else(String::new, |p| format!("; first panic: {p}"));
            panic!(
                "{name} test failed: {reason}{panic}\n(job directory {})\n{}",
                job.cwd.display(),
                job.logs()
            );
        }
    }
}

/// Compares an output with the reference, describing the first difference.
pub fn same_output(what: &str, actual: &[String], correct: &[String]) -> Result<(), String> {
    if actual == correct {
        return Ok(());
    }
    let first = actual
        .iter()
        .zip(correct)
        .position(|(a, c)| a != c)
        .unwrap_or(actual.len().min(correct.len()));
    Err(format!(
        "{what} output differs from the expected output: {} lines instead of {}; first \
         difference at line {}: {:?} instead of {:?}",
        actual.len(),
        correct.len(),
        first + 1,
        actual.get(first),
        correct.get(first)
    ))
}

/// A Rust panic in a process's output, as `panicked at <place>: <message>`.
fn panic_in(log: &str) -> Option<String> {
    let mut lines = log.lines();
    let place = lines.find_map(|l| l.split_once("panicked at ").map(|(_, at)| at))?;
    let message = lines.next().unwrap_or("").trim();
    Some(format!(
        "panicked at {}: {message}",
        place.trim().trim_end_matches(':')
    ))
}

fn sorted_lines(files: &[PathBuf]) -> Vec<String> {
    let mut lines: Vec<String> = files
        .iter()
        .flat_map(|f| {
            fs::read_to_string(f)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()))
                .lines()
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    lines.sort();
    lines
}

fn binary(program: &str) -> &'static Path {
    Path::new(match program {
        "mrcoordinator" => env!("CARGO_BIN_EXE_mrcoordinator"),
        "mrworker" => env!("CARGO_BIN_EXE_mrworker"),
        "mrsequential" => env!("CARGO_BIN_EXE_mrsequential"),
        other => unreachable!("no binary {other}"),
    })
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
