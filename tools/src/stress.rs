//! The stress runner: many seeds of some tests, in parallel, with a live per-test display and a
//! table at the end. Failing seeds are replayed with logging on (the simulator replays them
//! exactly) and their logs kept, ready for the log viewer.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::grade::failure_reason;
use crate::logview;
use crate::runner::{self, RunOutcome, RunSpec, TestCase, replay_command};

/// What to stress.
pub struct Options {
    pub cases: Vec<TestCase>,
    pub iterations: u32,
    pub jobs: usize,
    pub base_seed: u64,
    /// How every run runs (its time limit, whether it takes a seed, whether it runs alone).
    pub policy: runner::Policy,
    pub log_dir: PathBuf,
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
}

impl Stats {
    fn add(&mut self, seed: Option<u64>, outcome: &RunOutcome) {
        self.done += 1;
        self.wall_sum += outcome.wall.as_secs_f64();
        if !outcome.passed {
            self.failed.push((seed, failure_reason(outcome)));
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
    // Interleave the tests, so every test gets going early.
    let mut specs = Vec::new();
    for k in 0..options.iterations {
        for case in &options.cases {
            specs.push(runner::spec(case, k, options.base_seed, &options.policy));
        }
    }
    let mut tallies = vec![Stats::default(); n];
    let mut display = Display::new(options);
    let started = Instant::now();
    runner::run_all(&specs, options.jobs, |i, outcome| {
        let t = i % n;
        tallies[t].add(specs[i].seed, outcome);
        if !outcome.passed {
            let seed = specs[i]
                .seed
                .map_or_else(String::new, |s| format!(" seed {s}"));
            // The first line says what is wrong; the whole explanation is in the kept log.
            let reason = failure_reason(outcome);
            display.message(&format!(
                "FAIL {}{seed}: {}",
                options.cases[t].full_name,
                reason.lines().next().unwrap_or("")
            ));
        }
        display.draw(&tallies, started);
    });
    display.finish(&tallies, started);

    print_table(options, &tallies, started.elapsed());
    keep_failure_logs(options, &tallies)?;
    Ok(tallies.iter().map(|t| t.failed.len()).sum())
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
    let runs: u32 = tallies.iter().map(|t| t.done).sum();
    let failed: usize = tallies.iter().map(|t| t.failed.len()).sum();
    println!(
        "\n{failed} of {runs} runs failed, in {:.1} s of wall time",
        elapsed.as_secs_f64()
    );
}

/// Replays each failing seed with `LAB_LOG=1` and keeps its output; prints the replay commands.
fn keep_failure_logs(options: &Options, tallies: &[Stats]) -> anyhow::Result<()> {
    const LOGS_PER_TEST: usize = 5;
    for (case, t) in options.cases.iter().zip(tallies) {
        for (seed, _) in t.failed.iter().take(LOGS_PER_TEST) {
            std::fs::create_dir_all(&options.log_dir)?;
            let name = format!(
                "{}-{}.log",
                case.short_name,
                seed.map_or_else(|| "run".to_string(), |s| s.to_string())
            );
            let path = options.log_dir.join(name);
            let replay = runner::run_one(&RunSpec {
                case: case.clone(),
                seed: *seed,
                policy: runner::Policy {
                    // Uncaptured, so the log survives a run that ends without libtest printing
                    // what it captured: a watchdog exit, a wall-clock kill.
                    env: vec![
                        ("LAB_LOG".into(), "1".into()),
                        ("RUST_TEST_NOCAPTURE".into(), "1".into()),
                    ],
                    ..options.policy.clone()
                },
            });
            std::fs::write(&path, &replay.output)?;
            let verdict = if replay.passed {
                if options.policy.seeded {
                    "  (passed when replayed: the lab code is not deterministic; try LAB_CHECK_DETERMINISM=1)"
                } else {
                    "  (passed when rerun)"
                }
            } else {
                ""
            };
            let columns = match logview::columns_needed(&replay.output) {
                0 => String::new(),
                n => format!(" -c {n}"),
            };
            println!(
                "{}\n  log: {}{verdict}\n  view: cargo run -q -p tools --release --bin logs -- {}{columns}",
                replay_command(&case.package, &case.full_name, *seed),
                relative(&path),
                relative(&path)
            );
        }
        if t.failed.len() > LOGS_PER_TEST {
            println!(
                "  ({} more failing seeds of {})",
                t.failed.len() - LOGS_PER_TEST,
                case.full_name
            );
        }
    }
    Ok(())
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
    total_per_test: u32,
    terminal: bool,
    drawn_lines: usize,
    last_plain: Instant,
}

impl Display {
    fn new(options: &Options) -> Display {
        Display {
            names: options.cases.iter().map(|c| c.full_name.clone()).collect(),
            total_per_test: options.iterations,
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
        let total = self.total_per_test * tallies.len() as u32;
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
        for (name, t) in self.names.iter().zip(tallies) {
            let colour = if !t.failed.is_empty() {
                "\x1b[31m"
            } else if t.done == self.total_per_test {
                "\x1b[32m"
            } else {
                ""
            };
            let _ = writeln!(
                err,
                "{colour}{name:<width$}  {:>5}/{:<5} {:>4} failed\x1b[0m",
                t.done,
                self.total_per_test,
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
