//! `lincheck <model> <files...>`: checks recorded histories for linearizability and prints each
//! verdict (`ok`, `illegal` or `unknown`) with the time it took.
//!
//! Exit status: 0 if every history is linearizable, 1 if any is illegal or undecided, 2 if a file
//! could not be read or parsed.

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
    /// Give up on a history after this many seconds; its verdict is then `unknown`
    #[arg(long, default_value_t = 60.0)]
    timeout: f64,
    /// Write an HTML timeline of every history into this directory
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    /// Check each history this many times and report the mean time
    #[arg(long, default_value_t = 1, value_name = "N")]
    repeat: u32,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModelArg {
    Kv,
    KvWhole,
    Etcd,
}

fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut inside: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file())
                    .collect();
                inside.sort();
                files.extend(inside);
            }
            // Not a directory (or missing): reading it reports the problem.
            Err(_) => files.push(path.clone()),
        }
    }
    files
}

/// Checks one file `repeat` times; returns the last result and the mean time.
fn check_file<M: Model>(
    model: &M,
    path: &Path,
    parse: impl Fn(&str) -> Result<History<M::Input, M::Output>, formats::ParseError>,
    args: &Args,
) -> Result<(CheckResult, Duration, usize)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let history = parse(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    let timeout = Duration::from_secs_f64(args.timeout);
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
        timeline::write(model, &history, &result, &title, &out)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok((result, mean, history.ops.len()))
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(dir) = &args.html
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("lincheck: cannot create {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let files = expand(&args.files);
    let (mut ok, mut bad, mut failed) = (0, 0, 0);
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
                        format!(", timed out after {} s", args.timeout)
                    }
                    _ => String::new(),
                };
                println!(
                    "{}: {} ({:.3} ms, {n} operations, {} partitions{note})",
                    path.display(),
                    result.verdict,
                    mean.as_secs_f64() * 1e3,
                    result.partitions.len()
                );
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
    println!(
        "{} histories in {:.3} s: {ok} ok, {bad} illegal or unknown, {failed} unreadable",
        files.len(),
        started.elapsed().as_secs_f64()
    );
    if failed > 0 {
        ExitCode::from(2)
    } else if bad > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
