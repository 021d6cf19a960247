//! The stress runner: many seeds of some tests, in parallel, with a live per-test display and a
//! table at the end. Failing seeds are replayed with logging on (the simulator replays them
//! exactly) and their whole logs kept, up to a size cap, ready for the log viewer. A test that
//! ignores the seed it is given (a fixed-seed check of bad input, a unit test) would run the
//! same way every time: it runs once.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::grade::failure_reason;
use crate::logview;
use crate::runner::{self, LogFile, Logged, RunOutcome, RunSpec, TestCase, replay_command};

/// What to stress.
pub struct Options {
    pub cases: Vec<TestCase>,
    pub iterations: u32,
    pub jobs: usize,
    pub base_seed: u64,
    /// How every run runs (its time limit, whether it takes a seed, whether it runs alone).
    pub policy: runner::Policy,
    pub log_dir: PathBuf,
    /// Failing seeds per test whose logs are kept (`None`: every one).
    pub keep: Option<usize>,
    /// The largest log kept of one seed, in bytes; a longer one is cut there, and said so.
    pub log_cap: u64,
}

/// Per-test tallies (Welford's running mean and variance of virtual time).
#[derive(Default, Clone)]
struct Stats {
    done: u32,
    failed: Vec<(Option<u64>, String)>,
    virtual_n: u32,
    virtual_mean: f64,
    virtual_m2: f64,
    wall_sum: f64,
    /// Passing runs in which each event the test exists to create did not happen.
    missing: std::collections::BTreeMap<String, u32>,
}

impl Stats {
    fn add(&mut self, seed: Option<u64>, outcome: &RunOutcome) {
        self.done += 1;
        self.wall_sum += outcome.wall.as_secs_f64();
        if !outcome.passed {
            self.failed.push((seed, failure_reason(outcome)));
        }
        for event in &outcome.missing {
            *self.missing.entry(event.clone()).or_default() += 1;
        }
        if let Some(v) = outcome.virtual_time {
            let x = v.as_secs_f64();
            self.virtual_n += 1;
            let delta = x - self.virtual_mean;
            self.virtual_mean += delta / f64::from(self.virtual_n);
            self.virtual_m2 += delta * (x - self.virtual_mean);
        }
    }

    fn virtual_sd(&self) -> f64 {
        if self.virtual_n < 2 {
            0.0
        } else {
            (self.virtual_m2 / f64::from(self.virtual_n - 1)).sqrt()
        }
    }
}

/// Runs the stress session; returns the number of failed runs.
pub fn run(options: &Options) -> anyhow::Result<usize> {
    let n = options.cases.len();
    let mut tallies = vec![Stats::default(); n];
    let mut display = Display::new(options);
    let started = Instant::now();
    // One seed of every test first: those that ignore it are not run again.
    let first: Vec<RunSpec> = (options.cases.iter())
        .map(|case| runner::spec(case, 0, options.base_seed, &options.policy))
        .collect();
    let outcomes = runner::run_all(&first, options.jobs, |t, outcome| {
        record(
            options,
            t,
            first[t].seed,
            outcome,
            &mut tallies,
            &mut display,
        );
        display.draw(&tallies, started);
    });
    let (repeated, once): (Vec<usize>, Vec<usize>) =
        (0..n).partition(|&t| !options.policy.seeded || outcomes[t].seed_used == first[t].seed);
    if !once.is_empty() && options.iterations > 1 {
        for &t in &once {
            display.totals[t] = 1;
        }
        let names: Vec<&str> = (once.iter())
            .map(|&t| options.cases[t].full_name.as_str())
            .collect();
        display.message(&format!(
            "run once: {} (they do not take the seed they are given, so every run would be the \
             same)",
            names.join(", ")
        ));
    }
    // Test `tests[i]` of every later spec `specs[i]`, interleaved so every test gets going early.
    let (mut tests, mut specs) = (Vec::new(), Vec::new());
    for k in 1..options.iterations {
        for &t in &repeated {
            tests.push(t);
            specs.push(runner::spec(
                &options.cases[t],
                k,
                options.base_seed,
                &options.policy,
            ));
        }
    }
    runner::run_all(&specs, options.jobs, |i, outcome| {
        record(
            options,
            tests[i],
            specs[i].seed,
            outcome,
            &mut tallies,
            &mut display,
        );
        display.draw(&tallies, started);
    });
    display.finish(&tallies, started);

    print_table(options, &tallies, started.elapsed());
    keep_failure_logs(options, &tallies)?;
    Ok(tallies.iter().map(|t| t.failed.len()).sum())
}

/// Counts one run of test `t`, and says so at once if it failed.
fn record(
    options: &Options,
    t: usize,
    seed: Option<u64>,
    outcome: &RunOutcome,
    tallies: &mut [Stats],
    display: &mut Display,
) {
    tallies[t].add(seed, outcome);
    if !outcome.passed {
        let seed = seed.map_or_else(String::new, |s| format!(" seed {s}"));
        // The first line says what is wrong; the whole explanation is in the kept log.
        let reason = failure_reason(outcome);
        display.message(&format!(
            "FAIL {}{seed}: {}",
            options.cases[t].full_name,
            reason.lines().next().unwrap_or("")
        ));
    }
}

fn print_table(options: &Options, tallies: &[Stats], elapsed: Duration) {
    let width = options
        .cases
        .iter()
        .map(|c| c.full_name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "\n{:<width$}  {:>6}  {:>6}  {:>22}  {:>9}",
        "Test", "Failed", "Total", "virtual time (mean±sd)", "wall/run"
    );
    for (case, t) in options.cases.iter().zip(tallies) {
        let virtual_time = if t.virtual_n > 0 {
            format!("{:.1} ± {:.1} s", t.virtual_mean, t.virtual_sd())
        } else {
            "-".to_string()
        };
        println!(
            "{:<width$}  {:>6}  {:>6}  {:>22}  {:>8.2}s",
            case.full_name,
            t.failed.len(),
            t.done,
            virtual_time,
            t.wall_sum / f64::from(t.done.max(1))
        );
    }
    // A pass in which the test's scenario did not happen tested nothing of it (the grader does
    // not count it): say how often, per test and event.
    for (case, t) in options.cases.iter().zip(tallies) {
        let passed = t.done - t.failed.len() as u32;
        for (event, n) in &t.missing {
            println!(
                "{}: {event} did not happen in {n} of {passed} passing runs",
                case.full_name
            );
        }
    }
    let runs: u32 = tallies.iter().map(|t| t.done).sum();
    let failed: usize = tallies.iter().map(|t| t.failed.len()).sum();
    println!(
        "\n{failed} of {runs} runs failed, in {:.1} s of wall time",
        elapsed.as_secs_f64()
    );
}

/// Replays failing seeds with `LAB_LOG=1`, in parallel, and keeps each one's whole output up to
/// the cap (the `--keep` first of each test); prints every failing seed's replay command, and
/// where its log is and how to view it.
fn keep_failure_logs(options: &Options, tallies: &[Stats]) -> anyhow::Result<()> {
    let mut replays = Vec::new();
    for (case, t) in options.cases.iter().zip(tallies) {
        let kept = options.keep.unwrap_or(usize::MAX);
        for (seed, _) in t.failed.iter().take(kept) {
            std::fs::create_dir_all(&options.log_dir)?;
            let name = format!(
                "{}-{}.log",
                case.short_name,
                seed.map_or_else(|| "run".to_string(), |s| s.to_string())
            );
            replays.push(RunSpec {
                case: case.clone(),
                seed: *seed,
                policy: runner::Policy {
                    // Uncaptured, so the log survives a run that ends without libtest printing
                    // what it captured: a watchdog exit, a wall-clock kill.
                    env: vec![
                        ("LAB_LOG".into(), "1".into()),
                        ("RUST_TEST_NOCAPTURE".into(), "1".into()),
                    ],
                    log: Some(LogFile {
                        path: options.log_dir.join(name),
                        cap_bytes: options.log_cap,
                    }),
                    ..options.policy.clone()
                },
            });
        }
    }
    if !replays.is_empty() {
        eprintln!(
            "replaying {} failing seeds with LAB_LOG=1 to keep their logs ...",
            replays.len()
        );
    }
    let outcomes = runner::run_all(&replays, options.jobs, |_, _| {});
    for (case, t) in options.cases.iter().zip(tallies) {
        for (seed, _) in &t.failed {
            let replay = replay_command(&case.package, &case.full_name, *seed);
            let kept = (replays.iter().zip(&outcomes))
                .find(|(r, _)| r.case.full_name == case.full_name && r.seed == *seed);
            match kept {
                Some((spec, outcome)) => println!("{replay}\n{}", kept_log(options, spec, outcome)),
                None => println!(
                    "{replay}\n  log: not kept (--keep {} per test)",
                    kept_count(options)
                ),
            }
        }
    }
    Ok(())
}

fn kept_count(options: &Options) -> String {
    options
        .keep
        .map_or_else(|| "all".to_string(), |k| k.to_string())
}

/// What the replay `spec` kept, and how to view it.
fn kept_log(options: &Options, spec: &RunSpec, outcome: &RunOutcome) -> String {
    let log = spec.policy.log.as_ref().expect("a replay keeps a log");
    let path = relative(&log.path);
    let verdict = match (outcome.passed, options.policy.seeded) {
        (false, _) => "",
        (true, true) => {
            "  (passed when replayed: the lab code is not deterministic; try LAB_CHECK_DETERMINISM=1)"
        }
        (true, false) => "  (passed when rerun)",
    };
    let size = match &outcome.logged {
        Some(Logged::Whole { bytes }) => format!("{}, whole", size(*bytes)),
        Some(Logged::Cut { bytes }) => format!(
            "cut at {} (--log-cap); the whole log: LAB_LOG=1 {} --nocapture > {path} 2>&1",
            size(*bytes),
            replay_command(&spec.case.package, &spec.case.full_name, spec.seed)
        ),
        Some(Logged::Failed(why)) => return format!("  log: {why}"),
        None => "not written".to_string(),
    };
    let view = logview::view_options(&log.path);
    format!(
        "  log: {path} ({size}){verdict}\n  view: cargo run -q -p tools --release --bin logs -- {path}{view}"
    )
}

fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1048576 => format!("{:.0} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20)),
    }
}

fn relative(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// The live display: one line per test (red once it has failed, green when all its runs passed)
/// and an overall bar, redrawn in place on a terminal; occasional plain lines otherwise.
struct Display {
    names: Vec<String>,
    /// Runs per test: the seeds asked for, or one for a test that ignores its seed.
    totals: Vec<u32>,
    terminal: bool,
    drawn_lines: usize,
    last_plain: Instant,
}

impl Display {
    fn new(options: &Options) -> Display {
        Display {
            names: options.cases.iter().map(|c| c.full_name.clone()).collect(),
            totals: vec![options.iterations; options.cases.len()],
            terminal: std::io::stderr().is_terminal(),
            drawn_lines: 0,
            last_plain: Instant::now(),
        }
    }

    fn clear(&mut self, err: &mut impl Write) {
        for _ in 0..self.drawn_lines {
            let _ = write!(err, "\x1b[1A\x1b[2K");
        }
        self.drawn_lines = 0;
    }

    /// A line printed above the live area.
    fn message(&mut self, text: &str) {
        let mut err = std::io::stderr();
        if self.terminal {
            self.clear(&mut err);
        }
        let _ = writeln!(err, "{text}");
    }

    fn draw(&mut self, tallies: &[Stats], started: Instant) {
        let done: u32 = tallies.iter().map(|t| t.done).sum();
        let total: u32 = self.totals.iter().sum();
        let failed: usize = tallies.iter().map(|t| t.failed.len()).sum();
        let elapsed = started.elapsed().as_secs_f64();
        let eta = if done > 0 {
            elapsed / f64::from(done) * f64::from(total - done)
        } else {
            0.0
        };
        let mut err = std::io::stderr();
        if !self.terminal {
            if self.last_plain.elapsed() >= Duration::from_secs(10) || done == total {
                self.last_plain = Instant::now();
                let _ = writeln!(err, "{done}/{total} runs, {failed} failed, {elapsed:.0} s");
            }
            return;
        }
        self.clear(&mut err);
        let width = self.names.iter().map(String::len).max().unwrap_or(0);
        for ((name, t), &of) in self.names.iter().zip(tallies).zip(&self.totals) {
            let colour = if !t.failed.is_empty() {
                "\x1b[31m"
            } else if t.done == of {
                "\x1b[32m"
            } else {
                ""
            };
            let _ = writeln!(
                err,
                "{colour}{name:<width$}  {:>5}/{:<5} {:>4} failed\x1b[0m",
                t.done,
                of,
                t.failed.len()
            );
        }
        const BAR: u32 = 40;
        let filled = (done * BAR / total.max(1)) as usize;
        let _ = writeln!(
            err,
            "[{}{}] {done}/{total} runs, {failed} failed, {elapsed:.0} s elapsed, ~{eta:.0} s left",
            "#".repeat(filled),
            ".".repeat(BAR as usize - filled)
        );
        self.drawn_lines = self.names.len() + 1;
        let _ = err.flush();
    }

    fn finish(&mut self, tallies: &[Stats], started: Instant) {
        self.draw(tallies, started);
        self.drawn_lines = 0;
    }
}
