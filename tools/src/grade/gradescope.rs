//! Gradescope's side: the `results.json` the grader writes, and the autograder zip instructors
//! upload (`setup.sh`, `run_autograder` and the student handout, which runs the same grader).

use std::path::Path;

use serde_json::{Value, json};

use super::{Notes, TestResult, failure_reason, zip};
use crate::manifest::{Lab, Manifest};
use crate::runner::replay_command;

/// The results file: one entry per graded test, plus one per lab that failed to build; `notes`
/// go into the overall output, each kind under its heading.
pub fn results_json(results: &[TestResult], execution_secs: u64, notes: &Notes) -> Value {
    let mut tests = Vec::new();
    let mut built_error_reported = Vec::new();
    let mut number_in_part: std::collections::BTreeMap<(String, String), usize> =
        Default::default();
    for r in results {
        if let Some(build) = &r.build_error
            && !built_error_reported.contains(&r.lab_id)
        {
            built_error_reported.push(r.lab_id.clone());
            tests.push(json!({
                "name": format!("{}: {} builds", r.lab_id, r.package),
                "score": 0.0,
                "max_score": 0.0,
                "status": "failed",
                "visibility": "visible",
                "output": format!("The code does not compile, so every test of {} scores 0.\n\n{build}", r.lab_id),
            }));
        }
        let k = number_in_part
            .entry((r.lab_id.clone(), r.part.clone()))
            .or_default();
        *k += 1;
        tests.push(json!({
            "name": format!("{} {}: {}", r.lab_id, r.part, r.name),
            "number": format!("{}.{}", r.part, k),
            "score": rounded(r.points()),
            "max_score": rounded(r.max_points),
            "status": if r.passed() { "passed" } else { "failed" },
            "visibility": "visible",
            "tags": [r.lab_id, r.part],
            "output": test_output(r),
            "extra_data": {
                "runs": r.runs.len(),
                "failures": r.failed_runs().count(),
                "seeds": r.runs.iter().filter_map(|(s, _)| *s).collect::<Vec<_>>(),
                "virtual_ms": r.runs.iter()
                    .map(|(_, o)| o.virtual_time.map(|t| t.as_millis() as u64))
                    .collect::<Vec<_>>(),
            },
        }));
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    let mut output = format!(
        "{passed} of {} graded tests passed every run.",
        results.len()
    );
    output += &notes.markdown();
    json!({
        // Rounded once, from the exact sum: nine tests of 100/9 points are 100, not 99.99999999999999.
        "score": rounded(results.iter().map(TestResult::points).sum::<f64>()),
        "execution_time": execution_secs,
        "output": output,
        "output_format": "md",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    })
}

/// Points to the hundredth.
fn rounded(points: f64) -> f64 {
    (points * 100.0).round() / 100.0
}

/// Failing runs whose output is shown, and the lines shown of each: enough to see the end of a
/// failure without making the results file huge.
const SHOWN_RUNS: usize = 2;
const SHOWN_LINES: usize = 30;

/// Writes `results` to `path` atomically (a complete file or none, never a partial one): into a
/// new file next to it, then renamed over it.
pub fn write_results(path: &Path, results: &Value) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    file.write_all((serde_json::to_string_pretty(results)? + "\n").as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn test_output(r: &TestResult) -> String {
    if r.build_error.is_some() {
        return "not run: the lab does not build".into();
    }
    let mut out = format!(
        "{} of {} runs passed.",
        r.runs.len() - r.failed_runs().count(),
        r.runs.len()
    );
    if let Some(shortfall) = r.scenario_shortfall() {
        out += &format!("\n\nNo points: {shortfall}.");
    }
    for (seed, outcome) in r.uncounted_runs() {
        out += &format!(
            "\n\nNot counted{}: passed, but {} did not happen.",
            seed.map_or_else(String::new, |s| format!(" (seed {s})")),
            outcome.missing.join(", ")
        );
    }
    for (i, (seed, outcome)) in r.failed_runs().enumerate() {
        out += &format!(
            "\n\nFailed{}: {}\nReplay it exactly in your copy of the handout, with these files \
             in place:\n  {}",
            seed.map_or_else(String::new, |s| format!(" with seed {s}")),
            failure_reason(outcome),
            replay_command(&r.package, &r.full_name, *seed)
        );
        if i < SHOWN_RUNS {
            let lines: Vec<&str> = outcome.output.lines().collect();
            let last = &lines[lines.len().saturating_sub(SHOWN_LINES)..];
            out += &format!(
                "\nThe last lines of its output:\n{}",
                last.iter()
                    .map(|l| format!("  | {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    out
}

/// The image's setup: `@LABS@` becomes the labs the assignment grades.
const SETUP: &str = r#"#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends build-essential curl ca-certificates git
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
source "$HOME/.cargo/env"
cd /autograder/source/tree
cargo build --release -p tools --bin grade
# Build the assignment's labs once now, in the grading area where the tests will run as `nobody`
# (under /var/tmp), so that grading a submission compiles only the crates its files change.
target/release/grade @LABS@ --build-only
"#;

/// The grading script: `@LABS@` becomes the labs the assignment grades.
const RUN: &str = r#"#!/usr/bin/env bash
# Gradescope runs this for every submission, as root: the course's own grader grades the
# assignment's labs, running the tests as the unprivileged user `nobody`, which can write neither
# the results nor the graded tree.
set -uo pipefail
source "$HOME/.cargo/env"
cd /autograder/source/tree
results=/autograder/results/results.json
mkdir -p /autograder/results
log="$(mktemp)"
target/release/grade @LABS@ --submission /autograder/submission --output "$results" --run-as nobody 2>"$log"
status=$?
cat "$log" >&2
# Exit status 1 means failing tests, with results written. The grader removes the results file
# when it starts, so a missing one means it failed: say so, with the grader's error line, rather
# than leave Gradescope none.
if [ ! -s "$results" ]; then
    why="$(grep -a '^grade: error: ' "$log" | tail -n 1)"
    [ -n "$why" ] || why="$(grep -av '^[[:space:]]*$' "$log" | tail -n 1)"
    [ -n "$why" ] || why="(it printed nothing)"
    # As a JSON string: no control characters, backslashes and quotes escaped.
    why="$(printf '%s' "$why" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')"
    tmp="$(mktemp /autograder/results/.results.XXXXXX)"
    printf '{"score": 0, "output": "The grader failed (exit status %d) before writing results:\\n\\n    %s\\n\\nAsk the course staff to look at this submission.", "stdout_visibility": "visible", "tests": []}\n' "$status" "$why" > "$tmp"
    mv "$tmp" "$results"
fi
exit 0
"#;

/// The autograder upload for an assignment grading `labs`: `setup.sh` and `run_autograder` at
/// the root, the handout under `tree/`.
pub fn autograder_zip(root: &Path, manifest: &Manifest, labs: &[&Lab]) -> anyhow::Result<Vec<u8>> {
    let handout = tempfile::tempdir()?;
    crate::handout::generate(root, manifest, handout.path())?;
    let mut entries = vec![
        (
            "setup.sh".to_string(),
            with_labs(SETUP, labs).into_bytes(),
            true,
        ),
        (
            "run_autograder".to_string(),
            with_labs(RUN, labs).into_bytes(),
            true,
        ),
    ];
    for path in crate::tree::walk(handout.path())? {
        let rel = path
            .strip_prefix(handout.path())?
            .to_string_lossy()
            .replace('\\', "/");
        let executable = {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(&path)?.permissions().mode() & 0o111 != 0
        };
        entries.push((format!("tree/{rel}"), std::fs::read(&path)?, executable));
    }
    Ok(zip::zip(&entries))
}

/// `script` for an assignment grading `labs`.
fn with_labs(script: &str, labs: &[&Lab]) -> String {
    // Lab ids come from labs.toml; quoted all the same.
    let ids: Vec<String> = labs.iter().map(|l| format!("'{}'", l.id)).collect();
    script.replace("@LABS@", &ids.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab3() -> String {
        let manifest = Manifest::load(&crate::manifest::find_root().unwrap()).unwrap();
        let labs = manifest.select(&["lab3".to_string()]).unwrap();
        with_labs(RUN, &labs)
    }

    #[test]
    fn the_grading_script_grades_the_assignment_s_labs_as_nobody_and_always_leaves_results() {
        let script = lab3();
        assert!(script.contains(
            "target/release/grade 'lab3' --submission /autograder/submission --output \"$results\" \
             --run-as nobody"
        ));
        // The fallback is written whole, then renamed into place.
        assert!(script.contains("mv \"$tmp\" \"$results\""));
    }

    /// The script, run in a stand-in for /autograder with a grader that fails before writing
    /// results: the fallback is valid JSON and quotes the grader's error line.
    #[test]
    fn a_failing_grader_s_error_line_reaches_the_student() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        let script = lab3().replace("/autograder", &base.to_string_lossy());
        let grade = base.join("source/tree/target/release/grade");
        std::fs::create_dir_all(grade.parent().unwrap()).unwrap();
        std::fs::create_dir_all(base.join(".cargo")).unwrap();
        std::fs::write(base.join(".cargo/env"), "").unwrap();
        let error = "grade: error: user nobody cannot enter \"/root\" (mode 0700)\tfix: \\";
        std::fs::write(
            &grade,
            format!(
                "#!/bin/sh\necho 'building raft ...' >&2\nprintf '%s\\n' '{error}' >&2\nexit 2\n"
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&grade, std::fs::Permissions::from_mode(0o755)).unwrap();
        let run = base.join("run_autograder");
        std::fs::write(&run, script).unwrap();
        let status = std::process::Command::new("bash")
            .arg(&run)
            .env("HOME", base)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let text = std::fs::read_to_string(base.join("results/results.json")).unwrap();
        let results: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(results["score"], 0);
        let output = results["output"].as_str().unwrap();
        assert!(output.contains("(exit status 2)"), "{output}");
        assert!(
            output.contains("grade: error: user nobody cannot enter \"/root\" (mode 0700)fix: \\"),
            "{output}"
        );
    }
}
