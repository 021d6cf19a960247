//! `grade`: the course's grading script. Runs every graded test of every lab (or those named)
//! several times with distinct recorded seeds, prints a score table and the replay command of
//! every failing run, and writes Gradescope's `results.json`.
//!
//! `make grade` runs it on the project itself; `--submission DIR` grades a student's files on a
//! clean copy of the handout.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use std::process::ExitCode;

use clap::Parser;
use tools::grade::{self, Options};
use tools::handout;
use tools::manifest::{Manifest, find_root};
use tools::tree;

#[derive(Parser)]
#[command(about = "Grade the labs: every graded test, several seeds each, with a score table")]
struct Args {
    /// Labs to grade, by id (lab3) or crate (raft); all when none is given.
    labs: Vec<String>,
    /// Runs per test (each with its own seed, at least 1); default: the lab's own in labs.toml.
    #[arg(long, value_parser = tools::cli::count)]
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
    /// Where to write Gradescope's results.json [default: grade-results/results.json].
    #[arg(long)]
    output: Option<PathBuf>,
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

    let (tree, target_dir, notes) = match &args.submission {
        None => {
            // In a student's handout: what the course grader would undo, said before and after.
            let notes = handout::fingerprint::changes(&root, &manifest)?;
            warn_protected(&notes);
            (root.clone(), None, notes)
        }
        Some(submission) => {
            let tree = root.join("target/graded-submission");
            handout::generate(&root, &manifest, &tree)?;
            let notes = grade::overlay_submission(&manifest, &labs, &tree, submission)?;
            for note in &notes {
                eprintln!("note: {note}");
            }
            (tree, Some(tools::runner::copies_target_dir(&root)), notes)
        }
    };
    let options = Options {
        runs: args.runs,
        jobs,
        base_seed,
        target_dir,
    };
    let results = grade::grade(&tree, &labs, &options)?;
    // Replays must run where the graded code is, not in the instructor's tree.
    let replay_in = args.submission.is_some().then_some(tree.as_path());
    let (_, failed) = grade::print_report(&results, replay_in);
    if args.submission.is_none() {
        warn_protected(&notes);
    }

    let json = grade::results_json(&results, started.elapsed().as_secs(), &notes);
    let output = args
        .output
        .unwrap_or_else(|| Path::new(tree::GRADE_RESULTS).join("results.json"));
    let output = if output.is_absolute() {
        output
    } else {
        std::env::current_dir()?.join(output)
    };
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&output, serde_json::to_string_pretty(&json)? + "\n")
        .with_context(|| format!("cannot write {}", output.display()))?;
    println!("wrote {}", output.display());
    Ok(tools::cli::status(failed == 0))
}

/// Loud, because the local score is only the course's if these files are as handed out.
fn warn_protected(changes: &[String]) {
    if changes.is_empty() {
        return;
    }
    eprintln!(
        "\nWARNING: this handout differs from the one you were given in files the course grader \
         restores. Your grade there can differ from this one:"
    );
    for change in changes {
        eprintln!("  - {change}");
    }
    eprintln!();
}
