//! Putting a student's submission into a clean tree: only the manifest's student files are taken;
//! changes to anything else are ignored and reported.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::manifest::{Lab, Manifest};

/// Copies each student file of `labs` (and of the labs they build on) from `submission` over
/// `tree`. A file is looked up at its
/// path in the project (`raft/src/raft.rs`) and, failing that, by its name alone if exactly one
/// file of the submission has it (submissions uploaded as loose files). Returns notes for the
/// report: files missing from the submission, and protected files it changed.
pub fn overlay_submission(
    manifest: &Manifest,
    labs: &[&Lab],
    tree: &Path,
    submission: &Path,
) -> anyhow::Result<Vec<String>> {
    anyhow::ensure!(
        submission.is_dir(),
        "the submission {} is not a directory",
        submission.display()
    );
    let submitted = crate::tree::walk(submission)?;
    let mut notes = Vec::new();
    let mut used = Vec::new();
    // Lab 4 and the Raft it builds on may both be selected: take each file once.
    let mut files: Vec<&str> = Vec::new();
    for file in labs.iter().flat_map(|lab| manifest.submission_files(lab)) {
        if !files.contains(&file) {
            files.push(file);
        }
    }
    for file in files {
        let by_path = submission.join(file);
        let name = Path::new(file).file_name().expect("a file name");
        let same_name: Vec<&PathBuf> = submitted
            .iter()
            .filter(|p| p.file_name() == Some(name))
            .collect();
        let source = if by_path.is_file() {
            by_path
        } else if let [only] = same_name.as_slice() {
            (*only).clone()
        } else {
            notes.push(format!(
                "{file}: not in the submission; the handout's stub is graded"
            ));
            continue;
        };
        std::fs::copy(&source, tree.join(file))
            .with_context(|| format!("cannot copy {} into the tree", source.display()))?;
        used.push(source);
    }
    for path in submitted.iter().filter(|p| !used.contains(p)) {
        let rel = path.strip_prefix(submission).expect("under the submission");
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        let pristine = tree.join(rel);
        if manifest.is_student_file(&rel_str) {
            continue; // another lab's file, not graded now
        } else if !pristine.is_file() {
            notes.push(format!("{rel_str}: not a file of the project; ignored"));
        } else if std::fs::read(&pristine)? != std::fs::read(path)? {
            notes.push(format!(
                "{rel_str}: a protected file; your changes to it are ignored"
            ));
        }
    }
    Ok(notes)
}
