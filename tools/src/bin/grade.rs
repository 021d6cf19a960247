//! `grade`: the course's grading script. Runs every graded test of every lab (or those named)
//! several times with distinct recorded seeds, prints a score table and the replay command of
//! every failing run, and writes Gradescope's `results.json`.
//!
//! `make grade` runs it on the project itself; `--submission DIR` grades a student's files on a
//! clean copy of the handout.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use std::process::ExitCode;

use clap::Parser;
use tools::grade::{self, Kind, Notes, Options};
use tools::manifest::{Manifest, find_root};
use tools::runner;
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
    /// Address-space limit of each test run, in MiB; a run that exceeds it fails as out of memory.
    #[arg(long, default_value_t = 4096)]
    memory_mb: u64,
    /// Stop a lab's build after this many seconds; the lab then scores as not building.
    #[arg(long, default_value_t = tools::runner::DEFAULT_BUILD_LIMIT.as_secs())]
    build_timeout_secs: u64,
    /// Run the tests as this user. Only for a grader running as root, which runs them as
    /// `nobody` unless told otherwise: student code must not run as root.
    #[arg(long)]
    run_as: Option<String>,
    /// Skip clippy on the student files (whose warnings go into the report's notes).
    #[arg(long)]
    no_clippy: bool,
    /// Only for a grader running as root: the grading area, a directory the grader makes (or
    /// one it made before) for the graded copy and its build, readable by the test user and
    /// writable by root alone [default: /var/tmp/6.5840-grading-<hash of the project's path>].
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Build the labs' tests (in the grading area, as root) and run none: the build is then
    /// ready for later gradings (Gradescope's setup does this). Writes no results.
    #[arg(long)]
    build_only: bool,
}

/// The smallest memory limit accepted: a test binary's runtime alone reserves tens of MiB.
const MIN_MEMORY_MB: u64 = 64;

fn main() -> ExitCode {
    tools::cli::run("grade", body)
}

fn body() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let started = Instant::now();
    let root = find_root()?;
    let manifest = Manifest::load(&root)?;
    let labs = manifest.select(&args.labs)?;
    let limits = limits(&args)?;
    anyhow::ensure!(
        args.build_timeout_secs >= 1,
        "--build-timeout-secs must be at least 1 (it is the limit of one lab's build)"
    );
    let output = results_path(args.output.as_deref())?;
    let area = area(&args, &limits, &root)?;
    // A grader killed halfway must not leave an earlier grade in place.
    if !args.build_only {
        match std::fs::remove_file(&output) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove {}", output.display()));
            }
            _ => {}
        }
    }
    let base_seed = args.seed.unwrap_or_else(rand::random);
    let jobs = args.jobs.unwrap_or_else(tools::cli::default_jobs);

    let prepared = grade::prepare(
        &root,
        &manifest,
        &labs,
        args.submission.as_deref(),
        area.as_ref(),
    )?;
    let tree = prepared.tree.clone();
    if args.submission.is_some() {
        for note in &prepared.notes {
            eprintln!("note: {note}");
        }
    } else {
        // In a student's handout: what the course grader would undo, said before and after.
        warn_protected(&prepared.notes);
    }
    let options = Options {
        runs: args.runs,
        jobs,
        base_seed,
        target_dir: prepared.target_dir().map(Path::to_path_buf),
        limits,
        build_limit: Duration::from_secs(args.build_timeout_secs),
    };
    if args.build_only {
        let built = grade::build_only(&tree, &labs, &options)?;
        eprintln!(
            "built {built} of {} labs in {:.0} s; no tests were run",
            labs.len(),
            started.elapsed().as_secs_f64()
        );
        return Ok(tools::cli::status(built == labs.len()));
    }
    eprintln!(
        "grading with base seed {base_seed} (rerun with --seed {base_seed} for the same seeds)"
    );
    let results = grade::grade(&tree, &labs, &options)?;
    let mut notes = Notes::new();
    let files = match args.submission {
        Some(_) => Kind::Submission,
        None => Kind::Protected,
    };
    notes.add(files, prepared.notes.clone());
    notes.add(Kind::Scenarios, grade::uncounted_runs(&results));
    notes.add(Kind::RunWarnings, grade::run_warnings(&results));
    if !args.no_clippy {
        eprintln!("clippy on the student files ...");
        let lints = grade::clippy_notes(
            &manifest,
            &labs,
            &tree,
            options.target_dir.as_deref(),
            options.build_limit,
        );
        notes.add(Kind::Lints, lints);
    }
    // Replays must run where the graded code is, not in the instructor's tree.
    let replay_in = args.submission.is_some().then_some(tree.as_path());
    let (_, failed) = grade::print_report(&results, replay_in);
    print!("{}", notes.text());
    if args.submission.is_none() {
        warn_protected(&prepared.notes);
    }

    let json = grade::results_json(&results, started.elapsed().as_secs(), &notes);
    grade::write_results(&output, &json)?;
    println!("wrote {}", output.display());
    Ok(tools::cli::status(failed == 0))
}

/// What each test run may use, from the flags (and whether the grader runs as root).
fn limits(args: &Args) -> anyhow::Result<runner::Limits> {
    anyhow::ensure!(
        args.memory_mb >= MIN_MEMORY_MB,
        "--memory-mb {} is too small: a test needs at least {MIN_MEMORY_MB} MiB",
        args.memory_mb
    );
    let run_as = match (&args.run_as, runner::is_root()) {
        (Some(name), true) => Some(runner::User::lookup(name)?),
        (None, true) => Some(runner::User::lookup("nobody")?),
        (Some(_), false) => {
            anyhow::bail!(
                "--run-as needs a grader running as root; leave it out to run tests as yourself"
            )
        }
        (None, false) => None,
    };
    if let Some(user) = &run_as {
        eprintln!("running the tests as user {} (uid {})", user.name, user.uid);
    }
    Ok(runner::Limits {
        memory_bytes: Some(args.memory_mb << 20),
        run_as,
    })
}

/// The grading area, when the tests run as another user than the grader (a root grader's
/// `nobody`), who must reach the graded copy and its build wherever the project is.
fn area(
    args: &Args,
    limits: &runner::Limits,
    root: &Path,
) -> anyhow::Result<Option<grade::area::Area>> {
    let user = limits.run_as.as_ref().filter(|user| !user.is_current());
    let Some(user) = user else {
        anyhow::ensure!(
            args.work_dir.is_none(),
            "--work-dir is for a grader running as root whose tests run as another user; here \
             the tests run as the grader's own user, in the project: leave it out"
        );
        return Ok(None);
    };
    let dir = match &args.work_dir {
        Some(dir) => std::env::current_dir()?.join(dir),
        None => grade::area::default_dir(root),
    };
    let area = grade::area::Area::open(&dir, user, root)?;
    eprintln!(
        "grading in {} (a copy of the tree and its build, which user {} can read)",
        area.dir().display(),
        user.name
    );
    Ok(Some(area))
}

/// The results file, as an absolute path (the grader's working directory may change).
fn results_path(output: Option<&Path>) -> anyhow::Result<PathBuf> {
    let output = output.map_or_else(
        || Path::new(tree::GRADE_RESULTS).join("results.json"),
        Path::to_path_buf,
    );
    Ok(if output.is_absolute() {
        output
    } else {
        std::env::current_dir()?.join(output)
    })
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
