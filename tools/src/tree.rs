//! Copying the project's files into another directory (the handout, the suite check's tree),
//! transforming them on the way, and rewriting only files whose contents changed so that Cargo's
//! build cache in the copy stays valid.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Copies every project file of `root` into `out` through `transform(relative path, contents)`,
/// leaving out the `excluded` paths (relative to `root`). Returns the relative paths written.
pub fn mirror(
    root: &Path,
    out: &Path,
    excluded: &[String],
    mut transform: impl FnMut(&str, Vec<u8>) -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<BTreeSet<PathBuf>> {
    let excluded: Vec<PathBuf> = excluded.iter().map(|p| root.join(p)).collect();
    let mut written = BTreeSet::new();
    for path in project_files(root, &excluded)? {
        let rel = path.strip_prefix(root).expect("under the root");
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {rel_str}"))?;
        let contents = transform(&rel_str, bytes)?;
        write_if_changed(&out.join(rel), &contents)?;
        written.insert(rel.to_path_buf());
    }
    Ok(written)
}

/// Makes `out` a copy of the project at `root` (its project files, as [`project_files`] lists
/// them), deleting files of an earlier copy that the project no longer has. For directories the
/// tools own.
pub fn copy_project(root: &Path, out: &Path) -> anyhow::Result<()> {
    let written = mirror(root, out, &[], |_, bytes| Ok(bytes))?;
    remove_stale(out, &written)
}

/// Makes `out` hold exactly `files` (relative path to contents; its top-level `target/` aside),
/// rewriting only what changed. For directories the tools own.
pub fn sync(out: &Path, files: &std::collections::BTreeMap<String, Vec<u8>>) -> anyhow::Result<()> {
    for (rel, contents) in files {
        write_if_changed(&out.join(rel), contents)?;
    }
    remove_stale(out, &files.keys().map(PathBuf::from).collect())
}

/// Every file of the project, in a stable order, except build output, version control and the
/// instructor-only paths. At the top of a git checkout these are the tracked and the
/// untracked-but-not-ignored files, so local debris (results, logs) stays out. `excluded` paths are absolute (under `root`).
pub fn project_files(root: &Path, excluded: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let is_excluded = |path: &Path| excluded.iter().any(|x| path.starts_with(x));
    // Only at the top of a checkout: a copy inside another checkout's ignored `target/` would
    // list nothing.
    let checkout = root.join(".git").exists();
    let listed = checkout
        .then(|| {
            std::process::Command::new("git")
                .args([
                    "ls-files",
                    "-z",
                    "--cached",
                    "--others",
                    "--exclude-standard",
                ])
                .current_dir(root)
                .output()
                .ok()
                .filter(|o| o.status.success())
        })
        .flatten();
    let mut files: Vec<PathBuf> = match listed {
        Some(out) => out
            .stdout
            .split(|&b| b == 0)
            .filter(|name| !name.is_empty())
            .map(|name| root.join(String::from_utf8_lossy(name).as_ref()))
            // Deleted but not yet committed files are still listed.
            .filter(|path| path.is_file())
            .collect(),
        None => walk(root)?,
    };
    files.retain(|path| !is_excluded(path));
    files.sort();
    Ok(files)
}

/// Where the grader writes its results, under the directory it runs in.
pub const GRADE_RESULTS: &str = "grade-results";
/// Where the stress runner keeps the logs of failing seeds.
pub const STRESS_LOGS: &str = "stress-logs";

/// Every file under `root`, sorted, but version control, top-level build output and the tools'
/// own output (for trees that are not git checkouts: an unpacked autograder, a submission, a
/// generated handout).
pub fn walk(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let tool_output = [GRADE_RESULTS, STRESS_LOGS].contains(&name.as_str());
            if name == ".git" || (dir == root && (name.starts_with("target") || tool_output)) {
                continue;
            }
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

pub fn write_if_changed(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// Deletes files of an earlier generation that are no longer part of the handout (keeping its
/// build directory).
pub fn remove_stale(out: &Path, keep: &BTreeSet<PathBuf>) -> anyhow::Result<()> {
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let rel = path.strip_prefix(out).expect("under out").to_path_buf();
            if dir == out && entry.file_name() == "target" {
                continue;
            }
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if !keep.contains(&rel) {
                std::fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}
