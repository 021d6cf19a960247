//! The target directory shared by the copies of the project that the tools build (the handout
//! check, a graded submission, the suite check's copy, a generated handout).
//!
//! Sharing it builds the dependencies once, but Cargo cannot tell two copies apart: it names a
//! workspace member's outputs after its path inside the workspace, the same in every copy, and it
//! judges them fresh when no source file is newer than the last build. Copy A's files, written
//! before copy B was built, would then run B's test binaries. So one copy at a time claims the
//! directory, for its builds and its runs, and a copy that was not the last one built there has its
//! files' modification times set to now first, which makes Cargo rebuild everything of it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;

use crate::tree;

/// The shared directory, held by one copy until dropped.
pub struct CopiesClaim {
    dir: PathBuf,
    _lock: File,
}

/// The shared directory, inside the project's target directory.
const COPIES: &str = "copies";
/// Inside it: the lock, and the copy that was built there last.
const LOCK: &str = "claim.lock";
const LAST: &str = "last-copy";

impl CopiesClaim {
    /// Claims `copies/` in the project's target directory (`target/`, or `CARGO_TARGET_DIR`
    /// when set, as Cargo does) for the copy at `copy`, waiting (with a word on stderr) while
    /// another tool holds it.
    pub fn new(root: &Path, copy: &Path) -> anyhow::Result<CopiesClaim> {
        CopiesClaim::at(&target_dir(root)?.join(COPIES), copy)
    }

    /// Claims the target directory `dir` (another than the project's, e.g. a root grader's area)
    /// for the copy at `copy`, which is created if missing: a claim taken before the copy is
    /// written keeps two tools from writing one copy at once.
    pub fn at(dir: &Path, copy: &Path) -> anyhow::Result<CopiesClaim> {
        let dir = dir.to_path_buf();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let lock_path = dir.join(LOCK);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        if let Err(std::fs::TryLockError::WouldBlock) = lock.try_lock() {
            eprintln!(
                "waiting: another tool is building or running a copy of the project in {}",
                dir.display()
            );
            lock.lock()
                .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        }
        std::fs::create_dir_all(copy)
            .with_context(|| format!("cannot create {}", copy.display()))?;
        let copy = copy
            .canonicalize()
            .with_context(|| format!("cannot find the copy {}", copy.display()))?;
        let last_path = dir.join(LAST);
        let last = std::fs::read_to_string(&last_path).unwrap_or_default();
        if Path::new(&last) != copy {
            touch_all(&copy)?;
            std::fs::write(&last_path, copy.to_string_lossy().as_bytes())
                .with_context(|| format!("cannot write {}", last_path.display()))?;
        }
        Ok(CopiesClaim { dir, _lock: lock })
    }

    /// The target directory to build the copy into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The project's target directory, where Cargo builds it: `CARGO_TARGET_DIR` if set (a relative
/// one from the current directory, as Cargo reads it), else `target/` in the project.
pub fn target_dir(root: &Path) -> anyhow::Result<PathBuf> {
    Ok(match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => std::env::current_dir()?.join(dir),
        _ => root.join("target"),
    })
}

/// Sets the modification time of every regular file of the copy to now (opening anything else,
/// a FIFO say, could block).
fn touch_all(copy: &Path) -> anyhow::Result<()> {
    let now = SystemTime::now();
    for path in tree::walk(copy)? {
        if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        File::open(&path)
            .and_then(|f| f.set_modified(now))
            .with_context(|| format!("cannot update the time of {}", path.display()))?;
    }
    Ok(())
}
