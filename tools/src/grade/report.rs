//! The grader's report on standard output: a score table per lab and part, every failing run
//! with its replay command, and a final count.

use std::collections::BTreeMap;
use std::path::Path;

use super::{TestResult, failure_reason};
use crate::runner::replay_command;

/// Prints the report; returns (tests passed, tests failed). `replay_in` is the directory where the
/// replay commands must run when it is not the current one (a graded submission's copy).
pub fn print_report(results: &[TestResult], replay_in: Option<&Path>) -> (usize, usize) {
    // Labs and parts in manifest order: results arrive in that order.
    let mut labs: Vec<(&str, &str)> = Vec::new();
    for r in results {
        if !labs.iter().any(|(id, _)| *id == r.lab_id) {
            labs.push((&r.lab_id, &r.lab_name));
        }
    }
    for (lab_id, lab_name) in labs {
        println!("\n{lab_id}: {lab_name}");
        println!(
            "  {:<9} {:>6} {:>7} {:>16}",
            "part", "tests", "passed", "points"
        );
        let mut parts: Vec<&str> = Vec::new();
        let mut by_part: BTreeMap<&str, (usize, usize, f64, f64)> = BTreeMap::new();
        for r in results.iter().filter(|r| r.lab_id == lab_id) {
            if !parts.contains(&r.part.as_str()) {
                parts.push(&r.part);
            }
            let e = by_part.entry(&r.part).or_default();
            e.0 += 1;
            e.1 += usize::from(r.passed());
            e.2 += r.points();
            e.3 += r.max_points;
        }
        let (mut got, mut max) = (0.0, 0.0);
        for part in parts {
            let (tests, passed, points, max_points) = by_part[part];
            // Wide enough for the longest part id (Lab 5's "challenge").
            println!("  {part:<9} {tests:>6} {passed:>7} {points:>7.1} / {max_points:<6.1}");
            got += points;
            max += max_points;
        }
        println!(
            "  {:<9} {:>6} {:>7} {got:>7.1} / {max:<6.1}",
            "total", "", ""
        );
        if let Some(build) = results
            .iter()
            .find(|r| r.lab_id == lab_id)
            .and_then(|r| r.build_error.as_ref())
        {
            println!(
                "  the lab does not build, so every test scores 0:\n{}",
                indent(build, 4)
            );
        }
    }

    let failing: Vec<&TestResult> = results
        .iter()
        .filter(|r| !r.passed() && r.build_error.is_none())
        .collect();
    if !failing.is_empty() {
        println!("\nFailures:");
        for r in &failing {
            if let Some(shortfall) = r.scenario_shortfall() {
                println!("  {} {} {}: {shortfall}", r.package, r.part, r.name);
                continue;
            }
            let failed = r.failed_runs().count();
            println!(
                "  {} {} {}: {failed} of {} runs failed",
                r.package,
                r.part,
                r.name,
                r.runs.len()
            );
            for (seed, outcome) in r.failed_runs() {
                let seed_text = seed.map_or_else(String::new, |s| format!("seed {s}: "));
                // The explanation's later lines (both values of a wrong Get) under its first.
                let reason = failure_reason(outcome).replace('\n', "\n      ");
                println!("    {seed_text}{reason}");
                let cd =
                    replay_in.map_or_else(String::new, |dir| format!("cd {} && ", dir.display()));
                println!(
                    "      replay: {cd}{}",
                    replay_command(&r.package, &r.full_name, *seed)
                );
            }
        }
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    let failed = results.len() - passed;
    let runs: usize = results.iter().map(|r| r.runs.len()).sum();
    let got: f64 = results.iter().map(TestResult::points).sum();
    let max: f64 = results.iter().map(|r| r.max_points).sum();
    println!(
        "\nscore: {got:.1} / {max:.1} ({:.0}%)",
        if max > 0.0 { 100.0 * got / max } else { 0.0 }
    );
    println!("{passed} passed, {failed} failed ({runs} runs)");
    (passed, failed)
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The simulator's warnings from every run (e.g. its thread was blocked in real time), once per
/// test and warning, for the report's notes ([`super::Kind::RunWarnings`]).
pub fn run_warnings(results: &[TestResult]) -> Vec<String> {
    let mut notes = Vec::new();
    for r in results {
        for (_, outcome) in &r.runs {
            for warning in &outcome.warnings {
                let note = format!("{} {} {}: {warning}", r.lab_id, r.part, r.name);
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
        }
    }
    notes
}

/// The passing runs that did not count because an event their test exists to create did not
/// happen, one note per test, for the report's notes ([`super::Kind::Scenarios`]).
pub fn uncounted_runs(results: &[TestResult]) -> Vec<String> {
    let mut notes = Vec::new();
    for r in results {
        let uncounted: Vec<String> = (r.uncounted_runs())
            .map(|(seed, outcome)| {
                let seed = seed.map_or_else(|| "a run".to_string(), |s| format!("seed {s}"));
                format!("{seed} ({} did not happen)", outcome.missing.join(", "))
            })
            .collect();
        if !uncounted.is_empty() {
            notes.push(format!(
                "{} {} {}: {} passed without making the test's scenario happen and did not \
                 count; {} of {} runs did",
                r.lab_id,
                r.part,
                r.name,
                uncounted.join(", "),
                r.counted_runs(),
                r.runs.len()
            ));
        }
    }
    notes
}
