//! `handout --out DIR` over a student's work: a handout that became a git repository, with an
//! edited student file and new files of their own. Regenerating it must lose none of it.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the handout tool from outside the project: it finds the project it was built from.
fn handout(out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handout"))
        .arg("--out")
        .arg(out)
        .arg("--no-build")
        .args(extra)
        .output()
        .expect("run handout")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=student",
            "-c",
            "user.email=student@example.com",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Every file under `dir` with its contents, to show that nothing in it changed.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                files.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn regenerating_over_a_student_repository_keeps_their_work() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("handout");
    let first = handout(&out, &[]);
    assert!(first.status.success(), "{first:?}");
    git(&out, &["init", "-q"]);
    git(&out, &["add", "-A"]);
    git(&out, &["commit", "-qm", "the handout"]);
    let raft = out.join("raft/src/raft.rs");
    let stub = std::fs::read_to_string(&raft).unwrap();
    let edited = format!("{stub}\n// my election timer\n");
    std::fs::write(&raft, &edited).unwrap();
    std::fs::write(out.join("raft/src/helpers.rs"), "pub fn mine() {}\n").unwrap();
    std::fs::write(out.join("notes.txt"), "my notes\n").unwrap();
    let git_dir = snapshot(&out.join(".git"));
    assert!(git_dir.len() > 20, "a real repository: {}", git_dir.len());

    // Without --force: refused, naming the edited file, and nothing changes.
    let before = snapshot(&out);
    let refused = handout(&out, &[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("handout: error: refusing to overwrite 1 file(s)")
            && stderr.contains("raft/src/raft.rs (changed since the handout wrote it)")
            && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(snapshot(&out) == before, "the refused run changed files");

    // With --force: the edited file it wrote is replaced; .git and the student's files stay.
    let forced = handout(&out, &["--force"]);
    let stdout = String::from_utf8_lossy(&forced.stdout);
    assert!(forced.status.success(), "{forced:?}");
    assert!(
        stdout.contains("--force: overwrote raft/src/raft.rs\n"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&raft).unwrap(), stub);
    assert!(snapshot(&out.join(".git")) == git_dir, ".git changed");
    assert_eq!(
        std::fs::read_to_string(out.join("raft/src/helpers.rs")).unwrap(),
        "pub fn mine() {}\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "my notes\n"
    );
    // The repository agrees: only the student's own files are new, nothing tracked changed.
    let status = git(&out, &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(
        status, "?? notes.txt\n?? raft/src/helpers.rs\n",
        "git status after --force"
    );
}

#[test]
fn a_directory_that_is_not_a_handout_is_refused_or_only_added_to() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    std::fs::write(out.join("precious.txt"), "keep me").unwrap();
    std::fs::create_dir(out.join(".git")).unwrap();
    std::fs::write(out.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();

    let refused = handout(out, &[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is not empty and has no handout record (.handout)"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(out).unwrap().count(),
        2,
        "nothing written"
    );

    let forced = handout(out, &["--force"]);
    assert!(forced.status.success(), "{forced:?}");
    assert!(out.join("raft/src/raft.rs").is_file());
    assert_eq!(
        std::fs::read_to_string(out.join("precious.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(
        std::fs::read_to_string(out.join(".git/HEAD")).unwrap(),
        "ref: refs/heads/main\n"
    );
}
