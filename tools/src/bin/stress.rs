//! `stress`: runs many seeds of the tests that match a pattern, in parallel, and reports which
//! failed, with their replay commands and logs.
//!
//! `stress lab3 3c -n 500 -j 2` runs 500 seeds of every Raft test whose name contains `3c`.

use std::path::PathBuf;
use std::time::Duration;

use std::process::ExitCode;

use clap::Parser;
use tools::manifest::{Manifest, find_root};
use tools::{runner, stress};

#[derive(Parser)]
#[command(
    about = "Run many seeds of some tests in parallel; keep the logs of failing seeds",
    after_help = "Every failing seed is replayed with LAB_LOG=1 and its whole log kept under \
                  --logs, up to --log-cap MiB (a longer log is cut, and the command that gets it \
                  whole is printed); --keep N keeps the logs of the first N failing seeds of \
                  each test only. A test that does not take the seed it is given (a fixed-seed \
                  check of bad input, a unit test) runs once."
)]
struct Args {
    /// The lab, by id (lab3) or crate (raft).
    lab: String,
    /// Tests whose names contain this text (e.g. `3c`, `figure8`); all of the lab's when absent.
    pattern: Option<String>,
    /// Seeds per test (at least 1).
    #[arg(short = 'n', long, default_value_t = 100, value_name = "N", value_parser = tools::cli::count)]
    iterations: u32,
    /// Test processes run at once; default: the number of CPUs.
    #[arg(short, long)]
    jobs: Option<usize>,
    /// Base seed from which every run's seed is derived (default: random).
    #[arg(long)]
    seed: Option<u64>,
    /// Wall-clock limit of one run, in seconds (at least 1); default: the lab's own (labs.toml).
    #[arg(long, value_name = "SECS", value_parser = tools::cli::count)]
    timeout: Option<u32>,
    /// Where to keep the logs of failing seeds.
    #[arg(long, default_value = tools::tree::STRESS_LOGS)]
    logs: PathBuf,
    /// Failing seeds per test whose logs are kept [default: every one].
    #[arg(long, value_name = "N")]
    keep: Option<usize>,
    /// The largest log kept of one seed, in MiB; a longer log is cut there, with the command that
    /// gets it whole (at least 1).
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = tools::cli::count)]
    log_cap: u32,
}

fn main() -> ExitCode {
    tools::cli::run("stress", body)
}

fn body() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let root = find_root()?;
    let manifest = Manifest::load(&root)?;
    let lab = manifest.select(std::slice::from_ref(&args.lab))?[0];
    eprintln!("building {} ...", lab.krate);
    let cases: Vec<_> = runner::build_and_list(&root, None, &lab.krate, false)?
        .into_iter()
        .filter(|c| {
            args.pattern
                .as_ref()
                .is_none_or(|p| c.full_name.to_lowercase().contains(&p.to_lowercase()))
        })
        .collect();
    anyhow::ensure!(
        !cases.is_empty(),
        "no test of {} matches `{}`",
        lab.krate,
        args.pattern.as_deref().unwrap_or("")
    );
    let base_seed = args.seed.unwrap_or_else(rand::random);
    eprintln!(
        "{} tests x {} seeds (base seed {base_seed})",
        cases.len(),
        args.iterations
    );
    let failed = stress::run(&stress::Options {
        cases,
        iterations: args.iterations,
        jobs: args.jobs.unwrap_or_else(tools::cli::default_jobs),
        base_seed,
        policy: tools::runner::Policy {
            timeout: Duration::from_secs(args.timeout.map_or(lab.timeout_secs, u64::from)),
            seeded: lab.seeded,
            exclusive: lab.exclusive,
            // Failing seeds are replayed with logging on, and that replay draws their view.
            env: tools::runner::without_views(),
            ..Default::default()
        },
        log_dir: std::env::current_dir()?.join(&args.logs),
        keep: args.keep,
        log_cap: u64::from(args.log_cap) << 20,
    })?;
    Ok(tools::cli::status(failed == 0))
}
