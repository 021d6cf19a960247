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
pub use report::{print_report, run_warnings, uncounted_runs};
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
    /// Passing runs that made the test's scenario happen, needed for the points: the lab's runs
    /// per test.
    pub runs_wanted: usize,
    /// The compiler's output, when the lab did not build.
    pub build_error: Option<String>,
}

/// How many runs a test may draw beyond its lab's runs per test, to replace passes in which the
/// test's scenario did not happen (at least [`MIN_REDRAWS`]).
fn redraw_budget(runs: u32) -> u32 {
    runs.max(MIN_REDRAWS)
}

/// The fewest extra runs any test may draw (a lab that grades one run per test draws three).
const MIN_REDRAWS: u32 = 3;

impl TestResult {
    /// A test passes when every one of its runs passed and enough of them made its scenario
    /// happen: a pass in which an event the test exists to create did not happen grades nothing.
    pub fn passed(&self) -> bool {
        self.build_error.is_none()
            && !self.runs.is_empty()
            && self.runs.iter().all(|r| r.1.passed)
            && self.counted_runs() >= self.runs_wanted
    }

    /// Passing runs that made the test's scenario happen.
    pub fn counted_runs(&self) -> usize {
        (self.runs.iter())
            .filter(|(_, o)| o.passed && o.missing.is_empty())
            .count()
    }

    /// Passing runs that did not count: an event the test exists to create did not happen.
    pub fn uncounted_runs(&self) -> impl Iterator<Item = &(Option<u64>, RunOutcome)> {
        (self.runs.iter()).filter(|(_, o)| o.passed && !o.missing.is_empty())
    }

    /// Why the test scores nothing though no run failed: its scenario happened in too few runs.
    pub fn scenario_shortfall(&self) -> Option<String> {
        if self.build_error.is_some()
            || self.runs.is_empty()
            || self.failed_runs().next().is_some()
            || self.counted_runs() >= self.runs_wanted
        {
            return None;
        }
        let mut missing: Vec<&str> = Vec::new();
        for (_, outcome) in self.uncounted_runs() {
            for event in &outcome.missing {
                if !missing.contains(&event.as_str()) {
                    missing.push(event);
                }
            }
        }
        Some(format!(
            "every run passed, but only {} of {} made the test's scenario happen ({} needed): {} \
             did not happen. The test grades what that scenario exercises, so a solution that \
             avoids it earns no points for it",
            self.counted_runs(),
            self.runs.len(),
            self.runs_wanted,
            missing.join(", ")
        ))
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
    let mut planned = Vec::new();
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
            results.last_mut().unwrap().runs_wanted = runs as usize;
            planned.push(Planned {
                result: results.len() - 1,
                case: case.clone(),
                policy: policy.clone(),
                next_run: runs,
                last_run: runs + redraw_budget(runs),
            });
            specs.extend((0..runs).map(|k| runner::spec(case, k, options.base_seed, &policy)));
        }
    }
    let started = Instant::now();
    let mut total = 0;
    // Then, for each test whose passes did not all make its scenario happen, as many new seeds
    // as it lacks, until it has enough or its budget is spent.
    while !specs.is_empty() {
        total += specs.len();
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
        specs = redraws(&results, &mut planned, options.base_seed);
        if !specs.is_empty() {
            eprintln!(
                "drawing {} more runs: in some passing runs a test's scenario did not happen",
                specs.len()
            );
        }
    }
    eprintln!(
        "ran {total} runs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(results)
}

/// A graded test's runs: which result they go to, and the runs it may still draw.
struct Planned {
    result: usize,
    case: TestCase,
    policy: runner::Policy,
    next_run: u32,
    last_run: u32,
}

/// The runs to draw next: for each test whose runs all passed but too few made its scenario
/// happen, one per run it lacks, within its budget.
fn redraws(
    results: &[TestResult],
    planned: &mut [Planned],
    base_seed: u64,
) -> Vec<runner::RunSpec> {
    let mut specs = Vec::new();
    for plan in planned {
        let result = &results[plan.result];
        if result.failed_runs().next().is_some() || !plan.policy.seeded {
            continue;
        }
        let lacking = result.runs_wanted.saturating_sub(result.counted_runs()) as u32;
        let draw = lacking.min(plan.last_run - plan.next_run);
        specs.extend(
            (plan.next_run..plan.next_run + draw)
                .map(|k| runner::spec(&plan.case, k, base_seed, &plan.policy)),
        );
        plan.next_run += draw;
    }
    specs
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
        runs_wanted: 1,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(passed: bool, missing: &[&str]) -> RunOutcome {
        RunOutcome {
            started: true,
            passed,
            timed_out: false,
            reason: (!passed).then(|| "expected 42".to_string()),
            output: String::new(),
            warnings: Vec::new(),
            wall: Duration::ZERO,
            virtual_time: None,
            seed_used: None,
            logged: None,
            missing: missing.iter().map(|e| e.to_string()).collect(),
        }
    }

    fn result(runs: &[(bool, &[&str])]) -> TestResult {
        TestResult {
            lab_id: "lab3".into(),
            lab_name: "Raft".into(),
            part: "3D".into(),
            name: "snapshot_install_3d".into(),
            package: "raft".into(),
            full_name: "part_3d::snapshot_install_3d".into(),
            max_points: 4.0,
            runs: (runs.iter().enumerate())
                .map(|(k, (passed, missing))| (Some(k as u64), outcome(*passed, missing)))
                .collect(),
            runs_wanted: 2,
            build_error: None,
        }
    }

    fn plan(result: usize, next_run: u32) -> Planned {
        Planned {
            result,
            case: TestCase {
                package: "raft".into(),
                binary: "graded".into(),
                full_name: "part_3d::snapshot_install_3d".into(),
                short_name: "snapshot_install_3d".into(),
                dir: ".".into(),
            },
            policy: runner::Policy {
                seeded: true,
                ..Default::default()
            },
            next_run,
            last_run: 2 + redraw_budget(2),
        }
    }

    #[test]
    fn a_pass_without_the_scenario_earns_nothing_and_another_seed_is_drawn() {
        let none: &[&str] = &[];
        let uncounted = result(&[(true, none), (true, &["snapshot-installed"])]);
        assert!(!uncounted.passed());
        assert_eq!(uncounted.points(), 0.0);
        assert_eq!(uncounted.counted_runs(), 1);
        let mut planned = [plan(0, 2)];
        let specs = redraws(std::slice::from_ref(&uncounted), &mut planned, 7);
        assert_eq!(specs.len(), 1, "one run is lacking, one is drawn");
        assert_eq!(
            specs[0].seed,
            Some(runner::seed_for(7, "part_3d::snapshot_install_3d", 2))
        );

        let enough = result(&[(true, none), (true, &["snapshot-installed"]), (true, none)]);
        assert!(enough.passed());
        assert!(enough.scenario_shortfall().is_none());
        assert!(redraws(&[enough], &mut [plan(0, 3)], 7).is_empty());
    }

    #[test]
    fn a_test_whose_scenario_never_happens_scores_zero_and_says_which_event() {
        let missing: &[&str] = &["snapshot-installed"];
        let runs = vec![(true, missing); 2 + redraw_budget(2) as usize];
        let never = result(&runs);
        assert!(!never.passed());
        let why = never.scenario_shortfall().unwrap();
        assert!(
            why.contains("only 0 of 5") && why.contains("snapshot-installed did not happen"),
            "{why}"
        );
        // Its budget is spent: nothing more is drawn.
        assert!(redraws(&[never], &mut [plan(0, 2 + redraw_budget(2))], 7).is_empty());
        let notes = uncounted_runs(&[result(&[(true, missing)])]);
        assert!(
            notes[0].contains("seed 0 (snapshot-installed did not happen)"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_failed_run_is_a_failure_and_draws_nothing() {
        let failed = result(&[(false, &[]), (true, &["snapshot-installed"])]);
        assert!(!failed.passed());
        assert!(failed.scenario_shortfall().is_none());
        assert!(redraws(&[failed], &mut [plan(0, 2)], 7).is_empty());
    }
}
