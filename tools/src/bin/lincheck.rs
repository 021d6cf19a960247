//! `lincheck <model> <files...>`: checks recorded histories for linearizability and prints each
//! verdict (`ok`, `illegal` or `unknown`) with the time it took.
//!
//! Exit status: 0 if every history is linearizable, 1 if any is illegal or undecided, 2 if a file
//! could not be read or parsed or holds no operations, or the command line is wrong.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use tests::lincheck::kv::KvModel;
use tests::lincheck::kv_whole::KvWholeModel;
use tests::lincheck::register::RegisterModel;
use tests::lincheck::{self, CheckResult, History, Model, Verdict, formats, timeline};

#[derive(Parser)]
#[command(
    about = "Checks recorded histories for linearizability",
    after_help = "Directories are expanded to the files they contain. Example:\n  \
                  lincheck etcd path/to/jepsen/etcd_*.log"
)]
struct Args {
    /// Format and model of the histories: `kv` for porcupine's key/value logs (cNN-*.txt),
    /// `kv-whole` for the same checked as one store rather than key by key (as porcupine's
    /// KvNoPartition tests do), `etcd` for Jepsen's etcd register logs (etcd_NNN.log)
    model: ModelArg,
    /// History files (or directories of them)
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Give up on a history after this many seconds (more than 0, at most a day); its verdict is
    /// then `unknown`
    #[arg(long, default_value = "60", value_parser = timeout_secs, allow_hyphen_values = true)]
    timeout: Duration,
    /// Write an HTML timeline of every history into this directory
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    /// Check each history this many times and report the mean time
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = tools::cli::count)]
    repeat: u32,
}

/// The longest `--timeout`: a day, far beyond any history worth waiting for, and far from the
/// overflow of a deadline computed from it.
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// Histories this tool reads are kilobytes to a few megabytes; a file beyond this is not one.
const MAX_HISTORY_BYTES: u64 = 64 << 20;

fn timeout_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= MAX_TIMEOUT_SECS) {
        return Err(format!(
            "must be a number of seconds above 0 and at most {MAX_TIMEOUT_SECS} (a day)"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[derive(Clone, Copy, ValueEnum)]
enum ModelArg {
    Kv,
    KvWhole,
    Etcd,
}

impl ModelArg {
    /// The name the command line uses.
    fn name(self) -> String {
        self.to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string())
    }
}

/// The files to check: each path given, with directories replaced by the regular files they hold.
/// A directory holding none is an error, like a file holding no operations.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            // Reading it reports whatever is wrong with it.
            files.push(path.clone());
            continue;
        }
        let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot list {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        anyhow::ensure!(
            !inside.is_empty(),
            "{} is a directory with no history files in it",
            path.display()
        );
        inside.sort();
        files.extend(inside);
    }
    Ok(files)
}

/// Checks one file `repeat` times; returns the last result and the mean time.
fn check_file<M: Model>(
    model: &M,
    path: &Path,
    parse: impl Fn(&str) -> Result<History<M::Input, M::Output>, formats::ParseError>,
    args: &Args,
) -> Result<(CheckResult, Duration, usize)> {
    let bytes = tools::cli::read_regular_file(path, MAX_HISTORY_BYTES, "history")?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{} is not a text file", path.display()))?;
    let history = parse(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    anyhow::ensure!(
        !history.ops.is_empty(),
        "no operations found in {}: is it empty, or a history of another kind than `{}`?",
        path.display(),
        args.model.name()
    );
    let timeout = args.timeout;
    let started = Instant::now();
    let mut result = lincheck::check(model, &history, Some(timeout));
    for _ in 1..args.repeat {
        result = lincheck::check(model, &history, Some(timeout));
    }
    let mean = started.elapsed() / args.repeat.max(1);
    if let Some(dir) = &args.html {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let out = dir.join(format!("{name}.html"));
        let title = format!("{name}: {}", result.verdict);
        timeline::write(model, &history, &result, &title, None, &out)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok((result, mean, history.ops.len()))
}

/// Writes one line of the report. `Err` holds the exit status to stop with: success when the
/// reader closed the pipe (`lincheck ... | head` is the reader's choice, not an error), 2 when
/// standard output failed otherwise (a full disk), which is said on standard error.
fn say(out: &mut impl Write, line: &str) -> Result<(), ExitCode> {
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("lincheck: cannot write the report: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// A check's time in milliseconds, to four significant digits: small logs take a few µs.
fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    let decimals = (3 - ms.max(1e-9).log10().floor() as i32).clamp(0, 6) as usize;
    format!("{ms:.decimals$} ms")
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(dir) = &args.html
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("lincheck: cannot create {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let files = match expand(&args.files) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("lincheck: {e:#}");
            return ExitCode::from(2);
        }
    };
    let (mut ok, mut bad, mut failed) = (0, 0, 0);
    let mut out = std::io::stdout().lock();
    let started = Instant::now();
    for path in &files {
        let outcome = match args.model {
            ModelArg::Kv => check_file(&KvModel, path, formats::parse_porcupine_kv, &args),
            ModelArg::KvWhole => {
                check_file(&KvWholeModel, path, formats::parse_porcupine_kv, &args)
            }
            ModelArg::Etcd => check_file(&RegisterModel, path, formats::parse_jepsen_etcd, &args),
        };
        match outcome {
            Ok((result, mean, n)) => {
                let note = match result.verdict {
                    Verdict::Unknown if result.timed_out => {
                        format!(", timed out after {} s", args.timeout.as_secs_f64())
                    }
                    _ => String::new(),
                };
                let line = format!(
                    "{}: {} ({}, {n} operations, {} partitions{note})",
                    path.display(),
                    result.verdict,
                    millis(mean),
                    result.partitions.len()
                );
                if let Err(code) = say(&mut out, &line) {
                    return code;
                }
                if result.verdict == Verdict::Ok {
                    ok += 1;
                } else {
                    bad += 1;
                }
            }
            Err(e) => {
                eprintln!("lincheck: {e:#}");
                failed += 1;
            }
        }
    }
    let line = format!(
        "{} histories in {:.3} s: {ok} ok, {bad} illegal or unknown, {failed} unreadable",
        files.len(),
        started.elapsed().as_secs_f64()
    );
    if let Err(code) = say(&mut out, &line) {
        return code;
    }
    if failed > 0 {
        ExitCode::from(2)
    } else if bad > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod time_format {
    use super::*;

    #[test]
    fn times_keep_four_significant_digits() {
        assert_eq!(millis(Duration::from_nanos(9_512)), "0.009512 ms");
        assert_eq!(millis(Duration::from_micros(58_812)), "58.81 ms");
        assert_eq!(millis(Duration::from_millis(4_000)), "4000 ms");
        assert_eq!(millis(Duration::ZERO), "0.000000 ms");
    }
}
