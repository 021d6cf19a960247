//! `lincheck` on bad input: one clear line and exit status 2, never a panic, an unbounded read or
//! a silent "0 operations".

use std::path::Path;
use std::process::{Command, Output};

fn lincheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lincheck"))
        .args(args)
        .output()
        .expect("run lincheck")
}

/// The exit status and standard error of a run that must fail.
fn failure(args: &[&str]) -> (Option<i32>, String) {
    let out = lincheck(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    (out.status.code(), stderr)
}

const KV_HISTORY: &str = "{:process 0, :type :invoke, :f :put, :key \"1\", :value \"x\"}\n\
                          {:process 0, :type :ok, :f :put, :key \"1\", :value \"x\"}\n";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_timeout_that_is_not_a_sensible_number_of_seconds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let history = write(dir.path(), "c01-ok.txt", KV_HISTORY);
    for timeout in ["nan", "inf", "1e300", "-1", "0"] {
        let (code, stderr) = failure(&["kv", &history, "--timeout", timeout]);
        assert_eq!(code, Some(2), "--timeout {timeout}: {stderr}");
        assert!(
            stderr.starts_with(&format!(
                "error: invalid value '{timeout}' for '--timeout <TIMEOUT>': must be a number \
                 of seconds above 0 and at most 86400 (a day)"
            )),
            "--timeout {timeout}: {stderr}"
        );
    }
    let ok = lincheck(&["kv", &history, "--timeout", "0.5"]);
    assert!(ok.status.success(), "{ok:?}");
}

#[test]
fn only_regular_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.txt");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for (path, what) in [
        ("/dev/zero", "/dev/zero is not a regular file"),
        (fifo.to_str().unwrap(), "fifo.txt is not a regular file"),
    ] {
        let (code, stderr) = failure(&["kv", path]);
        assert_eq!(code, Some(2), "{path}: {stderr}");
        assert!(stderr.contains(what), "{path}: {stderr}");
    }
}

#[test]
fn a_file_too_large_for_a_history_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.txt");
    // Sparse: 65 MiB of size, no disk.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(65 << 20)
        .unwrap();
    let (code, stderr) = failure(&["kv", big.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("huge.txt is larger than 64 MiB, more than any history"),
        "{stderr}"
    );
}

#[test]
fn no_operations_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty_dir = dir.path().join("nothing");
    std::fs::create_dir(&empty_dir).unwrap();
    let empty_file = write(dir.path(), "c00-empty.txt", "");
    let kv = write(dir.path(), "c01-ok.txt", KV_HISTORY);
    let cases = [
        (
            vec!["kv", empty_dir.to_str().unwrap()],
            "nothing is a directory with no history files in it",
        ),
        (vec!["kv", &empty_file], "no operations found in "),
        (
            vec!["etcd", &kv],
            "c01-ok.txt: is it empty, or a history of another kind than `etcd`?",
        ),
    ];
    for (args, message) in cases {
        let (code, stderr) = failure(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let ok = lincheck(&["kv", &kv]);
    assert!(ok.status.success(), "{ok:?}");
}

/// `lincheck <folder> | head -1`: the reader closing the pipe ends the run quietly; a full disk
/// is said in one line.
#[test]
fn a_closed_or_full_standard_output_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        write(dir.path(), &format!("c01-ok-{i:02}.txt"), KV_HISTORY);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_lincheck"))
        .args(["kv", dir.path().to_str().unwrap(), "--repeat", "200"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert_eq!(stderr, "");

    let history = write(dir.path(), "c01-ok.txt", KV_HISTORY);
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lincheck"))
        .args(["kv", &history])
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("lincheck: cannot write the report: No space left on device"),
        "{stderr}"
    );
}
