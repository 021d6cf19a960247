//! Hostile submissions against the grader, on a toy course (see `fixture`): each test builds a
//! submission that tries to cheat or to break the grader, grades it, and checks that the grade is
//! the honest one and that the report says why.

mod fixture;

use std::time::{Duration, Instant};

use fixture::{
    Fixture, HONEST, STUDENT_FILE, honest_with_new, processes_with, reasons, score, warm_up,
};
use tools::grade::Kind;
use tools::runner::Limits;

const BUILD_LIMIT: Duration = Duration::from_secs(600);

/// Every failing test failed for a reason containing `expected`.
fn all_fail_because(name: &str, body: &str, expected: &str) {
    let fixture = Fixture::new(name);
    fixture.submit(STUDENT_FILE, &honest_with_new(body));
    let (results, _) = fixture.grade(Limits::default(), BUILD_LIMIT);
    let reasons = reasons(&results);
    assert_eq!(score(&results), 0.0, "{name}: {reasons:?}");
    assert_eq!(reasons.len(), results.len());
    for (test, reason) in &reasons {
        assert!(
            reason.contains(expected),
            "{name}: {test} failed for {reason:?}, not {expected:?}"
        );
    }
}

#[test]
fn an_honest_submission_scores_full_marks() {
    let fixture = Fixture::new("honest");
    fixture.submit(STUDENT_FILE, HONEST);
    let (results, notes) = fixture.grade(Limits::default(), BUILD_LIMIT);
    assert_eq!(reasons(&results), Vec::new());
    assert_eq!(score(&results), 100.0);
    assert!(
        notes.contains(&format!("taken: {STUDENT_FILE} (from {STUDENT_FILE})")),
        "{notes:?}"
    );
    let virtual_ms: Vec<_> = results
        .iter()
        .map(|r| r.runs[0].1.virtual_time.map(|t| t.as_millis()))
        .collect();
    assert_eq!(virtual_ms, [Some(1000), Some(3000), None]);
}

#[test]
fn exit_zero_first_thing_in_the_constructor_scores_nothing() {
    all_fail_because(
        "exit-in-new",
        "        std::process::exit(0)",
        "the test process exited with status 0 before the test finished",
    );
}

#[test]
fn exit_zero_from_a_spawned_task_after_a_while_scores_nothing() {
    let fixture = Fixture::new("exit-in-task");
    fixture.submit(
        STUDENT_FILE,
        &honest_with_new(
            "        labrpc::spawn(async {\n\
                         tokio::time::sleep(std::time::Duration::from_millis(500)).await;\n\
                         std::process::exit(0);\n\
                     });\n\
                     Service { value: 42 }",
        ),
    );
    let (results, _) = fixture.grade(Limits::default(), BUILD_LIMIT);
    let reasons = reasons(&results);
    // The two simulated tests outlive the task; the third builds the service outside any
    // runtime, where spawning panics: an honest failure too.
    assert_eq!(score(&results), 0.0, "{reasons:?}");
    for (test, reason) in &reasons[..2] {
        assert!(
            reason.contains("exited with status 0 before the test finished"),
            "{test}: {reason}"
        );
    }
}

#[test]
fn forged_output_changes_neither_the_grade_nor_the_reason() {
    let forged = "        for line in [\n\
                     \"labrpc-grader 00000000000000000000000000000000 answer_0 passed virtual_ms=1\",\n\
                     \"labrpc-grader 00000000000000000000000000000000 patience_0 passed\",\n\
                     \"test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\",\n\
                     \"thread 'answer_0' panicked at src/student.rs:1:1:\",\n\
                     \"the grader was fooled\",\n\
                     \"labrpc watchdog: test `answer_0` is stuck\",\n\
                 ] {\n\
                     println!(\"{line}\");\n\
                     eprintln!(\"{line}\");\n\
                 }\n\
                 Service { value: 41 }";
    // The tests fail on their own checks, and say which.
    let fixture = Fixture::new("forged-output");
    fixture.submit(STUDENT_FILE, &honest_with_new(forged));
    let (results, _) = fixture.grade(Limits::default(), BUILD_LIMIT);
    assert_eq!(score(&results), 0.0);
    let why: Vec<String> = reasons(&results).into_iter().map(|r| r.1).collect();
    assert_eq!(
        why,
        [
            "assertion `left == right` failed: the service gave the wrong answer\n  left: 41\n right: 42",
            "assertion `left == right` failed: the service forgot its answer\n  left: 41\n right: 42",
            "the service gave the wrong answer",
        ]
    );
    let fixture = Fixture::new("forged-output-then-exit");
    fixture.submit(
        STUDENT_FILE,
        &honest_with_new(&forged.replace("Service { value: 41 }", "std::process::exit(0)")),
    );
    let (results, _) = fixture.grade(Limits::default(), BUILD_LIMIT);
    assert_eq!(score(&results), 0.0);
    for (test, reason) in reasons(&results) {
        assert!(
            reason.contains("exited with status 0 before the test finished"),
            "{test}: {reason}"
        );
    }
}

#[test]
fn a_memory_hog_fails_as_out_of_memory() {
    let hog = "        let mut hog: Vec<Vec<u8>> = Vec::new();\n\
                   loop {\n\
                       hog.push(vec![1u8; 1 << 20]);\n\
                       if hog.len() == usize::MAX { return Service { value: 42 }; }\n\
                   }";
    let fixture = Fixture::new("memory-hog");
    fixture.submit(STUDENT_FILE, &honest_with_new(hog));
    let limits = Limits {
        memory_bytes: Some(256 << 20),
        run_as: None,
    };
    let (results, _) = fixture.grade(limits, BUILD_LIMIT);
    assert_eq!(score(&results), 0.0);
    for (test, reason) in reasons(&results) {
        assert_eq!(
            reason, "out of memory: the run exceeded its memory limit of 256 MiB",
            "{test}"
        );
    }
}

#[test]
fn a_const_evaluated_forever_is_a_build_failure_at_the_build_limit() {
    let fixture = Fixture::new("const-loop");
    let source = format!(
        "{HONEST}\n#[allow(long_running_const_eval)]\npub const FOREVER: u64 = {{\n    \
         let mut i: u64 = 0;\n    loop {{\n        i = i.wrapping_add(1);\n    }}\n}};\n"
    );
    fixture.submit(STUDENT_FILE, &source);
    warm_up();
    let started = Instant::now();
    let (results, _) = fixture.grade(Limits::default(), Duration::from_secs(15));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(score(&results), 0.0);
    for (test, reason) in reasons(&results) {
        assert!(
            reason.contains("did not finish within its limit of 15 s"),
            "{test}: {reason}"
        );
    }
    let course = fixture.root.display().to_string();
    assert_eq!(
        processes_with(&course),
        Vec::<u32>::new(),
        "rustc still runs"
    );
}

/// A process that escapes into its own session and holds the test's output open: the run still
/// ends, as failed, and the process does not outlive it.
#[test]
fn a_child_holding_the_output_open_neither_passes_nor_hangs_the_grader() {
    let marker = "attack-holds-the-pipe-3141";
    let fixture = Fixture::new("pipe-holder");
    fixture.submit(
        STUDENT_FILE,
        &honest_with_new(&format!(
            "        let _ = std::process::Command::new(\"setsid\")\n\
                         .args([\"sh\", \"-c\", \"sleep 1000; echo {marker}\"])\n\
                         .spawn();\n\
                     std::process::exit(0)"
        )),
    );
    let started = Instant::now();
    let (results, _) = fixture.grade(Limits::default(), BUILD_LIMIT);
    assert_eq!(score(&results), 0.0);
    for (test, reason) in reasons(&results) {
        assert!(reason.contains("exited with status 0"), "{test}: {reason}");
    }
    assert!(started.elapsed() < Duration::from_secs(120));
    assert_eq!(processes_with(marker), Vec::<u32>::new());
}

#[test]
fn a_symlinked_student_file_is_rejected_and_the_stub_graded() {
    let fixture = Fixture::new("symlink");
    let elsewhere = fixture.submission.with_file_name("another-student.rs");
    std::fs::write(&elsewhere, HONEST).unwrap();
    let link = fixture.submission.join(STUDENT_FILE);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    let (results, notes) = fixture.grade(Limits::default(), BUILD_LIMIT);
    assert_eq!(score(&results), 0.0, "the stub scores nothing");
    assert!(
        notes.iter().any(|n| n.starts_with(&format!(
            "rejected: {STUDENT_FILE} as {STUDENT_FILE}: a symlink, not a regular file"
        ))),
        "{notes:?}"
    );
}

#[test]
fn a_fifo_named_like_a_student_file_does_not_hang_the_grader() {
    let fixture = Fixture::new("fifo");
    let fifo = fixture.submission.join(STUDENT_FILE);
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a valid C string.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0);
    let (done, notes) = std::sync::mpsc::channel();
    let root = fixture.root.clone();
    std::thread::spawn(move || done.send(fixture.overlay()));
    let notes = notes
        .recv_timeout(Duration::from_secs(10))
        .expect("taking the submission hangs on a FIFO");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("a FIFO, not a regular file")),
        "{notes:?}"
    );
    assert!(
        std::fs::read_to_string(root.join(STUDENT_FILE))
            .unwrap()
            .contains("the handout's stub"),
        "the stub is graded"
    );
}

/// A process that leaves the test's session, outlives the test and rewrites the results a while
/// after grading: the grader kills it when its run ends, so the honest results stay. The `grade`
/// command itself runs here, as a course would run it; an earlier results file is gone from
/// the start of grading, so a grader stopped halfway leaves none.
#[test]
fn a_lingering_process_cannot_rewrite_the_results() {
    let marker = "attack-rewrites-results-2718";
    let fixture = Fixture::new("lingering");
    fixture.submit(
        STUDENT_FILE,
        &honest_with_new(&format!(
            "        let results = std::env::current_dir().unwrap().join(\"../grade-results/results.json\");\n\
                     let _ = std::process::Command::new(\"setsid\")\n\
                         .args([\"-f\", \"sh\", \"-c\", \"sleep 2; echo '{{\\\"score\\\": 100, \\\"{marker}\\\": 1}}' > \\\"$0\\\"\"])\n\
                         .arg(results)\n\
                         .stdin(std::process::Stdio::null())\n\
                         .stdout(std::process::Stdio::null())\n\
                         .stderr(std::process::Stdio::null())\n\
                         .spawn();\n\
                     Service {{ value: 41 }}"
        )),
    );
    fixture.overlay();
    let results = fixture.root.join("grade-results/results.json");
    std::fs::create_dir_all(results.parent().unwrap()).unwrap();
    std::fs::write(&results, r#"{"score": 99.99999999999999}"#).unwrap();

    let mut grade = std::process::Command::new(env!("CARGO_BIN_EXE_grade"));
    grade
        .current_dir(&fixture.root)
        .env("CARGO_TARGET_DIR", fixture::target_dir())
        .args(["--seed", "1", "--jobs", "2", "--no-clippy"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    if tools::runner::is_root() {
        // As the attacker's own user, so that only the kill stands between it and the results.
        grade.args(["--run-as", "root"]);
    }
    let mut grade = grade.spawn().unwrap();
    let mut stderr = std::io::BufReader::new(grade.stderr.take().unwrap());
    let mut log = String::new();
    let mut removed_before_building = None;
    while std::io::BufRead::read_line(&mut stderr, &mut log).unwrap() > 0 {
        if removed_before_building.is_none() && log.contains("building ") {
            removed_before_building = Some(!results.exists());
        }
    }
    assert!(!grade.wait().unwrap().success(), "every test fails: {log}");
    assert_eq!(removed_before_building, Some(true), "{log}");

    let graded = std::fs::read_to_string(&results).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(std::fs::read_to_string(&results).unwrap(), graded);
    let json: serde_json::Value = serde_json::from_str(&graded).unwrap();
    assert_eq!(json["score"], 0.0);
    assert_eq!(processes_with(marker), Vec::<u32>::new());
}

/// Name-only matching must not take one lab's file for another's: a submission holding
/// `mapreduce/src/rpc.rs` but no `raft/src/rpc.rs` grades Raft with the handout's rpc.rs, while
/// a loose `raft.rs` (a name no other lab has) is taken.
#[test]
fn a_file_of_another_lab_is_not_taken_by_its_name() {
    let root = fixture::project();
    let manifest = tools::manifest::Manifest::load(&root).unwrap();
    let raft = manifest.select(&["lab3".to_string()]).unwrap();
    let work = root.join("target/attacks/name-collision");
    let _ = std::fs::remove_dir_all(&work);
    let (tree, submission) = (work.join("tree"), work.join("submission"));
    for file in manifest.submission_files(raft[0]) {
        let path = tree.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "// the handout's stub\n").unwrap();
    }
    std::fs::create_dir_all(submission.join("mapreduce/src")).unwrap();
    std::fs::write(
        submission.join("mapreduce/src/rpc.rs"),
        "// MapReduce's RPCs\n",
    )
    .unwrap();
    std::fs::write(submission.join("raft.rs"), "// a Raft\n").unwrap();

    let notes = tools::grade::overlay_submission(&manifest, &raft, &tree, &submission).unwrap();
    let read = |file: &str| std::fs::read_to_string(tree.join(file)).unwrap();
    assert_eq!(read("raft/src/rpc.rs"), "// the handout's stub\n");
    assert_eq!(read("raft/src/raft.rs"), "// a Raft\n");
    for expected in [
        "taken: raft/src/raft.rs (from raft.rs)",
        "missing: raft/src/rpc.rs is not in the submission; the handout's stub is graded",
        "ignored: mapreduce/src/rpc.rs: a student file of a lab not graded now",
    ] {
        assert!(notes.iter().any(|n| n == expected), "{expected}: {notes:?}");
    }
}

/// As root, the grader runs the tests as an unprivileged user, on a copy in a grading area that
/// user can read but not write, whatever the permissions above the project. The student code here
/// answers correctly only if every write it tries is refused, so full marks mean the writes were
/// refused. (Only where the tests run as root.)
#[test]
fn tests_run_by_a_root_grader_cannot_write_the_tree_or_the_results() {
    if !tools::runner::is_root() {
        eprintln!("skipped: only a grader running as root runs tests as another user");
        return;
    }
    let fixture = Fixture::new("unprivileged");
    let nobody = tools::runner::User::lookup("nobody").unwrap();
    fixture.submit(
        STUDENT_FILE,
        &honest_with_new(
            "        // The working directory is the package's, toy/.\n\
                     let wrote = [\n\
                         std::fs::write(\"src/student.rs\", \"// overwritten\").is_ok(),\n\
                         std::fs::create_dir_all(\"../grade-results\").is_ok(),\n\
                         std::fs::write(\"../labs.toml\", \"\").is_ok(),\n\
                     ];\n\
                     Service { value: if wrote.contains(&true) { 0 } else { 42 } }",
        ),
    );
    let manifest = fixture.manifest();
    let labs = manifest.select(&[]).unwrap();
    let area = tools::grade::area::default_dir(&fixture.root);
    let area = tools::grade::area::Area::open(&area, &nobody, &fixture.root).unwrap();
    let prepared = tools::grade::prepare(
        &fixture.root,
        &manifest,
        &labs,
        Some(&fixture.submission),
        Some(&area),
    )
    .unwrap();
    assert_eq!(prepared.tree, area.tree());
    let options = tools::grade::Options {
        runs: Some(1),
        jobs: 2,
        base_seed: 7,
        target_dir: prepared.target_dir().map(Into::into),
        limits: Limits {
            memory_bytes: None,
            run_as: Some(nobody),
        },
        build_limit: BUILD_LIMIT,
    };
    let results = tools::grade::grade(&prepared.tree, &labs, &options).unwrap();
    assert_eq!(reasons(&results), Vec::new());
    assert_eq!(score(&results), 100.0);
    let graded = std::fs::read_to_string(area.tree().join(STUDENT_FILE)).unwrap();
    assert!(graded.contains("let wrote = ["));
    assert!(!area.tree().join("grade-results").exists());
}

/// Clippy's advice on the simulator's rules reaches the report: a sleep that blocks the simulator
/// thread is named with its file and line.
#[test]
fn clippy_names_a_blocking_sleep_in_a_student_file() {
    let fixture = Fixture::new("clippy");
    let rules = std::fs::read_to_string(fixture::project().join("raft/clippy.toml")).unwrap();
    std::fs::write(fixture.root.join("toy/clippy.toml"), rules).unwrap();
    fixture.submit(
        STUDENT_FILE,
        &honest_with_new(
            "        std::thread::sleep(std::time::Duration::from_millis(1));\n\
                     Service { value: 42 }",
        ),
    );
    fixture.overlay();
    let manifest = fixture.manifest();
    let labs = manifest.select(&[]).unwrap();
    let target = fixture::target_dir();
    let notes =
        tools::grade::clippy_notes(&manifest, &labs, &fixture.root, Some(&target), BUILD_LIMIT);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with(&format!("clippy: {STUDENT_FILE}:"))
                && n.contains("std::thread::sleep")),
        "{notes:?}"
    );
}

/// In a student's handout, the grader's loud warning about the files the course grader restores
/// names those files and nothing else: clippy's advice and the simulator's warnings go under
/// headings of their own, in the report and in results.json, and say that they cost no points.
#[test]
fn advice_and_warnings_have_headings_of_their_own_apart_from_changed_protected_files() {
    let fixture = Fixture::new("notes");
    let rules = std::fs::read_to_string(fixture::project().join("raft/clippy.toml")).unwrap();
    std::fs::write(fixture.root.join("toy/clippy.toml"), rules).unwrap();
    fixture.record_as_handout();
    // A blocking sleep: clippy names it, and the simulated tests warn that it blocked them.
    fixture.submit(
        STUDENT_FILE,
        &honest_with_new(
            "        std::thread::sleep(std::time::Duration::from_millis(1500));\n\
                     Service { value: 42 }",
        ),
    );
    fixture.overlay();
    let graded = fixture.root.join("toy/tests/graded.rs");
    let text = std::fs::read_to_string(&graded).unwrap();
    std::fs::write(&graded, text + "// a change the course grader undoes\n").unwrap();

    warm_up();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_grade"))
        .current_dir(&fixture.root)
        .env("CARGO_TARGET_DIR", fixture::target_dir())
        .args(["--seed", "1", "--jobs", "2"])
        .output()
        .unwrap();
    let (report, log) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "{report}\n{log}");

    let warning = log
        .split("WARNING: this handout differs")
        .nth(1)
        .unwrap_or_else(|| panic!("no warning about the changed test file:\n{log}"));
    let listed: Vec<&str> = warning.lines().filter(|l| l.starts_with("  - ")).collect();
    assert_eq!(listed.len(), 1, "{warning}");
    assert!(
        listed[0].starts_with("  - toy/tests/graded.rs differs"),
        "{warning}"
    );

    let section = |heading: Kind| -> Vec<String> {
        let after = report
            .split(&format!("\n{}:\n", heading.heading()))
            .nth(1)
            .unwrap_or_else(|| panic!("no {heading:?} heading in the report:\n{report}"));
        after
            .lines()
            .take_while(|l| l.starts_with("  - "))
            .map(str::to_string)
            .collect()
    };
    let lints = section(Kind::Lints);
    assert!(
        lints
            .iter()
            .any(|l| l.contains(STUDENT_FILE) && l.contains("std::thread::sleep")),
        "{lints:?}"
    );
    let warnings = section(Kind::RunWarnings);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("  - lab0 0 answer_0: test `answer_0`")
                && w.contains("blocked the simulator thread")),
        "{warnings:?}"
    );

    let results = std::fs::read_to_string(fixture.root.join("grade-results/results.json"));
    let json: serde_json::Value = serde_json::from_str(&results.unwrap()).unwrap();
    let overall = json["output"].as_str().unwrap();
    for kind in [Kind::Protected, Kind::RunWarnings, Kind::Lints] {
        assert!(
            overall.contains(&format!("\n## {}\n\n- ", kind.heading())),
            "{kind:?}: {overall}"
        );
    }
}
