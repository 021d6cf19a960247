//! Where views go, and how the directory is kept small: the newest [`KEEP`] views stay, older
//! ones are removed, and a file that does not start like a view is never touched.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How many views a directory keeps.
const KEEP: usize = 20;

/// Every view starts with these bytes (up to the title): how pruning recognizes its own files.
pub(crate) const SIGNATURE: &str = "<!DOCTYPE html>\n<!-- labrpc run view -->\n";

/// `LAB_VIEW_DIR`, or `run-views` in the Cargo target directory the test binary was built in
/// (found as the ancestor holding Cargo's `CACHEDIR.TAG`), or the system's temporary directory.
pub(crate) fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(super::DIR_ENV).filter(|d| !d.is_empty()) {
        return std::path::absolute(&dir).unwrap_or_else(|_| PathBuf::from(dir));
    }
    let target = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .find(|dir| dir.join("CACHEDIR.TAG").is_file())
            .map(Path::to_path_buf)
    });
    match target {
        Some(target) => target.join("run-views"),
        None => std::env::temp_dir().join("labrpc-run-views"),
    }
}

/// The file name of the view of `test` (its name or full path) of `package` on `seed`:
/// `raft-figure8_3c-seed42.html`. A replay of the same seed rewrites its own view.
pub fn file_name(package: Option<&str>, test: &str, seed: u64) -> String {
    let test = test.rsplit("::").next().unwrap_or(test);
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    match package {
        Some(package) => format!("{}-{}-seed{seed}.html", clean(package), clean(test)),
        None => format!("{}-seed{seed}.html", clean(test)),
    }
}

/// Writes `html` to `path` (through a temporary file beside it, so a reader never sees half a
/// view), then removes the oldest views of the directory beyond [`KEEP`].
pub(crate) fn write(path: &Path, html: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    if path.exists() && !is_view(path) {
        return Err(std::io::Error::other(format!(
            "{} exists and is not a run view; not overwriting it",
            path.display()
        )));
    }
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, html)?;
    std::fs::rename(&tmp, path)?;
    prune(dir, path);
    Ok(())
}

fn is_view(path: &Path) -> bool {
    let mut head = vec![0; SIGNATURE.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == SIGNATURE.as_bytes()
}

/// Removes the oldest views of `dir` beyond [`KEEP`], never `just_written`. Other processes may
/// prune at the same time: a file already gone is not an error.
fn prune(dir: &Path, just_written: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut views: Vec<(SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "html") && p != just_written)
        .filter(|p| is_view(p))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    views.sort();
    let excess = (views.len() + 1).saturating_sub(KEEP);
    for (_, old) in views.into_iter().take(excess) {
        let _ = std::fs::remove_file(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_views_are_kept_and_other_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join("notes.html");
        std::fs::write(&other, "<html>mine</html>").unwrap();
        let view = format!("{SIGNATURE}<html></html>");
        for i in 0..KEEP + 5 {
            write(&dir.path().join(format!("t-seed{i}.html")), &view).unwrap();
        }
        let kept = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(kept, KEEP + 1, "20 views and the user's file");
        assert!(other.exists());
        assert!(dir.path().join(format!("t-seed{}.html", KEEP + 4)).exists());
        let refused = write(&other, &view).unwrap_err();
        assert!(refused.to_string().contains("not a run view"), "{refused}");
    }

    #[test]
    fn names_say_package_test_and_seed() {
        assert_eq!(
            file_name(Some("raft"), "part_3c::figure8_3c", 7),
            "raft-figure8_3c-seed7.html"
        );
        assert_eq!(file_name(None, "a b", 1), "a_b-seed1.html");
    }
}
