//! Taking a student's files from a submission into a clean tree: only the manifest's student
//! files, only regular files inside the submission directory, and a line in the report for every
//! file taken, ignored or rejected.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::manifest::{Lab, Manifest};

/// The largest student file taken: far above any honest solution, and a bound on what is read.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Attributes that make code run outside the tests' control (before `main`, in every allocation,
/// or in place of a system function), where it could read the grader's secret.
const FORBIDDEN: [&str; 5] = [
    "no_mangle",
    "export_name",
    "link_section",
    "global_allocator",
    "global_asm",
];

/// A file of the submission directory, or something there that is not one.
enum Entry {
    File(PathBuf),
    /// Not a regular file (a symlink, FIFO, socket or device): never opened.
    Special(PathBuf, &'static str),
}

/// Copies each student file of `labs` (and of the labs they build on) from `submission` over
/// `tree`. A file is looked up at its path in the project (`raft/src/raft.rs`) and, failing that,
/// by its name alone (submissions uploaded as loose files), but only for names that no other
/// student file of any lab has and that exactly one file of the submission has. Returns the
/// report's notes: every file taken, ignored or rejected, and every student file missing.
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
    let (entries, mut notes) = walk(submission)?;
    let all_student_files: Vec<&str> = manifest
        .labs
        .iter()
        .flat_map(|l| l.student_files.iter().map(String::as_str))
        .collect();
    let mut used: Vec<&Path> = Vec::new();
    for file in files_of(manifest, labs) {
        let Some(entry) = find(&entries, submission, file, &all_student_files) else {
            notes.push(format!(
                "missing: {file} is not in the submission; the handout's stub is graded"
            ));
            continue;
        };
        let rel = shown(entry.path(), submission);
        used.push(entry.path());
        let contents = match entry {
            Entry::Special(_, kind) => Err(format!("{kind}, not a regular file")),
            Entry::File(path) => read_student_file(path),
        };
        match contents {
            Ok(contents) => {
                std::fs::write(tree.join(file), contents)
                    .with_context(|| format!("cannot write {file} into the graded tree"))?;
                notes.push(format!("taken: {file} (from {rel})"));
            }
            Err(why) => notes.push(format!(
                "rejected: {rel} as {file}: {why}; the handout's stub is graded"
            )),
        }
    }
    // A whole handout submitted holds hundreds of these: one line for all of them.
    let mut as_handed_out = 0;
    for entry in entries.iter().filter(|e| !used.contains(&e.path())) {
        let rel = shown(entry.path(), submission);
        let pristine = tree.join(&rel);
        let why = match entry {
            Entry::Special(_, kind) => format!("{kind}, not a regular file"),
            Entry::File(_) if manifest.is_student_file(&rel) => {
                "a student file of a lab not graded now".into()
            }
            Entry::File(_) if !pristine.is_file() => "not a file of the project".into(),
            Entry::File(path) if same_contents(path, &pristine) => {
                as_handed_out += 1;
                continue;
            }
            Entry::File(_) => "a protected file; your changes to it are not graded".into(),
        };
        let verb = if matches!(entry, Entry::Special(..)) {
            "rejected"
        } else {
            "ignored"
        };
        notes.push(format!("{verb}: {rel}: {why}"));
    }
    if as_handed_out > 0 {
        notes.push(format!(
            "ignored: {as_handed_out} other files, the same as the handout's"
        ));
    }
    Ok(notes)
}

/// The student files to take for `labs`, each once (Lab 4 and the Raft it builds on may both be
/// selected).
fn files_of<'a>(manifest: &'a Manifest, labs: &[&'a Lab]) -> Vec<&'a str> {
    let mut files: Vec<&str> = Vec::new();
    for file in labs.iter().flat_map(|lab| manifest.submission_files(lab)) {
        if !files.contains(&file) {
            files.push(file);
        }
    }
    files
}

/// The submission's entry for student file `file`: at its path, or by a name unique among all
/// student files and present once in the submission.
fn find<'a>(
    entries: &'a [Entry],
    submission: &Path,
    file: &str,
    all_student_files: &[&str],
) -> Option<&'a Entry> {
    let by_path = submission.join(file);
    if let Some(entry) = entries.iter().find(|e| e.path() == by_path) {
        return Some(entry);
    }
    let name = Path::new(file).file_name()?;
    let unique_name = all_student_files
        .iter()
        .filter(|f| Path::new(f).file_name() == Some(name))
        .count()
        == 1;
    if !unique_name {
        return None;
    }
    let mut same_name = entries
        .iter()
        .filter(|e| e.path().file_name() == Some(name));
    match (same_name.next(), same_name.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// A student file's contents: a regular file (opened without following a symlink or waiting on a
/// FIFO), not too large, and without attributes that run code outside the tests.
fn read_student_file(path: &Path) -> Result<Vec<u8>, String> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("cannot be opened ({e})"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot be read ({e})"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "larger than {} KiB ({} bytes)",
            MAX_FILE_BYTES >> 10,
            meta.len()
        ));
    }
    let mut contents = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut contents)
        .map_err(|e| format!("cannot be read ({e})"))?;
    let text = String::from_utf8_lossy(&contents);
    if let Some(attribute) = FORBIDDEN.iter().find(|a| text.contains(*a)) {
        return Err(format!(
            "it uses `{attribute}`, which runs code outside the tests' control; the labs never \
             need it"
        ));
    }
    Ok(contents)
}

fn same_contents(a: &Path, b: &Path) -> bool {
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Every entry under `root`, not following symlinks, and notes on what is skipped whole
/// (version control, build output).
fn walk(root: &Path) -> anyhow::Result<(Vec<Entry>, Vec<String>)> {
    let mut entries = Vec::new();
    let mut notes = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let listing =
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in listing {
            let entry = entry?;
            let path = entry.path();
            // file_type does not follow symlinks.
            let kind = entry.file_type()?;
            let name = entry.file_name();
            if kind.is_dir() && (name == ".git" || (dir == root && name == "target")) {
                notes.push(format!("ignored: {}/: not graded", shown(&path, root)));
            } else if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                entries.push(Entry::File(path));
            } else {
                let what = if kind.is_symlink() {
                    "a symlink"
                } else if kind.is_fifo() {
                    "a FIFO"
                } else if kind.is_socket() {
                    "a socket"
                } else {
                    "a device"
                };
                entries.push(Entry::Special(path, what));
            }
        }
    }
    entries.sort_by(|a, b| a.path().cmp(b.path()));
    notes.sort();
    Ok((entries, notes))
}

impl Entry {
    fn path(&self) -> &Path {
        match self {
            Entry::File(path) | Entry::Special(path, _) => path,
        }
    }
}

/// `path` relative to the submission, with `/` separators.
fn shown(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
