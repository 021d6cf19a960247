//! The suite-strength check: each file under `suite-check/<crate>/` describes a classic bug as
//! edits to the reference solution. Each bug is applied to a copy of the project and its lab's
//! graded tests run on several seeds; every bug must make at least one graded test fail.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use serde::Deserialize;

use crate::grade::{self, Options};
use crate::manifest::{Lab, Manifest};
use crate::{runner, tree};

pub const DIR: &str = "suite-check";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bug {
    pub description: String,
    /// Set when the graded suite is known not to catch this bug, with the reason: the check
    /// reports it as a gap instead of failing, and says so if the bug ever gets caught.
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

/// What happened to one bug.
#[derive(Debug)]
pub struct Verdict {
    pub lab: String,
    pub bug: String,
    pub description: String,
    pub known_gap: Option<String>,
    /// The graded tests that failed with the bug in place.
    pub caught_by: Vec<String>,
    pub runs: usize,
    pub elapsed: Duration,
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

/// Checks every bug of `labs` with `runs` seeds per graded test.
pub fn check(
    root: &Path,
    manifest: &Manifest,
    labs: &[&Lab],
    runs: u32,
    jobs: usize,
) -> anyhow::Result<Vec<Verdict>> {
    let copy = root.join("target/suite-check");
    let mut verdicts = Vec::new();
    for (lab_id, file) in bug_files(root, labs)? {
        let lab = manifest.select(std::slice::from_ref(&lab_id))?[0];
        let bug: Bug = toml::from_str(&std::fs::read_to_string(&file)?)
            .with_context(|| format!("{} is malformed", file.display()))?;
        let name = file
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        eprintln!("\n== {} {name}: {}", lab.krate, bug.description);
        let written = tree::mirror(root, &copy, &[], |_, bytes| Ok(bytes))?;
        tree::remove_stale(&copy, &written)?;
        apply(&copy, &file, &bug)?;
        let started = std::time::Instant::now();
        let options = Options {
            runs: Some(runs),
            jobs,
            base_seed: runner::seed_for(0, &name, 0),
            target_dir: Some(runner::copies_target_dir(root)),
        };
        let results = grade::grade(&copy, &[lab], &options)?;
        if let Some(build) = results.iter().find_map(|r| r.build_error.as_ref()) {
            bail!("{}: the bug does not compile:\n{build}", file.display());
        }
        verdicts.push(Verdict {
            lab: lab.krate.clone(),
            bug: name,
            description: bug.description,
            known_gap: bug.known_gap,
            caught_by: results
                .iter()
                .filter(|r| !r.passed())
                .map(|r| r.name.clone())
                .collect(),
            runs: results.iter().map(|r| r.runs.len()).sum(),
            elapsed: started.elapsed(),
        });
    }
    Ok(verdicts)
}
