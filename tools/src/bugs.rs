//! A curated bug (`suite-check/<crate>/<bug>.toml`): edits to the reference solution, read and
//! applied to a copy of the project. The suite check measures how often the graded tests catch
//! each one; `run-views shots` draws the failing runs of a few for the docs.

use std::path::Path;

use anyhow::{Context, ensure};
use serde::Deserialize;

use crate::tree;

/// Where the bug files are, relative to the project root.
pub const DIR: &str = "suite-check";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bug {
    pub description: String,
    /// Set when the graded suite is known to miss this bug too often, with the reason and the
    /// measured rate: the check reports it instead of failing, and says so if the bug is caught
    /// well enough after all.
    #[serde(default)]
    pub known_gap: Option<String>,
    #[serde(rename = "edit")]
    pub edits: Vec<Edit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    pub file: String,
    pub find: String,
    pub replace: String,
}

/// The bug described by the file `bug_file`.
pub fn read_bug(bug_file: &Path) -> anyhow::Result<Bug> {
    toml::from_str(&std::fs::read_to_string(bug_file)?)
        .with_context(|| format!("{} is malformed", bug_file.display()))
}

/// Makes `copy` a copy of the project at `root` with `bug` (read from `bug_file`) applied,
/// rewriting only the files that differ, so that the copy's build cache stays valid.
pub fn copy_with_bug(root: &Path, copy: &Path, bug_file: &Path, bug: &Bug) -> anyhow::Result<()> {
    let written = tree::mirror(root, copy, &[], |_, bytes| Ok(bytes))?;
    tree::remove_stale(copy, &written)?;
    apply(copy, bug_file, bug)
}

/// Applies `bug` to the project copy in `tree`: each `find` must occur exactly once.
fn apply(tree: &Path, bug_file: &Path, bug: &Bug) -> anyhow::Result<()> {
    for (i, edit) in bug.edits.iter().enumerate() {
        let path = tree.join(&edit.file);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{}: edit {} names a missing file {}",
                bug_file.display(),
                i + 1,
                edit.file
            )
        })?;
        let count = text.matches(&edit.find).count();
        ensure!(
            count == 1,
            "{}: edit {} expects its `find` text exactly once in {}, but it occurs {count} times; \
             the reference has changed, so update the bug file",
            bug_file.display(),
            i + 1,
            edit.file
        );
        std::fs::write(&path, text.replacen(&edit.find, &edit.replace, 1))?;
    }
    Ok(())
}
