//! Where the HTML timelines go: `LAB_VIS_FILE` (one file), `LAB_VIS_DIR` (a directory the user
//! names, never pruned), or by default `timelines/` in the build's target directory, where only
//! the newest [`KEPT`] are kept: a student replaying failures all evening would otherwise fill a
//! directory with pages nobody opens again.

use std::path::{Path, PathBuf};

/// Timelines kept in the default directory.
pub const KEPT: usize = 20;

/// The file for the timeline of `test` on the current seed (a replay of the same seed writes
/// over its own page), its directory created.
pub fn path(test: &str) -> PathBuf {
    if let Some(file) = std::env::var_os("LAB_VIS_FILE") {
        return PathBuf::from(file);
    }
    let seed = labrpc::sim::seed().map_or(String::new(), |s| format!("-seed{s}"));
    let dir = std::env::var_os("LAB_VIS_DIR").map_or_else(default_dir, PathBuf::from);
    // A directory that cannot be made fails the write, which says so.
    let _ = std::fs::create_dir_all(&dir);
    dir.join(format!("{test}{seed}.html"))
}

/// After writing `written`: if it is in the default directory, deletes the oldest timelines
/// there beyond the newest [`KEPT`]. Only `.html` files of that directory, which is the course's
/// own, are ever deleted; a directory the user names is left alone.
pub fn prune(written: &Path) {
    let dir = default_dir();
    if written.parent() == Some(dir.as_path()) {
        keep_newest(&dir, KEPT);
    }
}

/// Deletes the `.html` files of `dir` but the `keep` most recently written.
fn keep_newest(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut pages: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    pages.sort();
    let excess = pages.len().saturating_sub(keep);
    for (_, page) in pages.into_iter().take(excess) {
        let _ = std::fs::remove_file(page);
    }
}

/// `timelines/` in the target directory the running test binary was built in
/// (`<target>/<profile>/deps/<binary>`), or in the system's temporary directory when the binary
/// lives elsewhere.
fn default_dir() -> PathBuf {
    target_of_this_binary().map_or_else(
        || std::env::temp_dir().join("lab-timelines"),
        |target| target.join("timelines"),
    )
}

fn target_of_this_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    Some(deps.parent()?.parent()?.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_pages_stay_and_nothing_else_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30);
        for i in 0..5 {
            let page = dir.path().join(format!("t-seed{i}.html"));
            std::fs::write(&page, "<html>").unwrap();
            let at = old + std::time::Duration::from_secs(i);
            std::fs::File::open(&page)
                .unwrap()
                .set_modified(at)
                .unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        keep_newest(dir.path(), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["notes.txt", "t-seed3.html", "t-seed4.html"]);
    }

    #[test]
    fn the_default_directory_is_in_the_target_directory_of_the_test_binary() {
        let dir = default_dir();
        assert!(dir.ends_with("timelines"), "{}", dir.display());
        assert!(
            std::env::current_exe()
                .unwrap()
                .starts_with(dir.parent().unwrap()),
            "{}",
            dir.display()
        );
    }
}
