//! The handout's record of its protected files, so that a student learns before grading what the
//! course grader will undo. The course grader takes only the student files of a submission and
//! uses the handout's copy of everything else: a `cargo add` in a lab's `Cargo.toml`, an edited
//! test or an extra module file works locally and then fails, or scores differently, when graded.
//!
//! When the handout is written, every protected file's CRC-32 goes into its stamp file, one
//! `<checksum> <path>` line each. `grade` run inside a handout compares the files with that record.
//! A checksum detects accidental changes, which is all this is for: the course grader does not
//! trust it, it replaces the files.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

use crate::grade::zip::crc32;
use crate::manifest::Manifest;
use crate::tree;

/// Whether the course grader replaces `path` (relative to the root) with the handout's copy and
/// the file can change how code builds or runs. Documentation cannot, so it is not recorded.
pub fn is_protected(manifest: &Manifest, path: &str) -> bool {
    !manifest.is_student_file(path) && !path.ends_with(".md")
}

/// The stamp file's line recording `path` (relative to the root) with these contents.
pub fn entry(path: &str, contents: &[u8]) -> String {
    format!("{:08x} {path}\n", crc32(contents))
}

/// The checksums in a stamp file's text; other lines (its header) are skipped.
fn parse(text: &str) -> BTreeMap<&str, u32> {
    text.lines()
        .filter_map(|line| {
            let (sum, path) = line.split_once(' ')?;
            let sum = u32::from_str_radix(sum, 16)
                .ok()
                .filter(|_| sum.len() == 8)?;
            Some((path, sum))
        })
        .collect()
}

/// Every difference between the handout at `root` and the record in its stamp file, one readable
/// line each: protected files changed or deleted, and source or configuration files that are in
/// no lab's student files and were not in the handout. Empty outside a handout (no stamp file).
pub fn changes(root: &Path, manifest: &Manifest) -> anyhow::Result<Vec<String>> {
    let Ok(stamp) = std::fs::read_to_string(root.join(super::STAMP)) else {
        return Ok(Vec::new());
    };
    let recorded = parse(&stamp);
    let mut changes = Vec::new();
    for (&path, &sum) in &recorded {
        match std::fs::read(root.join(path)) {
            Ok(contents) if crc32(&contents) == sum => {}
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
        if code && !recorded.contains_key(rel.as_str()) && is_protected(manifest, &rel) {
            changes.push(format!(
                "{rel} is not part of the handout: the course grader does not take it (it takes \
                 only the student files listed in the README)"
            ));
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_and_ignores_other_lines() {
        let text = format!(
            "header line\n{}{}not a checksum line\n",
            entry("a.rs", b"x"),
            entry("dir/b c.toml", b"y")
        );
        let parsed = parse(&text);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed["a.rs"], crc32(b"x"));
        assert_eq!(parsed["dir/b c.toml"], crc32(b"y"));
    }
}
