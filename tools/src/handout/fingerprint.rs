//! The handout's record of its protected files, so that a student learns before grading what the
//! course grader will undo. The course grader takes only the student files of a submission and
//! uses the handout's copy of everything else: a `cargo add` in a lab's `Cargo.toml`, an edited
//! test or an extra module file works locally and then fails, or scores differently, when graded.
//!
//! The handout's record ([`super::record`]) holds the checksum of every file it wrote; `grade`
//! run inside a handout compares the protected ones with it. A checksum detects accidental
//! changes, which is all this is for: the course grader does not trust it, it replaces the files.

use std::path::Path;

use anyhow::Context;

use super::record::Record;
use crate::manifest::Manifest;
use crate::tree;

/// Whether the course grader replaces `path` (relative to the root) with the handout's copy and
/// the file can change how code builds or runs. Documentation cannot, so it is not checked.
pub fn is_protected(manifest: &Manifest, path: &str) -> bool {
    !manifest.is_student_file(path) && !path.ends_with(".md")
}

/// Every difference between the handout at `root` and the record in its stamp file, one readable
/// line each: protected files changed or deleted, and source or configuration files that are in
/// no lab's student files and were not in the handout. Empty outside a handout (no stamp file).
pub fn changes(root: &Path, manifest: &Manifest) -> anyhow::Result<Vec<String>> {
    let Some(recorded) = Record::read(root)? else {
        return Ok(Vec::new());
    };
    let mut changes = Vec::new();
    for path in recorded.paths() {
        if !is_protected(manifest, path) {
            continue;
        }
        match std::fs::read(root.join(path)) {
            Ok(contents) if recorded.wrote(path, &contents) => {}
            Ok(_) => changes.push(format!(
                "{path} differs from the handout's: the course grader uses the handout's copy, \
                 so your change is undone when you are graded"
            )),
            Err(_) => changes.push(format!(
                "{path} is missing: the course grader puts the handout's copy back"
            )),
        }
    }
    for file in tree::walk(root)? {
        let rel = file
            .strip_prefix(root)
            .context("walked outside the handout")?
            .to_string_lossy()
            .replace('\\', "/");
        let code = rel.ends_with(".rs") || rel.ends_with(".toml") || rel.ends_with("Cargo.lock");
        if code && !recorded.contains(&rel) && is_protected(manifest, &rel) {
            changes.push(format!(
                "{rel} is not part of the handout: the course grader does not take it (it takes \
                 only the student files listed in the README)"
            ));
        }
    }
    Ok(changes)
}
