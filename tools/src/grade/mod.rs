//! The grader: every graded test of the chosen labs, several seeds each, one process per run, in
//! parallel; a score per lab and part; Gradescope's `results.json`.

pub mod area;
mod gradescope;
mod lint;
pub mod notes;
mod prepare;
mod report;
mod submission;
pub(crate) mod zip;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::manifest::Lab;
use crate::runner::{self, BuildFailure, Progress, RunOutcome, TestCase};

pub use gradescope::{autograder_zip, results_json, write_results};
pub use lint::clippy_notes;
pub use notes::{Kind, Notes};
pub use prepare::{Prepared, prepare};
pub use report::{print_report, run_warnings};
pub use submission::overlay_submission;

/// The outcome of one graded test over all its runs.
#[derive(Debug, Clone)]
pub struct TestResult {
    pub lab_id: String,
    pub lab_name: String,
    pub part: String,
    pub name: String,
    pub package: String,
    /// libtest's full name, for the replay command (empty if the lab did not build).
    pub full_name: String,
    pub max_points: f64,
    pub runs: Vec<(Option<u64>, RunOutcome)>,
    /// The compiler's output, when the lab did not build.
    pub build_error: Option<String>,
}

impl TestResult {
    /// A test passes when every one of its runs passed.
    pub fn passed(&self) -> bool {
        self.build_error.is_none() && !self.runs.is_empty() && self.runs.iter().all(|r| r.1.passed)
    }

    pub fn points(&self) -> f64 {
        if self.passed() { self.max_points } else { 0.0 }
    }

    pub fn failed_runs(&self) -> impl Iterator<Item = &(Option<u64>, RunOutcome)> {
        self.runs.iter().filter(|r| !r.1.passed)
    }
}

/// How to grade.
#[derive(Debug, Clone)]
pub struct Options {
    /// Runs per test; `None` uses each lab's own number.
    pub runs: Option<u32>,
    pub jobs: usize,
    pub base_seed: u64,
    /// Build into this directory instead of the tree's own `target/`.
    pub target_dir: Option<std::path::PathBuf>,
    /// What each test run may use (memory, the user it runs as).
    pub limits: runner::Limits,
    /// How long building one lab may take.
    pub build_limit: Duration,
}

/// Builds and runs every graded test of `labs` in the workspace at `tree`.
pub fn grade(tree: &Path, labs: &[&Lab], options: &Options) -> anyhow::Result<Vec<TestResult>> {
    check_reach(tree, options)?;
    let mut results = Vec::new();
    let mut specs = Vec::new();
    for lab in labs {
        let cases: Vec<TestCase> = match build(tree, lab, options)? {
            Ok(cases) => cases,
            Err(failure) => {
                for (part, name, points) in lab.graded_tests() {
                    results.push(new_result(lab, &part.id, name, points, String::new()));
                    results.last_mut().unwrap().build_error = Some(failure.output.clone());
                }
                continue;
            }
        };
        let policy = runner::Policy {
            timeout: Duration::from_secs(lab.timeout_secs),
            seeded: lab.seeded,
            exclusive: lab.exclusive,
            env: runner::without_views(),
            limits: options.limits.clone(),
            require_evidence: true,
            log: None,
        };
        let runs = options.runs.unwrap_or(lab.runs);
        for (part, name, points) in lab.graded_tests() {
            let case = runner::find(&cases, &lab.krate, name)?;
            let full_name = case.full_name.clone();
            results.push(new_result(lab, &part.id, name, points, full_name));
            specs.extend((0..runs).map(|k| runner::spec(case, k, options.base_seed, &policy)));
        }
    }
    let started = Instant::now();
    let mut progress = Progress::new(specs.len());
    let outcomes = runner::run_all(&specs, options.jobs, |i, outcome| {
        progress.tick(outcome.passed, &specs[i].case.short_name);
    });
    for (spec, outcome) in specs.iter().zip(outcomes) {
        let result = (results.iter_mut())
            .find(|r| r.package == spec.case.package && r.full_name == spec.case.full_name)
            .expect("every run is of a graded test");
        result.runs.push((spec.seed, outcome));
    }
    eprintln!(
        "ran {} runs in {:.1} s",
        specs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(results)
}

/// Builds the graded tests of `labs` in the workspace at `tree` and runs none (to have the build
/// ready for later gradings); how many labs built. A lab that does not build is reported with
/// the compiler's output.
pub fn build_only(tree: &Path, labs: &[&Lab], options: &Options) -> anyhow::Result<usize> {
    check_reach(tree, options)?;
    let mut built = 0;
    for lab in labs {
        match build(tree, lab, options)? {
            Ok(_) => built += 1,
            Err(failure) => eprintln!("{failure}"),
        }
    }
    Ok(built)
}

/// Builds one lab's tests and lists them, under the limits its tests run with; a compile error
/// (or a build past its limit) is the inner error.
fn build(
    tree: &Path,
    lab: &Lab,
    options: &Options,
) -> anyhow::Result<Result<Vec<TestCase>, BuildFailure>> {
    eprintln!("building {} ({}) ...", lab.krate, lab.name);
    let built = runner::build_and_list_within(
        tree,
        options.target_dir.as_deref(),
        &lab.krate,
        false,
        options.build_limit,
        &options.limits,
    );
    match built {
        Ok(cases) => Ok(Ok(cases)),
        Err(e) => e.downcast::<BuildFailure>().map(Err),
    }
}

/// Before anything is built: the user the tests run as must reach the tree and its build.
fn check_reach(tree: &Path, options: &Options) -> anyhow::Result<()> {
    let Some(user) = &options.limits.run_as else {
        return Ok(());
    };
    let target = options
        .target_dir
        .clone()
        .unwrap_or_else(|| tree.join("target"));
    // Cargo makes it if need be, with the modes the build gives it (see `runner::build`).
    let target = target.ancestors().find(|d| d.exists()).unwrap_or(tree);
    for dir in [tree, target] {
        user.check_enters(dir).map_err(|e| {
            anyhow::anyhow!(
                "{e:#}: the tests run as {} must reach the graded tree and its build (`grade` as \
                 root puts both in a grading area that user can enter: see --work-dir)",
                user.name
            )
        })?;
    }
    Ok(())
}

fn new_result(lab: &Lab, part: &str, name: &str, points: f64, full_name: String) -> TestResult {
    TestResult {
        lab_id: lab.id.clone(),
        lab_name: lab.name.clone(),
        part: part.to_string(),
        name: name.to_string(),
        package: lab.krate.clone(),
        full_name,
        max_points: points,
        runs: Vec::new(),
        build_error: None,
    }
}

/// Why a run failed, in one line: from the harness's own evidence, the signal that ended the
/// test process, or the runner's limits, never from lines the test's output could forge.
pub fn failure_reason(outcome: &RunOutcome) -> String {
    outcome
        .reason
        .clone()
        .unwrap_or_else(|| "passed".to_string())
}
