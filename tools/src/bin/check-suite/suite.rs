//! The suite-strength check: each file under `suite-check/<crate>/` describes a classic bug as
//! edits to the reference solution. Each bug is applied to a copy of the project, and its lab's
//! graded tests run on many seeds. What comes out is a catch rate, not a verdict from one seed:
//!
//! - per run: the fraction of seeds on which some graded test fails (one run is every graded test
//!   of the lab on one seed, which is what one grading repeats `runs` times);
//! - per grading: the chance that a grading with the lab's `runs` (labs.toml) catches the bug,
//!   `1 - (1 - per run)^runs`, treating seeds as independent.
//!
//! A run counts as catching the bug only when a test fails on a check of its own (an assertion, a
//! bound, the tester's apply checks, a panic in lab code). A run ended by the simulator's watchdog
//! or by the wall-clock limit is a stall, reported apart: a stall says the buggy code blocks the
//! simulator, not that the suite noticed the bug.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use tools::bugs::{Bug, DIR, copy_with_bug, read_bug};
use tools::manifest::{Lab, Manifest};
use tools::runner::{self, Progress, RunOutcome, RunSpec, TestCase};

/// The lowest per-grading catch rate a bug may have unless it is a known gap.
pub const REQUIRED_PER_GRADING: f64 = 0.99;

/// How one bug fared.
#[derive(Debug)]
pub struct Verdict {
    pub lab: String,
    pub bug: String,
    pub description: String,
    pub known_gap: Option<String>,
    /// Seeds measured (runs).
    pub seeds: usize,
    /// Runs in which a graded test failed on a check.
    pub caught: usize,
    /// Runs in which some test stalled (watchdog or wall-clock limit) and none failed on a check.
    pub stalled: usize,
    /// The tests that caught the bug first on some seed, with how many seeds each. Which test
    /// comes first on a seed depends on the order the tests ran in, which adapts as seeds finish:
    /// the counts say which tests catch the bug, not how often each would alone.
    pub caught_by: Vec<(String, usize)>,
    /// Passing runs in which an event the test exists to create did not happen (the grader does
    /// not count such a pass): per test and missing events, how many runs.
    pub evaded: Vec<(String, usize)>,
    /// Grading runs per test for this lab (labs.toml).
    pub grading_runs: u32,
    /// The first catching run, to replay: its test and seed.
    pub example: Option<(String, u64)>,
    pub elapsed: Duration,
}

impl Verdict {
    pub fn per_run(&self) -> f64 {
        self.caught as f64 / self.seeds.max(1) as f64
    }

    pub fn per_grading(&self) -> f64 {
        1.0 - (1.0 - self.per_run()).powi(self.grading_runs as i32)
    }

    /// Whether the bug is caught often enough, or is a known gap.
    pub fn acceptable(&self) -> bool {
        self.known_gap.is_some() || self.per_grading() >= REQUIRED_PER_GRADING
    }
}

/// What happened on one seed.
enum SeedOutcome {
    /// The first test (in grading order) that failed on a check.
    Caught {
        test: String,
    },
    Stalled,
    Passed,
}

/// A passing run's missing events, as `test (event, event)`.
fn evasion(test: &str, missing: &[String]) -> String {
    format!("{test} ({})", missing.join(", "))
}

/// Every bug file of the selected labs, by lab, in name order.
pub fn bug_files(root: &Path, labs: &[&Lab]) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for lab in labs {
        let dir = root.join(DIR).join(&lab.krate);
        if !dir.is_dir() {
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        found.retain(|p| p.extension().is_some_and(|e| e == "toml"));
        found.sort();
        files.extend(found.into_iter().map(|p| (lab.id.clone(), p)));
    }
    Ok(files)
}

/// Measures every bug of `labs` (those whose file name contains `only`, if given) over `seeds`
/// seeds, running `jobs` test processes at once.
pub fn check(
    root: &Path,
    manifest: &Manifest,
    labs: &[&Lab],
    seeds: usize,
    only: Option<&str>,
    jobs: usize,
) -> anyhow::Result<Vec<Verdict>> {
    let copy = root.join("target/suite-check");
    let _lock = lock(root)?;
    std::fs::create_dir_all(&copy)?;
    let claim = runner::CopiesClaim::new(root, &copy)?;
    let mut files = bug_files(root, labs)?;
    if let Some(only) = only {
        files.retain(|(_, f)| {
            f.file_stem()
                .is_some_and(|s| s.to_string_lossy().contains(only))
        });
    }
    let mut verdicts = Vec::new();
    for (n, (lab_id, file)) in files.iter().enumerate() {
        let lab = manifest.select(std::slice::from_ref(lab_id))?[0];
        let bug = read_bug(file)?;
        let name = file
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        eprintln!(
            "\n== [{}/{}] {}/{name}: {}",
            n + 1,
            files.len(),
            lab.krate,
            bug.description
        );
        copy_with_bug(root, &copy, file, &bug)?;
        let started = Instant::now();
        let cases = match runner::build_and_list(&copy, Some(claim.dir()), &lab.krate, true) {
            Ok(cases) => cases,
            Err(e) => bail!("{}: the bug does not compile:\n{e}", file.display()),
        };
        let graded: Vec<&TestCase> = lab
            .graded_tests()
            .map(|(_, test, _)| runner::find(&cases, &lab.krate, test))
            .collect::<anyhow::Result<_>>()?;
        verdicts.push(measure(lab, &name, bug, &graded, seeds, jobs, started)?);
    }
    Ok(verdicts)
}

/// Holds `target/suite-check.lock` for the whole check: two checks at once would apply their bugs
/// to the same copy of the project and measure each other's. The lock dies with the process.
fn lock(root: &Path) -> anyhow::Result<std::fs::File> {
    let path = root.join("target/suite-check.lock");
    std::fs::create_dir_all(root.join("target"))?;
    let file = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another check-suite is running in this project (it holds {}); wait for it to finish",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Runs the graded tests on `seeds` seeds of the bug `name`, in parallel over seeds. On each seed
/// the tests run until one catches the bug (the rest cannot change the run's outcome), the tests
/// that have caught it most often so far first: a bug only a late test catches then costs one
/// test per seed instead of the whole suite.
fn measure(
    lab: &Lab,
    name: &str,
    bug: Bug,
    graded: &[&TestCase],
    seeds: usize,
    jobs: usize,
    started: Instant,
) -> anyhow::Result<Verdict> {
    let seed_list: Vec<u64> = (0..seeds as u32)
        .map(|k| runner::seed_for(0, name, k))
        .collect();
    let policy = runner::Policy {
        timeout: Duration::from_secs(lab.timeout_secs),
        env: runner::without_views(),
        ..Default::default()
    };
    let catches = Mutex::new(vec![0usize; graded.len()]);
    let evaded: Mutex<Vec<(String, usize)>> = Mutex::default();
    let run_seed = |&seed: &u64| -> anyhow::Result<SeedOutcome> {
        let mut order: Vec<usize> = (0..graded.len()).collect();
        {
            let catches = catches.lock().unwrap();
            order.sort_by_key(|&t| std::cmp::Reverse(catches[t]));
        }
        let mut stalled = false;
        for t in order {
            let case = graded[t];
            let outcome = runner::run_one(&RunSpec {
                case: case.clone(),
                seed: Some(seed),
                policy: policy.clone(),
            });
            if outcome.passed {
                if !outcome.missing.is_empty() {
                    let what = evasion(&case.short_name, &outcome.missing);
                    let mut evaded = evaded.lock().unwrap();
                    match evaded.iter_mut().find(|(w, _)| *w == what) {
                        Some((_, n)) => *n += 1,
                        None => evaded.push((what, 1)),
                    }
                }
                continue;
            }
            if !outcome.started {
                bail!("cannot run {}: {}", case.full_name, outcome.output);
            }
            if is_stall(&outcome) {
                stalled = true;
                continue;
            }
            catches.lock().unwrap()[t] += 1;
            return Ok(SeedOutcome::Caught {
                test: case.short_name.clone(),
            });
        }
        Ok(if stalled {
            SeedOutcome::Stalled
        } else {
            SeedOutcome::Passed
        })
    };
    let mut progress = Progress::new(seeds);
    let outcomes = runner::parallel_map(&seed_list, jobs, run_seed, |_, outcome| {
        progress.tick(!matches!(outcome, Ok(SeedOutcome::Caught { .. })), name)
    });

    let mut caught_by: Vec<(String, usize)> = Vec::new();
    let (mut caught, mut stalled, mut example) = (0, 0, None);
    for (outcome, &seed) in outcomes.into_iter().zip(&seed_list) {
        match outcome? {
            SeedOutcome::Caught { test } => {
                caught += 1;
                example.get_or_insert((test.clone(), seed));
                match caught_by.iter_mut().find(|(t, _)| *t == test) {
                    Some((_, count)) => *count += 1,
                    None => caught_by.push((test, 1)),
                }
            }
            SeedOutcome::Stalled => stalled += 1,
            SeedOutcome::Passed => {}
        }
    }
    caught_by.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let mut evaded = evaded.into_inner().unwrap();
    evaded.sort();
    Ok(Verdict {
        lab: lab.krate.clone(),
        bug: name.to_string(),
        description: bug.description,
        known_gap: bug.known_gap,
        seeds,
        caught,
        stalled,
        caught_by,
        evaded,
        grading_runs: lab.runs,
        example,
        elapsed: started.elapsed(),
    })
}

/// Whether a failed run was ended from outside the test's own checks: by the simulator's
/// watchdog (the thread stopped making progress) or by the wall-clock limit.
fn is_stall(outcome: &RunOutcome) -> bool {
    outcome.timed_out || outcome.output.contains("labrpc watchdog")
}
