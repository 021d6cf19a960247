//! `grade`: the course's grading script. Runs every graded test of every lab (or those named)
//! several times with distinct recorded seeds, prints a score table and the replay command of
//! every failing run, and writes Gradescope's `results.json`.
//!
//! `make grade` runs it on the project itself; `--submission DIR` grades a student's files on a
//! clean copy of the handout.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use std::process::ExitCode;

use clap::Parser;
use tools::grade::{self, Options};
use tools::handout;
use tools::manifest::{Manifest, find_root};

#[derive(Parser)]
#[command(about = "Grade the labs: every graded test, several seeds each, with a score table")]
struct Args {
    /// Labs to grade, by id (lab3) or crate (raft); all when none is given.
    labs: Vec<String>,
    /// Runs per test (each with its own seed); default: the lab's own number in labs.toml.
    #[arg(long)]
    runs: Option<u32>,
    /// Test processes run at once; default: the number of CPUs.
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Base seed from which every run's seed is derived (default: random, and printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Grade the student files found in this directory, on a clean copy of the handout.
    #[arg(long)]
    submission: Option<PathBuf>,
    /// Where to write Gradescope's results.json.
    #[arg(long, default_value = "grade-results/results.json")]
    output: PathBuf,
}

fn main() -> ExitCode {
    tools::cli::run("grade", body)
}

fn body() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let started = Instant::now();
    let root = find_root()?;
    let manifest = Manifest::load(&root)?;
    let labs = manifest.select(&args.labs)?;
    let base_seed = args.seed.unwrap_or_else(rand::random);
    let jobs = args.jobs.unwrap_or_else(tools::cli::default_jobs);
    eprintln!(
        "grading with base seed {base_seed} (rerun with --seed {base_seed} for the same seeds)"
    );

    let mut notes = Vec::new();
    let (tree, target_dir) = match &args.submission {
        None => (root.clone(), None),
        Some(submission) => {
            let tree = root.join("target/graded-submission");
            handout::generate(&root, &manifest, &tree)?;
            notes = grade::overlay_submission(&manifest, &labs, &tree, submission)?;
            for note in &notes {
                eprintln!("note: {note}");
            }
            (tree, Some(tools::runner::copies_target_dir(&root)))
        }
    };
    let options = Options {
        runs: args.runs,
        jobs,
        base_seed,
        target_dir,
    };
    let results = grade::grade(&tree, &labs, &options)?;
    let (_, failed) = grade::print_report(&results);

    let json = grade::results_json(&results, started.elapsed().as_secs(), &notes);
    let output = if args.output.is_absolute() {
        args.output.clone()
    } else {
        std::env::current_dir()?.join(&args.output)
    };
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&output, serde_json::to_string_pretty(&json)? + "\n")
        .with_context(|| format!("cannot write {}", output.display()))?;
    println!("wrote {}", output.display());
    Ok(tools::cli::status(failed == 0))
}
