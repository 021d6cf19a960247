//! `check-suite`: applies each curated bug (suite-check/<crate>/*.toml) to a copy of the reference
//! solution and checks that its lab's graded tests catch it.
//!
//! For a broad automatic sweep beyond these curated bugs, instructors can also run `cargo mutants`
//! (https://mutants.rs) on a lab's student files with its graded tests; the curated bugs stay the
//! check that runs in CI.

use std::process::ExitCode;

use clap::Parser;
use tools::manifest::{Manifest, find_root};
use tools::suite_check;

#[derive(Parser)]
#[command(about = "Check that every curated bug makes its lab's graded suite fail")]
struct Args {
    /// Labs to check, by id (lab3) or crate (raft); all with bug files when none is given.
    labs: Vec<String>,
    /// Seeds per graded test for each bug.
    #[arg(long, default_value_t = 3)]
    runs: u32,
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
    let verdicts = suite_check::check(&root, &manifest, &labs, args.runs, jobs)?;
    anyhow::ensure!(
        !verdicts.is_empty(),
        "no bug files under {}/",
        suite_check::DIR
    );

    println!(
        "\nSuite-strength check ({} seeds per graded test)\n",
        args.runs
    );
    let width = verdicts
        .iter()
        .map(|v| v.lab.len() + v.bug.len() + 1)
        .max()
        .unwrap_or(0);
    let (mut missed, mut gaps) = (0, 0);
    for v in &verdicts {
        let name = format!("{}/{}", v.lab, v.bug);
        match (&v.known_gap, v.caught_by.is_empty()) {
            (None, true) => {
                missed += 1;
                println!(
                    "{name:<width$}  NOT CAUGHT ({} runs passed)  {}",
                    v.runs, v.description
                );
            }
            (Some(reason), true) => {
                gaps += 1;
                println!(
                    "{name:<width$}  known gap, not caught ({} runs passed): {reason}",
                    v.runs
                );
            }
            (gap, false) => {
                println!(
                    "{name:<width$}  caught by {} of the graded tests: {}",
                    v.caught_by.len(),
                    v.caught_by.join(", ")
                );
                if gap.is_some() {
                    println!(
                        "{:width$}  (listed as a known gap: remove known_gap from its file)",
                        ""
                    );
                }
            }
        }
    }
    println!(
        "\n{} of {} bugs caught{}",
        verdicts.len() - missed - gaps,
        verdicts.len(),
        if gaps > 0 {
            format!(
                ", {gaps} known gap{} (listed above)",
                if gaps == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    );
    Ok(tools::cli::status(missed == 0))
}
