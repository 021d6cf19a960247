//! Clippy on the student files, as advice in the report: each lab crate's `clippy.toml` lists the
//! calls that break the simulator (`std::thread::sleep`, `std::time::Instant::now`, ...), which
//! pass or fail tests in ways that do not point at their cause.

use std::path::Path;
use std::time::Duration;

use crate::manifest::{Lab, Manifest};
use crate::runner;

/// Warnings kept per lab: enough to show the pattern.
const KEPT: usize = 10;

/// Clippy's warnings about the student files of `labs` in the tree at `tree`, one note each
/// (`<file>:<line>: <warning>`). A lab clippy cannot check (it does not build, clippy is not
/// installed, `limit` passed) gets one note saying so.
pub fn clippy_notes(
    manifest: &Manifest,
    labs: &[&Lab],
    tree: &Path,
    target_dir: Option<&Path>,
    limit: Duration,
) -> Vec<String> {
    let mut notes = Vec::new();
    for lab in labs {
        let files = manifest.submission_files(lab);
        match clippy(tree, target_dir, &lab.krate, limit) {
            Ok(messages) => {
                let mut warnings: Vec<String> = messages
                    .lines()
                    .filter_map(|line| warning_in(line, &files))
                    .collect();
                warnings.dedup();
                let more = warnings.len().saturating_sub(KEPT);
                notes.extend(warnings.into_iter().take(KEPT));
                if more > 0 {
                    notes.push(format!("clippy: {more} more warnings in {}", lab.krate));
                }
            }
            Err(why) => notes.push(format!("clippy: {} not checked: {why}", lab.krate)),
        }
    }
    notes
}

/// Clippy's JSON messages on `package`.
fn clippy(
    tree: &Path,
    target_dir: Option<&Path>,
    package: &str,
    limit: Duration,
) -> Result<String, String> {
    let mut cmd = runner::cargo_in(tree, target_dir);
    cmd.args([
        "clippy",
        "--release",
        "--message-format=json",
        "-p",
        package,
    ]);
    let run =
        runner::run_within(cmd, limit).map_err(|e| format!("cannot run cargo clippy: {e}"))?;
    match run.status {
        Some(_) => Ok(run.stdout),
        None => Err(format!("it took longer than {} s", limit.as_secs())),
    }
}

/// The note for one JSON message of cargo, if it is a warning located in one of `files`.
fn warning_in(line: &str, files: &[&str]) -> Option<String> {
    let msg: serde_json::Value = serde_json::from_str(line).ok()?;
    let message = &msg["message"];
    if msg["reason"] != "compiler-message" || message["level"] != "warning" {
        return None;
    }
    let span = message["spans"]
        .as_array()?
        .iter()
        .find(|s| s["is_primary"] == true)?;
    let file = span["file_name"].as_str()?;
    if !files.contains(&file) {
        return None;
    }
    Some(format!(
        "clippy: {file}:{}: {}",
        span["line_start"],
        message["message"].as_str()?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_warnings_in_student_files_are_kept() {
        let warning = |file: &str| {
            serde_json::json!({
                "reason": "compiler-message",
                "message": {
                    "level": "warning",
                    "message": "use of a disallowed method `std::thread::sleep`",
                    "spans": [{"is_primary": true, "file_name": file, "line_start": 7}],
                },
            })
            .to_string()
        };
        let files = ["raft/src/raft.rs"];
        assert_eq!(
            warning_in(&warning("raft/src/raft.rs"), &files).as_deref(),
            Some("clippy: raft/src/raft.rs:7: use of a disallowed method `std::thread::sleep`")
        );
        assert_eq!(
            warning_in(&warning("raft/tests/graded/main.rs"), &files),
            None
        );
        assert_eq!(warning_in("not json", &files), None);
    }
}
