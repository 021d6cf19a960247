//! A grader running as root on a project inside a private directory (root's home is mode 0700 on
//! most machines): its tests run as `nobody`, who cannot enter the project, so the grader grades a
//! copy in a grading area that user can read. The reference of Lab 2 scores full marks, a
//! submission that exits with status 0 scores nothing and shows that it ran as `nobody` and could
//! not write the graded tree, and a grading area the user cannot reach is refused before anything
//! is built. (Only where the tests run as root, as CI's do.)
//!
//! The copy's area is the default one under `/var/tmp`, kept between runs as a grader keeps it, so
//! that a later run rebuilds only what changed.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{copy_of_project, edit, root};

/// Runs the grader in `project` with `args`; its exit status and standard error.
fn grade(project: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_grade"))
        .current_dir(project)
        .env_remove("CARGO_TARGET_DIR")
        .args(["--seed", "3", "--runs", "1", "--no-clippy"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), stderr)
}

fn results(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_root_grader_grades_a_project_in_a_private_directory_as_nobody() {
    if !tools::runner::is_root() {
        eprintln!("skipped: only a grader running as root runs tests as another user");
        return;
    }
    let root = root();
    let private = root.join("target/private-grading");
    std::fs::create_dir_all(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let project = copy_of_project(&root, "target/private-grading/project");
    let nobody = tools::runner::User::lookup("nobody").unwrap();

    // Refused before the build, in one line naming the fix.
    let inside = private.join("area");
    let (status, stderr) = grade(&project, &["lab2", "--work-dir", inside.to_str().unwrap()]);
    assert_eq!(status, 2, "{stderr}");
    assert!(!stderr.contains("building"), "{stderr}");
    let error = stderr.lines().last().unwrap();
    assert!(
        error.starts_with("grade: error: user nobody cannot enter ")
            && error.contains("--work-dir"),
        "{stderr}"
    );
    assert!(!inside.exists());

    let reference = private.join("reference.json");
    let (status, stderr) = grade(&project, &["lab2", "--output", reference.to_str().unwrap()]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stderr.contains("running the tests as user nobody") && stderr.contains("grading in "),
        "{stderr}"
    );
    let json = results(&reference);
    assert_eq!(json["score"], 100.0, "{stderr}");

    // The reference's own files, the server first exiting with status 0 after saying who it runs
    // as and whether it could overwrite its source. Written to standard error directly, which
    // libtest does not capture.
    let submission = private.join("submission");
    let _ = std::fs::remove_dir_all(&submission);
    std::fs::create_dir_all(submission.join("kvsrv/src")).unwrap();
    for file in ["client.rs", "common.rs", "server.rs"] {
        let rel = format!("kvsrv/src/{file}");
        std::fs::copy(project.join(&rel), submission.join(&rel)).unwrap();
    }
    edit(
        &submission,
        "kvsrv/src/server.rs",
        "pub fn new() -> KvServer {\n",
        "pub fn new() -> KvServer {\n\
         let status = std::fs::read_to_string(\"/proc/self/status\").unwrap_or_default();\n\
         let uid = status.lines().find(|l| l.starts_with(\"Uid:\")).unwrap_or(\"Uid: ?\");\n\
         let wrote = std::fs::write(\"src/server.rs\", \"\").is_ok();\n\
         let said = format!(\"ran as {uid}; overwrote its source: {wrote}\\n\");\n\
         let _ = std::io::Write::write_all(&mut std::io::stderr(), said.as_bytes());\n\
         std::process::exit(0);\n",
    );
    let exited = private.join("exit.json");
    let (status, stderr) = grade(
        &project,
        &[
            "lab2",
            "--submission",
            submission.to_str().unwrap(),
            "--output",
            exited.to_str().unwrap(),
        ],
    );
    assert_eq!(status, 1, "{stderr}");
    let json = results(&exited);
    assert_eq!(json["score"], 0.0, "{stderr}");
    let output = json["tests"][0]["output"].as_str().unwrap();
    let uid = nobody.uid;
    assert!(
        output.contains(&format!(
            "ran as Uid:\t{uid}\t{uid}\t{uid}\t{uid}; overwrote its source: false"
        )),
        "{output}"
    );
    assert!(
        output.contains("the test process exited with status 0 before the test finished"),
        "{output}"
    );

    // The instructor's tree was not loosened, and nothing was built in it.
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert!(!project.join("target").exists());
}
