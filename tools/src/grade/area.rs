//! The grading area: where a grader running as root puts the graded copy and its build, so that
//! the unprivileged user its tests run as can reach them whatever the permissions above the
//! project (root's home is private on most machines), without loosening the instructor's tree.
//!
//! The area is a directory the grader makes (by default under `/var/tmp`, one per project), owned
//! by root, readable by the test user's group and by no one else, writable by root alone; on the
//! way to it every directory is searchable by the test user and none can be changed by another
//! user (a sticky `/var/tmp` is fine: no one else may rename what root made there). It holds
//! `tree/` (a copy of the project, or the handout with the submission), `target/` (its build,
//! kept between gradings so that dependencies build once) and a note saying what it is. The
//! grader never writes into a directory it did not make: one that exists must be empty or carry
//! that note.

use std::fs::DirBuilder;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::runner::User;

/// The note that marks a directory as a grading area.
const NOTE: &str = "GRADING-AREA";
/// The area's own mode: root may write, the test user's group may read and enter.
const AREA_MODE: u32 = 0o750;
/// Directories and files inside it: no one but root writes (the area's mode keeps others out).
const DIR_MODE: u32 = 0o755;

/// A grading area, checked and ready.
pub struct Area {
    dir: PathBuf,
}

/// The area of the project at `root` when none is named: one per project path, under
/// `/var/tmp` (kept across reboots, unlike a `/tmp` in memory, so the build survives).
pub fn default_dir(root: &Path) -> PathBuf {
    let base = Path::new("/var/tmp");
    let base = if base.is_dir() {
        base.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let key = labrpc::sim::derive_seed(0, &root.to_string_lossy(), 0);
    base.join(format!("6.5840-grading-{key:016x}"))
}

impl Area {
    /// Makes the area at `dir` for tests that run as `user`, or checks the one there: before
    /// anything is built, so that whatever stands in the way is one error naming the fix.
    pub fn open(dir: &Path, user: &User, root: &Path) -> anyhow::Result<Area> {
        let fix = "choose another place with --work-dir (make: WORK_DIR=...)";
        let name = dir
            .file_name()
            .with_context(|| format!("{} cannot be a grading area: {fix}", dir.display()))?;
        let parent = dir.parent().unwrap_or(Path::new("/"));
        let Ok(parent) = parent.canonicalize() else {
            bail!(
                "the grading area's parent {} does not exist: create it, or {fix}",
                parent.display()
            );
        };
        check_way(&parent, user, fix)?;
        let dir = parent.join(name);
        let made = match DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}: {fix}", dir.display()));
            }
        };
        if !made {
            check_existing(&dir, fix)?;
        }
        let path = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())?;
        // SAFETY: chown reads the NUL-terminated path and nothing else.
        if unsafe { libc::chown(path.as_ptr(), 0, user.gid) } != 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("cannot give {} to group {}", dir.display(), user.gid));
        }
        set_mode(&dir, AREA_MODE)?;
        let note = format!(
            "This directory is a grading area, made by the course's grader (`grade`, running as \
             root) for the project at {}.\n\ntree/ is the graded copy (the project, or the \
             handout with a submission's files) and target/ its build; the tests run from here as \
             user {}, who may read but not write. It is a cache: delete it to reclaim the space, \
             and the next grading builds it again.\n",
            root.display(),
            user.name
        );
        std::fs::write(dir.join(NOTE), note)
            .with_context(|| format!("cannot write {}", dir.join(NOTE).display()))?;
        let area = Area { dir };
        for sub in [area.tree(), area.target()] {
            std::fs::create_dir_all(&sub)
                .with_context(|| format!("cannot create {}", sub.display()))?;
            set_mode(&sub, DIR_MODE)?;
        }
        Ok(area)
    }

    /// Where the graded copy goes.
    pub fn tree(&self) -> PathBuf {
        self.dir.join("tree")
    }

    /// Where the graded copy builds.
    pub fn target(&self) -> PathBuf {
        self.dir.join("target")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Opens the graded copy to the test user: every directory enterable, every file readable
    /// (executables kept executable), whatever the grader's umask made of them.
    pub fn share_tree(&self) -> anyhow::Result<()> {
        let mut stack = vec![self.tree()];
        while let Some(dir) = stack.pop() {
            set_mode(&dir, DIR_MODE)?;
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    stack.push(entry.path());
                } else if kind.is_file() {
                    let executable = entry.metadata()?.mode() & 0o100 != 0;
                    set_mode(&entry.path(), if executable { 0o755 } else { 0o644 })?;
                }
            }
        }
        Ok(())
    }
}

/// Every directory from `/` to `dir` lets `user` through and can be changed by root alone (or is
/// sticky, as `/var/tmp` is, where no one else may rename what root made).
fn check_way(dir: &Path, user: &User, fix: &str) -> anyhow::Result<()> {
    user.check_enters(dir)
        .map_err(|e| anyhow::anyhow!("{e:#}: {fix}"))?;
    let mut path = PathBuf::new();
    for part in dir.components() {
        path.push(part);
        let meta = std::fs::metadata(&path)?;
        let sticky = meta.mode() & 0o1000 != 0;
        let others_write = meta.mode() & 0o022 != 0;
        if meta.uid() != 0 || (others_write && !sticky) {
            bail!(
                "{} (mode {:04o}, owner uid {}) can be changed by a user other than root, who \
                 could replace the graded copy under it: {fix}",
                path.display(),
                meta.mode() & 0o7777,
                meta.uid()
            );
        }
    }
    Ok(())
}

/// An existing directory is used only if root made it as an area, or it is empty.
fn check_existing(dir: &Path, fix: &str) -> anyhow::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        bail!(
            "{} exists and is not a directory (a symbolic link, or a file): {fix}",
            dir.display()
        );
    }
    if meta.uid() != 0 {
        bail!(
            "{} exists and belongs to uid {}, not root, so another user could change what is \
             graded: {fix}",
            dir.display(),
            meta.uid()
        );
    }
    let empty = std::fs::read_dir(dir)?.next().is_none();
    if !empty && !std::fs::symlink_metadata(dir.join(NOTE)).is_ok_and(|m| m.is_file()) {
        bail!(
            "{} exists and is not a grading area (it has no {NOTE} file), so the grader will not \
             write into it: {fix}",
            dir.display()
        );
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory every user may enter, which only root can change (as /var/tmp is).
    fn base() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        set_mode(dir.path(), 0o755).unwrap();
        dir
    }

    fn open(dir: &Path) -> Result<Area, String> {
        let nobody = User::lookup("nobody").unwrap();
        Area::open(dir, &nobody, Path::new("/project")).map_err(|e| format!("{e:#}"))
    }

    #[test]
    fn an_area_is_made_once_and_reused_and_only_root_writes_in_it() {
        if !crate::runner::is_root() {
            return eprintln!("skipped: only root makes grading areas");
        }
        let base = base();
        let dir = base.path().join("area");
        for _ in 0..2 {
            let area = open(&dir).unwrap();
            let meta = std::fs::metadata(area.dir()).unwrap();
            assert_eq!(meta.mode() & 0o7777, AREA_MODE);
            assert_eq!(
                (meta.uid(), meta.gid()),
                (0, User::lookup("nobody").unwrap().gid)
            );
            assert!(area.tree().is_dir() && area.target().is_dir());
        }
        // An empty directory root made is taken as well.
        let empty = base.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(open(&empty).is_ok());
    }

    #[test]
    fn what_is_not_a_root_made_area_on_a_safe_path_is_refused_before_anything_is_written() {
        if !crate::runner::is_root() {
            return eprintln!("skipped: only root makes grading areas");
        }
        let base = base();
        let at = |rel: &str| base.path().join(rel);
        let refused = |dir: &Path, why: &str| {
            let error = open(dir)
                .err()
                .unwrap_or_else(|| panic!("{} taken", dir.display()));
            assert!(
                error.contains(why)
                    && error.ends_with("choose another place with --work-dir (make: WORK_DIR=...)"),
                "{error}"
            );
        };
        std::fs::create_dir(at("work")).unwrap();
        std::fs::write(at("work/notes.txt"), "mine").unwrap();
        refused(
            &at("work"),
            "is not a grading area (it has no GRADING-AREA file)",
        );
        assert_eq!(std::fs::read_dir(at("work")).unwrap().count(), 1);

        std::os::unix::fs::symlink(at("work"), at("link")).unwrap();
        refused(
            &at("link"),
            "is not a directory (a symbolic link, or a file)",
        );

        std::fs::create_dir(at("theirs")).unwrap();
        let nobody = User::lookup("nobody").unwrap();
        let path = std::ffi::CString::new(at("theirs").as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: chown on a path.
        assert_eq!(
            unsafe { libc::chown(path.as_ptr(), nobody.uid, nobody.gid) },
            0
        );
        refused(
            &at("theirs"),
            "not root, so another user could change what is graded",
        );

        std::fs::create_dir(at("open")).unwrap();
        set_mode(&at("open"), 0o777).unwrap();
        refused(&at("open/area"), "can be changed by a user other than root");
        assert!(!at("open/area").exists());

        std::fs::create_dir(at("private")).unwrap();
        set_mode(&at("private"), 0o700).unwrap();
        refused(&at("private/area"), "user nobody cannot enter");
        assert!(!at("private/area").exists());

        refused(&at("missing/area"), "does not exist: create it, or");
    }
}
