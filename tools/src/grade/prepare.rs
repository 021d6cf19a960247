//! The tree the grader builds and runs: the project itself, or the handout with a submission's
//! files in place; in the project (the grader's own user runs the tests) or in a grading area
//! (a root grader's tests run as another user, who must reach it).

use std::path::{Path, PathBuf};

use super::area::Area;
use super::submission::overlay_submission;
use crate::handout;
use crate::manifest::{Lab, Manifest};
use crate::runner::CopiesClaim;
use crate::tree;

/// Where a submission is graded when there is no area: a directory the tools own.
const GRADED_SUBMISSION: &str = "target/graded-submission";

/// A tree ready to grade.
pub struct Prepared {
    pub tree: PathBuf,
    /// The target directory held for the tree; `None`: the project's own build (`target/`).
    pub claim: Option<CopiesClaim>,
    /// For the report: every file of the submission taken, ignored or rejected, and every student
    /// file it lacks; grading the project itself, the protected files it changed.
    pub notes: Vec<String>,
}

impl Prepared {
    /// The target directory to build into (`None`: the tree's own).
    pub fn target_dir(&self) -> Option<&Path> {
        self.claim.as_ref().map(CopiesClaim::dir)
    }
}

/// Prepares the tree to grade `labs` of the project at `root`: with `submission`, a fresh handout
/// with the submission's student files; without, the project as it is. With an `area`, the tree is
/// a copy there, open to the test user.
pub fn prepare(
    root: &Path,
    manifest: &Manifest,
    labs: &[&Lab],
    submission: Option<&Path>,
    area: Option<&Area>,
) -> anyhow::Result<Prepared> {
    let root = &root.canonicalize()?;
    if submission.is_none() && area.is_none() {
        return Ok(Prepared {
            tree: root.clone(),
            claim: None,
            notes: handout::fingerprint::changes(root, manifest)?,
        });
    }
    // Claimed before it is written: two graders must not write one copy at once.
    let claim = match area {
        Some(area) => CopiesClaim::at(&area.target(), &area.tree())?,
        None => CopiesClaim::new(root, &root.join(GRADED_SUBMISSION))?,
    };
    let tree = area.map_or_else(|| root.join(GRADED_SUBMISSION), Area::tree);
    let notes = match submission {
        Some(submission) => {
            tree::sync(&tree, &handout::files(root, manifest)?.0)?;
            overlay_submission(manifest, labs, &tree, submission)?
        }
        None => {
            tree::copy_project(root, &tree)?;
            handout::fingerprint::changes(root, manifest)?
        }
    };
    if let Some(area) = area {
        area.share_tree()?;
    }
    Ok(Prepared {
        tree,
        claim: Some(claim),
        notes,
    })
}
