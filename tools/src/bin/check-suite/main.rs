//! `check-suite`: applies each curated bug (suite-check/<crate>/*.toml) to a copy of the reference
//! solution, runs its lab's graded tests on many seeds, and prints each bug's catch rate per run
//! and per grading, and the tests that passed with it without making the events they exist to
//! create happen (a bug that avoids a scenario; the grader counts no such pass). Fails when a bug
//! that is not a known gap is caught by fewer than 99% of gradings.
//!
//! For a broad automatic sweep beyond these curated bugs, instructors can also run `cargo mutants`
//! (https://mutants.rs) on a lab's student files with its graded tests; the curated bugs stay the
//! check that runs in CI.

use std::process::ExitCode;

use clap::Parser;
use tools::manifest::{Manifest, find_root};
mod suite;

use suite::{REQUIRED_PER_GRADING, Verdict};

#[derive(Parser)]
#[command(about = "Measure how often each lab's graded suite catches each curated bug")]
struct Args {
    /// Labs to check, by id (lab3) or crate (raft); all with bug files when none is given.
    labs: Vec<String>,
    /// Seeds per bug: each seed is one run of every graded test of the lab.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    seeds: u32,
    /// Only the bugs whose file name contains this text.
    #[arg(long)]
    only: Option<String>,
    /// Test processes run at once; default: the number of CPUs.
    #[arg(long, short)]
    jobs: Option<usize>,
}

fn main() -> ExitCode {
    tools::cli::run("check-suite", body)
}

fn body() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let root = find_root()?;
    let manifest = Manifest::load(&root)?;
    let labs = manifest.select(&args.labs)?;
    let jobs = args.jobs.unwrap_or_else(tools::cli::default_jobs);
    let verdicts = suite::check(
        &root,
        &manifest,
        &labs,
        args.seeds as usize,
        args.only.as_deref(),
        jobs,
    )?;
    anyhow::ensure!(
        !verdicts.is_empty(),
        "no bug files under {}/{}",
        tools::bugs::DIR,
        args.only
            .as_ref()
            .map(|o| format!(" with `{o}` in their name"))
            .unwrap_or_default()
    );
    print_table(&verdicts, args.seeds);
    let short = verdicts.iter().filter(|v| !v.acceptable()).count();
    Ok(tools::cli::status(short == 0))
}

fn print_table(verdicts: &[Verdict], seeds: u32) {
    println!(
        "\nSuite-strength check: {seeds} seeds per bug. A run is every graded test of the lab on \
         one seed; a grading is the lab's `runs` runs (labs.toml). Required: {:.0}% per grading.\n",
        REQUIRED_PER_GRADING * 100.0
    );
    let width = verdicts
        .iter()
        .map(|v| v.lab.len() + v.bug.len() + 1)
        .max()
        .unwrap_or(0);
    println!(
        "{:width$}  {:>8}  {:>16}  caught first by (seeds)",
        "bug", "per run", "per grading"
    );
    for v in verdicts {
        let name = format!("{}/{}", v.lab, v.bug);
        let grading = format!("{:.2}% ({} runs)", 100.0 * v.per_grading(), v.grading_runs);
        let tests: Vec<String> = v
            .caught_by
            .iter()
            .map(|(test, n)| format!("{test} {n}"))
            .collect();
        let mark = match (&v.known_gap, v.per_grading() >= REQUIRED_PER_GRADING) {
            (None, true) => "",
            (None, false) => "  <-- TOO WEAK",
            (Some(_), false) => "  (known gap)",
            (Some(_), true) => "  (listed as a known gap, but caught: remove known_gap)",
        };
        println!(
            "{name:width$}  {:>7.1}%  {grading:>16}  {}{mark}",
            100.0 * v.per_run(),
            if tests.is_empty() {
                "-".to_string()
            } else {
                tests.join(", ")
            }
        );
        if !v.evaded.is_empty() {
            let runs: Vec<String> = (v.evaded.iter())
                .map(|(what, n)| format!("{what} {n}"))
                .collect();
            println!(
                "{:width$}  passed without the events it exists to create (runs): {}",
                "",
                runs.join(", ")
            );
        }
        if v.stalled > 0 {
            println!(
                "{:width$}  {} run(s) stalled (watchdog or wall-clock limit), not counted",
                "", v.stalled
            );
        }
    }
    println!();
    for v in verdicts {
        if let Some(reason) = &v.known_gap {
            println!("known gap {}/{}: {reason}", v.lab, v.bug);
        }
        if !v.acceptable() {
            println!(
                "TOO WEAK {}/{}: {}\n  caught on {} of {} seeds; strengthen the suite (or add \
                 runs in labs.toml), or record it as a known_gap with the reason",
                v.lab, v.bug, v.description, v.caught, v.seeds
            );
        }
        if let (false, Some((test, seed))) = (v.acceptable() && v.known_gap.is_none(), &v.example) {
            println!(
                "  {}/{}: seed {seed} is caught by {test} (with the bug's edits applied: \
                 LAB_SEED={seed} cargo test -p {} --release -- {test})",
                v.lab, v.bug, v.lab
            );
        }
    }
    let caught = verdicts.iter().filter(|v| v.acceptable()).count();
    println!(
        "\n{caught} of {} bugs pass (caught by at least {:.0}% of gradings, or known gaps); \
         {:.0} s in all",
        verdicts.len(),
        REQUIRED_PER_GRADING * 100.0,
        verdicts
            .iter()
            .map(|v| v.elapsed.as_secs_f64())
            .sum::<f64>()
    );
}
