//! Writing a generation of the handout into a directory that may hold an earlier one, and the
//! student's work on it: their edits, their own files, their `.git`. What the handout may do there
//! is decided by its record of the previous generation ([`Record`]), never by guessing:
//!
//! - a file is replaced only if it still holds what the handout wrote (or is missing);
//! - a file that differs from what was written, or that the handout never wrote, is replaced only
//!   when the caller says so ([`Changed::Overwrite`], `handout --force`), and otherwise stops the
//!   generation before anything is written, naming the files;
//! - a file is deleted only if the previous generation wrote it, it still holds what was written,
//!   and this generation no longer has it;
//! - nothing else is read, written or deleted: no directory is walked, so dot-folders (`.git`),
//!   `target` and the student's own files are never touched.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use anyhow::{Context, bail};

use super::record::{Record, STAMP};

/// What to do with a file in the way that the handout did not write in its present form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// Stop before writing anything, naming the files (a student's directory).
    Refuse,
    /// Replace it (a directory the tools own, or `handout --force`).
    Overwrite,
}

/// What an update did.
#[derive(Debug, Default)]
pub struct Updated {
    /// Files written (new or replaced).
    pub written: usize,
    /// Files that already held the right contents.
    pub unchanged: usize,
    /// Files that differed from what the handout wrote, replaced because the caller said so.
    pub overwritten: Vec<String>,
    /// Files of the previous generation that this one no longer has, deleted.
    pub deleted: Vec<String>,
    /// Files of the previous generation that this one no longer has, kept because they changed.
    pub kept: Vec<String>,
}

/// What is at a path of the output directory.
enum Found {
    Missing,
    File(Vec<u8>),
    /// Something that is not a regular file (or a parent that is not a directory): never
    /// replaced, since removing it could lose a directory or write through a link.
    Other(String),
}

/// Brings `out` (which exists) to `files` (relative path to contents), following the rules above.
pub fn update(
    out: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    changed: Changed,
) -> anyhow::Result<Updated> {
    let previous = match Record::read(out)? {
        Some(record) => record,
        None if changed == Changed::Refuse && !is_empty(out)? => bail!(
            "{} is not empty and has no handout record ({STAMP}), so it is not a handout made by \
             this tool: choose an empty or new directory, or pass --force (make: FORCE=1) to \
             write the handout into it (files of the same names are overwritten; nothing is deleted)",
            out.display()
        ),
        None => Record::default(),
    };
    let record = Record::of(files);
    let mut to_write = Vec::new();
    let mut updated = Updated::default();
    let mut in_the_way = Vec::new();
    let mut differing = Vec::new();
    let stamp = record.render().into_bytes();
    let everything = files
        .iter()
        .map(|(path, contents)| (path.as_str(), contents.as_slice()))
        .chain([(STAMP, stamp.as_slice())]);
    for (path, contents) in everything {
        match find(out, path)? {
            Found::File(old) if old == contents => updated.unchanged += 1,
            Found::Missing => to_write.push((path, contents)),
            // The stamp is the tool's own bookkeeping, rewritten every time.
            Found::File(old) if path == STAMP || previous.wrote(path, &old) => {
                to_write.push((path, contents))
            }
            Found::File(_) => {
                let why = if previous.contains(path) {
                    "changed since the handout wrote it"
                } else {
                    "not written by the handout"
                };
                differing.push(format!("{path} ({why})"));
                updated.overwritten.push(path.to_string());
                to_write.push((path, contents));
            }
            Found::Other(what) => in_the_way.push(format!("{path} ({what})")),
        }
    }
    if !in_the_way.is_empty() {
        bail!(
            "cannot write the handout into {}: these paths hold something that is not a file the \
             handout may replace; move them away and rerun: {}",
            out.display(),
            in_the_way.join(", ")
        );
    }
    if changed == Changed::Refuse && !differing.is_empty() {
        bail!(
            "refusing to overwrite {} file(s) in {} that differ from what the handout wrote \
             (your changes are kept): {}. Save what you need, then rerun with --force (make: FORCE=1) \
             to replace exactly these files (nothing else is deleted)",
            differing.len(),
            out.display(),
            differing.join(", ")
        );
    }

    for (path, contents) in to_write {
        let target = out.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, contents)
            .with_context(|| format!("cannot write {}", target.display()))?;
        updated.written += 1;
    }
    for path in previous.paths().filter(|p| !files.contains_key(*p)) {
        if !may_delete(path) {
            continue;
        }
        match find(out, path)? {
            Found::File(old) if previous.wrote(path, &old) => {
                remove_with_empty_parents(out, path)?;
                updated.deleted.push(path.to_string());
            }
            Found::File(_) => updated.kept.push(path.to_string()),
            Found::Missing | Found::Other(_) => {}
        }
    }
    Ok(updated)
}

fn is_empty(dir: &Path) -> anyhow::Result<bool> {
    let mut entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    Ok(entries.next().is_none())
}

/// What is at `path` (relative) under `out`, not following symbolic links at any level.
fn find(out: &Path, path: &str) -> anyhow::Result<Found> {
    let mut at = out.to_path_buf();
    let components: Vec<_> = Path::new(path).components().collect();
    for (i, component) in components.iter().enumerate() {
        at.push(component);
        let meta = match std::fs::symlink_metadata(&at) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
            Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", at.display())),
        };
        let last = i + 1 == components.len();
        let kind = meta.file_type();
        if last && kind.is_file() {
            let contents =
                std::fs::read(&at).with_context(|| format!("cannot read {}", at.display()))?;
            return Ok(Found::File(contents));
        }
        if !last && kind.is_dir() {
            continue;
        }
        let what = if kind.is_symlink() {
            "a symbolic link"
        } else if kind.is_dir() {
            "a directory"
        } else if last {
            "not a regular file"
        } else {
            "a file where a directory belongs"
        };
        let rel = at.strip_prefix(out).unwrap_or(&at).display().to_string();
        return Ok(Found::Other(if rel == path {
            what.to_string()
        } else {
            format!("{rel} is {what}")
        }));
    }
    Ok(Found::Missing)
}

/// A recorded path the handout may delete: plain and relative, and in no dot-folder. A record is
/// a text file in the student's directory; whatever it says, `.git` and the like stay untouched.
fn may_delete(path: &str) -> bool {
    let components: Vec<_> = Path::new(path).components().collect();
    let Some((_file, dirs)) = components.split_last() else {
        return false;
    };
    components.iter().all(|c| matches!(c, Component::Normal(_)))
        && !dirs
            .iter()
            .any(|d| d.as_os_str().to_string_lossy().starts_with('.'))
}

/// Deletes `path` (relative) under `out`, then its parent directories that it leaves empty.
fn remove_with_empty_parents(out: &Path, path: &str) -> anyhow::Result<()> {
    let target = out.join(path);
    std::fs::remove_file(&target).with_context(|| format!("cannot delete {}", target.display()))?;
    let mut dir = target.parent();
    while let Some(d) = dir.filter(|d| *d != out) {
        // Fails, and so stops, at the first directory that still holds something.
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        list.iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    fn read(dir: &Path, path: &str) -> Option<String> {
        std::fs::read_to_string(dir.join(path)).ok()
    }

    #[test]
    fn regeneration_replaces_and_deletes_only_what_it_wrote_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let first = files(&[
            ("a.rs", "a1"),
            ("old/gone.rs", "g"),
            ("old/edited.rs", "e"),
            ("mine.rs", "m"),
        ]);
        update(out, &first, Changed::Refuse).unwrap();
        std::fs::write(out.join("old/edited.rs"), "student").unwrap();
        std::fs::write(out.join("notes.txt"), "student's own").unwrap();
        std::fs::create_dir_all(out.join(".git")).unwrap();
        std::fs::write(out.join(".git/HEAD"), "ref").unwrap();

        let second = files(&[("a.rs", "a2"), ("mine.rs", "m"), ("new/b.rs", "b")]);
        let updated = update(out, &second, Changed::Refuse).unwrap();
        assert_eq!(read(out, "a.rs").as_deref(), Some("a2"));
        assert_eq!(read(out, "new/b.rs").as_deref(), Some("b"));
        assert_eq!(updated.deleted, ["old/gone.rs"]);
        assert_eq!(updated.kept, ["old/edited.rs"]);
        assert_eq!(read(out, "old/edited.rs").as_deref(), Some("student"));
        assert_eq!(read(out, "notes.txt").as_deref(), Some("student's own"));
        assert_eq!(read(out, ".git/HEAD").as_deref(), Some("ref"));
        assert_eq!((updated.written, updated.unchanged), (3, 1), "{updated:?}");
        assert!(updated.overwritten.is_empty());
    }

    #[test]
    fn a_changed_file_stops_the_update_unless_overwriting() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        update(
            out,
            &files(&[("a.rs", "a1"), ("b.rs", "b1")]),
            Changed::Refuse,
        )
        .unwrap();
        std::fs::write(out.join("a.rs"), "student").unwrap();
        std::fs::write(out.join("c.rs"), "student's c").unwrap();
        let next = files(&[("a.rs", "a2"), ("b.rs", "b2"), ("c.rs", "c2")]);
        let e = update(out, &next, Changed::Refuse).unwrap_err().to_string();
        assert!(
            e.contains("a.rs (changed since the handout wrote it)")
                && e.contains("c.rs (not written by the handout)")
                && e.contains("--force"),
            "{e}"
        );
        assert!(!e.contains("b.rs"), "{e}");
        // Nothing was written: b.rs, which could have been, waits for the whole update.
        assert_eq!(read(out, "b.rs").as_deref(), Some("b1"));
        assert_eq!(read(out, "a.rs").as_deref(), Some("student"));

        let updated = update(out, &next, Changed::Overwrite).unwrap();
        assert_eq!(updated.overwritten, ["a.rs", "c.rs"]);
        assert_eq!(read(out, "a.rs").as_deref(), Some("a2"));
    }

    #[test]
    fn an_unrecorded_directory_is_refused_or_only_added_to() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::write(out.join("precious.txt"), "x").unwrap();
        let e = update(out, &files(&[("a.rs", "a")]), Changed::Refuse)
            .unwrap_err()
            .to_string();
        assert!(e.contains("has no handout record (.handout)"), "{e}");
        assert!(!out.join("a.rs").exists());
        update(out, &files(&[("a.rs", "a")]), Changed::Overwrite).unwrap();
        assert_eq!(read(out, "precious.txt").as_deref(), Some("x"));
        assert_eq!(read(out, "a.rs").as_deref(), Some("a"));
    }

    #[test]
    fn links_and_directories_in_the_way_are_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::os::unix::fs::symlink(elsewhere.path(), out.join("src")).unwrap();
        std::fs::create_dir(out.join("a.rs")).unwrap();
        let next = files(&[("a.rs", "a"), ("src/lib.rs", "l")]);
        let e = update(out, &next, Changed::Overwrite)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a.rs (a directory)") && e.contains("src/lib.rs (src is a symbolic link)"),
            "{e}"
        );
        assert!(!elsewhere.path().join("lib.rs").exists());
    }

    #[test]
    fn a_record_cannot_direct_deletion_into_dot_folders_or_out_of_the_directory() {
        assert!(may_delete("raft/src/raft.rs") && may_delete(".gitignore"));
        for path in [".git/config", "a/.git/HEAD", "../x.rs", "/etc/passwd", ""] {
            assert!(!may_delete(path), "{path}");
        }
    }
}
