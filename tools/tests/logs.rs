//! The `logs` binary end to end: a small election log, as `LAB_LOG=1 cargo test ... --nocapture`
//! prints it, through the flags students use.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// Three peers elect S0, among cargo's own output and a harness line; one line is cut mid-character.
fn sample() -> Vec<u8> {
    let mut log = b"running 1 test\n\
        000318 VOTE S0 T1 election timeout: asking for votes\n\
        000318 TERM S1 T0 -> T1 follower\n\
        000318 VOTE S1 T1 granted vote to S0\n\
        000319 VOTE S2 T1 granted vote to S0\n\
        000320 LEAD S0 T1 elected leader with 2 votes\n\
        000700 TEST partition [0] [1 2]\n\
        000701 APPL S2 applied index 1 \xe2\x9c\n\
        test part_3a::initial_election_3a ... ok\n\
        \n\
        test result: ok. 1 passed; 0 failed\n"
        .to_vec();
    // Lines longer than any terminal must wrap inside their column.
    log.extend_from_slice(format!("000800 LOG1 S1 {}\n", "entry ".repeat(40)).as_bytes());
    log
}

fn logs(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logs"))
        .args(args)
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logs");
    // Written while the output is read: a log larger than the pipes would block both sides.
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let output = child.wait_with_output().unwrap();
    // A viewer that refuses its input stops reading it: the rest is not delivered.
    if let Err(e) = writer.join().unwrap() {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    output
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A row of `-c 3 --width 100`: the time, then three columns of (100 - 9 for the time - 6 for
/// the rules) / 3 = 28 characters, `text` in `column`, no blanks at the end.
fn row(time: &str, column: usize, text: &str) -> String {
    let mut row = format!("{time:6}");
    for c in 0..3 {
        let cell = if c == column { text } else { "" };
        row += &format!(" │ {cell:28}");
    }
    row.trim_end().to_string()
}

#[test]
fn columns_from_stdin() {
    let out = stdout(&logs(&["-c", "3", "--width", "100"], &sample()));
    let lines: Vec<&str> = out.lines().collect();
    let hashes = "#".repeat(100);
    assert_eq!(lines[0], hashes);
    assert_eq!(lines[1], "running 1 test");
    assert!(lines[2].starts_with("       │ S0 ") && lines[2].ends_with("│ S2"));
    assert_eq!(lines[3], row("000318", 0, "VOTE T1 election timeout:"));
    assert_eq!(lines[4], row("", 0, "asking for votes"));
    assert_eq!(lines[6], row("000318", 1, "VOTE T1 granted vote to S0"));
    assert_eq!(lines[7], row("000319", 2, "VOTE T1 granted vote to S0"));
    assert_eq!(lines[8], row("000320", 0, "LEAD T1 elected leader with"));
    assert_eq!(lines[10], "000700 TEST     partition [0] [1 2]");
    assert_eq!(lines[11], row("000701", 2, "APPL applied index 1 \u{fffd}"));
    assert_eq!(lines[12], hashes);
    assert_eq!(lines[13], "test part_3a::initial_election_3a ... ok");
    assert_eq!(lines[14], "");
    assert_eq!(lines[15], "test result: ok. 1 passed; 0 failed");
    // The long entry: a header again after the test output, then rows that all fit.
    assert!(lines[16].starts_with("       │ S0 "));
    assert_eq!(lines[17], row("000800", 1, "LOG1 entry entry entry entry"));
    assert!(lines.len() > 20);
    assert!(lines.iter().all(|l| l.chars().count() <= 100), "{out}");
}

#[test]
fn one_line_per_event_from_a_file() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("logs_one_line_per_event.log");
    std::fs::write(&path, sample()).unwrap();
    let out = stdout(&logs(&[path.to_str().unwrap()], b""));
    assert!(
        out.contains("\n000318 TERM S1  T0 -> T1 follower\n"),
        "{out}"
    );
    assert!(
        out.contains("\n000701 APPL S2  applied index 1 \u{fffd}\n"),
        "{out}"
    );
    // Piped output gets no colour; 160 columns without COLUMNS or --width.
    assert!(!out.contains('\x1b'));
    assert!(out.starts_with(&format!("{}\n", "#".repeat(160))));
}

#[test]
fn topic_filters() {
    let just = stdout(&logs(&["--just", "vote,TEST"], &sample()));
    let topics: Vec<&str> = just
        .lines()
        .filter(|l| l.starts_with("000"))
        .map(|l| &l[7..11])
        .collect();
    assert_eq!(topics, ["VOTE", "VOTE", "VOTE", "TEST"]);
    // Output that is not a log line is never filtered.
    assert!(just.contains("test result: ok."));

    let ignore = stdout(&logs(
        &["-i", "VOTE,LOG1", "-j", "VOTE,LEAD,TERM"],
        &sample(),
    ));
    let topics: Vec<&str> = ignore
        .lines()
        .filter(|l| l.starts_with("000"))
        .map(|l| &l[7..11])
        .collect();
    assert_eq!(topics, ["TERM", "LEAD"]);
}

#[test]
fn colour_when_asked_or_on_a_terminal_only() {
    let forced = stdout(&logs(&["--color", "-c", "3"], &sample()));
    assert!(forced.contains("\x1b[38;5;73mVOTE T1 granted vote to S0"));
    let off = stdout(&logs(&["--no-color"], &sample()));
    assert!(!off.contains('\x1b'));
    let clash = logs(&["--color", "--no-color"], b"");
    assert!(!clash.status.success());
}

#[test]
fn width_from_the_environment() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logs"))
        .env("COLUMNS", "60")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = stdout(&child.wait_with_output().unwrap());
    assert_eq!(out, format!("{}\nhello\n", "#".repeat(60)));
}

#[test]
fn missing_file_is_a_clear_error() {
    let output = logs(&["no/such/file.log"], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("logs: cannot read no/such/file.log: "),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// Input that is not a log file is refused with one line, never read without bound.
#[test]
fn devices_directories_and_endless_lines_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "/dev/zero",
            "logs: /dev/zero is not a regular file (a device, FIFO or socket): give the path of a \
             regular file\n",
        ),
        (
            dir.path().to_str().unwrap(),
            "is a directory: give the path of a regular file\n",
        ),
    ];
    for (path, message) in cases {
        let output = logs(&[path], b"");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{path}: {stderr}");
        assert!(stderr.ends_with(message), "{path}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    // 17 MiB without a line break, as `logs < /dev/zero` would give forever.
    let output = logs(&[], &vec![0u8; 17 << 20]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "logs: cannot show standard input: line 1 is longer than 16 MiB: this is not a \
         simulator log\n"
    );
}

/// The log command each lab page gives, on that lab's real output: every line a server logged
/// lands in a column (none spans the width), and the header names the lab's servers.
#[test]
fn each_lab_page_s_log_command_puts_every_server_in_a_column() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (page, header) in [
        ("docs/lab3-raft.md", "│ S2"),
        ("docs/lab4-kvraft.md", "│ S4"),
        ("docs/lab5-shardkv.md", "│ 102 S2"),
        ("docs/lab6-dynamo.md", "│ S7"),
    ] {
        let text = std::fs::read_to_string(root.join(page)).unwrap();
        let (package, test, args) = page_log_command(&text);
        let log = real_log(&root, &package, &test);
        let mut args: Vec<&str> = args.split_whitespace().collect();
        args.extend(["--width", "400"]);
        let out = logs(&args, &log);
        let shown = stdout(&out);
        assert!(
            out.stderr.is_empty(),
            "{page}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            shown.lines().any(|l| l.ends_with(header)),
            "{page}: no header with {header}"
        );
        let events = String::from_utf8_lossy(&log)
            .lines()
            .filter(|l| tools::logview::parse::parse(l).is_some_and(|e| e.server.is_some()))
            .count();
        assert!(events > 0, "{page}: no server logged a line");
        let across: Vec<&str> = shown
            .lines()
            .filter(|l| tools::logview::parse::parse(l).is_some_and(|e| e.server.is_some()))
            .collect();
        assert!(
            across.is_empty(),
            "{page}: lines not in a column: {across:?}"
        );
    }
}

/// The package, test and viewer arguments of the page's `LAB_LOG=1 ... | ... logs -- ARGS`.
fn page_log_command(page: &str) -> (String, String, String) {
    let lines: Vec<&str> = page.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("LAB_LOG=1 ") && l.ends_with("2>&1 \\"))
        .expect("a LAB_LOG=1 command piped into the viewer");
    let words: Vec<&str> = lines[at].split_whitespace().collect();
    let package = words[words.iter().position(|w| *w == "-p").unwrap() + 1];
    // `--exact <path>` or a name filter after `--release`.
    let test = match words.iter().position(|w| *w == "--exact") {
        Some(i) => words[i + 1].rsplit("::").next().unwrap(),
        None => words[words.iter().position(|w| *w == "--release").unwrap() + 1],
    };
    let args = lines[at + 1]
        .split_once("--bin logs --")
        .expect("the next line runs the viewer")
        .1;
    (
        package.to_string(),
        test.to_string(),
        args.trim().to_string(),
    )
}

/// What `test` of `package` prints with `LAB_LOG=1` on seed 1, whole.
fn real_log(root: &std::path::Path, package: &str, test: &str) -> Vec<u8> {
    let cases = tools::runner::build_and_list(root, None, package, false).unwrap();
    let case = cases.iter().find(|c| c.short_name == test).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.log");
    let outcome = tools::runner::run_one(&tools::runner::RunSpec {
        case: case.clone(),
        seed: Some(1),
        policy: tools::runner::Policy {
            timeout: std::time::Duration::from_secs(120),
            seeded: true,
            env: vec![
                ("LAB_LOG".into(), "1".into()),
                ("RUST_TEST_NOCAPTURE".into(), "1".into()),
            ],
            log: Some(tools::runner::LogFile {
                path: path.clone(),
                cap_bytes: 64 << 20,
            }),
            ..Default::default()
        },
    });
    assert!(outcome.passed, "{test}: {:?}", outcome.reason);
    std::fs::read(path).unwrap()
}
