//! Bad input and failures around the job: clear errors naming what went wrong, workers that
//! outlive their coordinator, and garbage on the coordinator's socket.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::{Job, TIMEOUT};

/// Runs `command` to completion and returns its exit code and output.
fn run(job: &Job, name: &str, command: std::process::Command) -> (Option<i32>, String) {
    let mut p = job.spawn(name, command, TIMEOUT);
    let status = p.wait().expect("the process must not hang");
    (status.code(), p.log())
}

#[test]
fn an_unknown_app_is_refused_with_the_list_of_apps() {
    let job = Job::new("unknown_app");
    for program in ["mrworker", "mrsequential"] {
        let mut command = job.command(program);
        command.arg("wordcount");
        if program == "mrsequential" {
            command.args(&job.inputs);
        }
        let (code, log) = run(&job, program, command);
        assert_ne!(code, Some(0), "{program} accepted an unknown app");
        assert!(
            log.contains("wordcount"),
            "{program} did not name the app:\n{log}"
        );
        for app in mapreduce::APP_NAMES {
            assert!(log.contains(app), "{program} did not list `{app}`:\n{log}");
        }
    }
}

#[test]
fn a_missing_or_unreadable_input_is_named() {
    let job = Job::new("missing_input");
    // A directory stands for an unreadable file: the tests run as root, who can read anything.
    std::fs::create_dir(job.cwd.join("a_directory.txt")).unwrap();
    for (input, reason) in [
        ("../no_such_book.txt", "No such file"),
        ("a_directory.txt", "directory"),
    ] {
        for program in ["mrsequential", "mrcoordinator"] {
            let mut command = job.command(program);
            if program == "mrsequential" {
                command.arg("wc");
            } else {
                command.arg("--socket").arg(job.cwd.join("unused.sock"));
            }
            command.arg(&job.inputs[0]).arg(input);
            let (code, log) = run(&job, program, command);
            assert_ne!(code, Some(0), "{program} accepted the input {input}");
            assert!(
                log.contains(input) && log.contains(reason),
                "{program} must name {input} and say why ({reason}):\n{log}"
            );
        }
    }
}

#[test]
fn a_worker_without_a_coordinator_exits_promptly_with_status_0() {
    let job = Job::new("no_coordinator");
    // First no socket file at all, then a stale one that nobody listens on (a crashed
    // coordinator leaves one behind).
    for stale in [false, true] {
        if stale {
            drop(std::os::unix::net::UnixListener::bind(&job.socket).unwrap());
        }
        let started = Instant::now();
        let mut worker = job.worker("wc", TIMEOUT);
        let status = worker.wait().expect("the worker must not hang");
        assert!(status.success(), "status {status:?}:\n{}", worker.log());
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn workers_exit_with_status_0_when_the_coordinator_dies_mid_job() {
    let job = Job::new("coordinator_dies");
    let mut coordinator = job.coordinator(TIMEOUT);
    // jobcount's maps take 2-5 s: the worker is busy when the coordinator dies.
    let mut worker = job.worker("jobcount", TIMEOUT);
    std::thread::sleep(Duration::from_millis(500));
    coordinator.kill();
    let killed = Instant::now();
    let status = worker.wait().expect("the worker must not hang");
    assert!(status.success(), "status {status:?}:\n{}", worker.log());
    assert!(
        killed.elapsed() < Duration::from_secs(8),
        "the worker took {:?} to notice",
        killed.elapsed()
    );
}

#[test]
fn a_malformed_frame_does_not_kill_the_coordinator() {
    let job = Job::new("malformed_frame");
    let correct = job.sequential("wc");
    let mut coordinator = job.coordinator(TIMEOUT);
    // A frame that is not a request, then a length far beyond the limit.
    for garbage in [&b"\x00\x00\x00\x04junk"[..], b"\xff\xff\xff\xffjunk"] {
        let mut raw = UnixStream::connect(&job.socket).unwrap();
        raw.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        raw.write_all(garbage).unwrap();
        // The coordinator closes the connection: an end of file, or a reset when the rest of
        // the garbage was still unread.
        let mut rest = Vec::new();
        match raw.read_to_end(&mut rest) {
            Ok(_) => assert!(
                rest.is_empty(),
                "the coordinator answered garbage: {rest:?}"
            ),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
    }
    let mut worker = job.worker("wc", TIMEOUT);
    assert!(
        worker.wait().is_some_and(|s| s.success()),
        "{}",
        worker.log()
    );
    let status = coordinator
        .wait()
        .expect("the coordinator must finish the job");
    assert!(status.success(), "{}", coordinator.log());
    assert_eq!(job.output(), correct, "the job's output after the garbage");
    let log = coordinator.log();
    assert!(
        log.contains("malformed request frame") && log.contains("malformed frame: length"),
        "the coordinator must log both malformed frames:\n{log}"
    );
}

/// `--socket` never destroys a file that is not a socket, nor steals a live coordinator's socket;
/// a stale socket (nothing listening) is replaced, as after a crash.
#[test]
fn the_coordinator_refuses_a_socket_path_it_would_destroy_or_steal() {
    let job = Job::new("socket_path");
    let victim = job.cwd.join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let mut command = job.command("mrcoordinator");
    command.arg("--socket").arg(&victim).args(&job.inputs);
    let (code, log) = run(&job, "mrcoordinator on a file", command);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("victim.txt exists and is not a socket; refusing to replace it"),
        "{log}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");

    let live = std::os::unix::net::UnixListener::bind(&job.socket).unwrap();
    let mut command = job.command("mrcoordinator");
    command.arg("--socket").arg(&job.socket).args(&job.inputs);
    let (code, log) = run(&job, "mrcoordinator on a live socket", command);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("a coordinator is already serving on"), "{log}");
    assert!(job.socket.exists(), "the live socket was removed");

    // Once nobody listens, the socket is stale and a coordinator takes it over.
    drop(live);
    let mut coordinator = job.coordinator(TIMEOUT);
    let deadline = Instant::now() + Duration::from_secs(10);
    while UnixStream::connect(&job.socket).is_err() {
        assert!(
            Instant::now() < deadline && coordinator.poll().is_none(),
            "the coordinator did not take over the stale socket:\n{}",
            coordinator.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    coordinator.kill();
}
