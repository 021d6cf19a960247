//! Running one test in its own process, with a seed and a wall-clock limit.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::TestCase;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub case: TestCase,
    /// `LAB_SEED` for simulated tests; `None` for tests that take no seed.
    pub seed: Option<u64>,
    pub timeout: Duration,
    /// Extra environment, e.g. `LAB_LOG=1` when capturing a failing run's logs.
    pub env: Vec<(String, String)>,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// Whether the test process started at all (a missing binary is not a failing test).
    pub started: bool,
    pub passed: bool,
    pub timed_out: bool,
    /// The test's output (stdout then stderr), trimmed to its last lines.
    pub output: String,
    pub wall: Duration,
    /// Virtual time, for simulated tests (from the simulator's `LAB_REPORT` line).
    pub virtual_time: Option<Duration>,
}

/// Lines of output kept per run: enough for the failure message and the replay command.
const KEPT_LINES: usize = 400;

/// Runs `spec` to completion or to its time limit.
pub fn run_one(spec: &RunSpec) -> RunOutcome {
    let report = tempfile::NamedTempFile::new().expect("cannot create a temporary file");
    let mut cmd = Command::new(&spec.case.binary);
    cmd.args(["--exact", &spec.case.full_name, "--test-threads=1"])
        .current_dir(&spec.case.dir)
        .env("CARGO_PKG_NAME", &spec.case.package)
        .env("LAB_REPORT", report.path())
        .env("LAB_ITERS", "1")
        .env_remove("LAB_CHECK_DETERMINISM")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match spec.seed {
        Some(seed) => cmd.env("LAB_SEED", seed.to_string()),
        None => cmd.env_remove("LAB_SEED"),
    };
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    // Its own process group, so a timeout also ends the processes a test started.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);

    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return RunOutcome {
                started: false,
                passed: false,
                timed_out: false,
                output: format!("cannot start {}: {e}", spec.case.binary.display()),
                wall: Duration::ZERO,
                virtual_time: None,
            };
        }
    };
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));

    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= spec.timeout => {
                timed_out = true;
                kill_group(child.id());
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    let wall = start.elapsed();
    let mut output = stdout.join().unwrap_or_default();
    output += &stderr.join().unwrap_or_default();
    if timed_out {
        output += &format!(
            "\n(killed: the run exceeded its wall-clock limit of {} s)\n",
            spec.timeout.as_secs()
        );
    }
    RunOutcome {
        started: true,
        passed: !timed_out && status.is_some_and(|s| s.success()),
        timed_out,
        output: last_lines(&output, KEPT_LINES),
        wall,
        virtual_time: virtual_time(report.path()),
    }
}

fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(n);
    let mut kept = if skip > 0 {
        format!("[... {skip} earlier lines omitted ...]\n")
    } else {
        String::new()
    };
    kept += &lines[skip..].join("\n");
    kept
}

/// The virtual time in the simulator's report file (`... virtual_ms=<n>`), if it wrote one.
fn virtual_time(path: &std::path::Path) -> Option<Duration> {
    let text = std::fs::read_to_string(path).ok()?;
    let ms = text
        .lines()
        .last()?
        .split_whitespace()
        .find_map(|field| field.strip_prefix("virtual_ms="))?;
    ms.parse().ok().map(Duration::from_millis)
}
