//! The graded suite: test-mr.sh's seven tests, with real mrcoordinator and mrworker processes.
//!
//! Each test keeps the script's worker count, which workers run in the foreground (the test waits
//! for them) or the background, its pass criteria, and the per-process time limits (45 s; 120 s
//! in the crash test). Each runs in its own temporary directory with its own socket, so the tests
//! can run in parallel. `cargo test -p mapreduce --release` runs them all; add a test's name to
//! run one (`cargo test -p mapreduce --release crash`).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use common::{CRASH_TIMEOUT, Job, Proc, TIMEOUT, announce, finish, same_output, wait_any};

/// The coordinator and 3 workers in the background; the output must equal mrsequential's.
#[test]
fn wc() {
    announce("*** Starting wc test.");
    let job = Job::new("wc");
    let correct = job.sequential("wc");
    let mut coordinator = job.coordinator(TIMEOUT);
    let mut workers: Vec<Proc> = (0..3).map(|_| job.worker("wc", TIMEOUT)).collect();
    coordinator.wait();
    let verdict = same_output("wc", &job.output(), &correct);
    for w in &mut workers {
        w.wait();
    }
    finish("wc", &job, verdict);
}

/// One worker in the background and one in the foreground: as soon as the foreground worker
/// exits, the output must be complete (a worker must not exit before the job is done).
#[test]
fn indexer() {
    announce("*** Starting indexer test.");
    let job = Job::new("indexer");
    let correct = job.sequential("indexer");
    let mut coordinator = job.coordinator(TIMEOUT);
    let mut background = job.worker("indexer", TIMEOUT);
    job.worker("indexer", TIMEOUT).wait();
    let verdict = same_output("indexer", &job.output(), &correct);
    background.wait();
    coordinator.wait();
    finish("indexer", &job, verdict);
}

/// Two workers (background, foreground) on `mtiming`: both must have run map tasks, and some
/// map must have seen both running at once.
#[test]
fn map_parallelism() {
    announce("*** Starting map parallelism test.");
    let job = Job::new("map_parallelism");
    let mut coordinator = job.coordinator(TIMEOUT);
    let mut background = job.worker("mtiming", TIMEOUT);
    job.worker("mtiming", TIMEOUT).wait();
    let output = job.output();
    let workers = output.iter().filter(|l| l.starts_with("times-")).count();
    let parallel = output.iter().any(|l| {
        l.strip_prefix("parallel")
            .is_some_and(|rest| rest.contains(" 2"))
    });
    let verdict = if workers != 2 {
        Err(format!("saw {workers} workers rather than 2"))
    } else if !parallel {
        Err("map workers did not run in parallel".to_string())
    } else {
        Ok(())
    };
    background.wait();
    coordinator.wait();
    finish("map parallelism", &job, verdict);
}

/// Two workers (background, foreground) on `rtiming`: at least two reduce tasks must have seen
/// both workers reducing at once.
#[test]
fn reduce_parallelism() {
    announce("*** Starting reduce parallelism test.");
    let job = Job::new("reduce_parallelism");
    let mut coordinator = job.coordinator(TIMEOUT);
    let mut background = job.worker("rtiming", TIMEOUT);
    job.worker("rtiming", TIMEOUT).wait();
    // `grep '^[a-z] 2'`
    let parallel = job
        .output()
        .iter()
        .filter(|l| matches!(l.as_bytes(), [b'a'..=b'z', b' ', b'2', ..]))
        .count();
    let verdict = if parallel < 2 {
        Err(format!(
            "too few parallel reduces ({parallel} reduce tasks saw 2 workers, need 2)"
        ))
    } else {
        Ok(())
    };
    background.wait();
    coordinator.wait();
    finish("reduce parallelism", &job, verdict);
}

/// Four workers on `jobcount`, two of them started after the job is done: every map task must
/// have run exactly once (a map takes 2-5 s, well under the 10 s reissue timeout), and the late
/// workers must exit promptly.
#[test]
fn job_count() {
    announce("*** Starting job count test.");
    let job = Job::new("job_count");
    let mut coordinator = job.coordinator(TIMEOUT);
    let mut first = job.worker("jobcount", TIMEOUT);
    job.worker("jobcount", TIMEOUT).wait();
    let mut third = job.worker("jobcount", TIMEOUT);
    job.worker("jobcount", TIMEOUT).wait();
    // `NT=$(cat mr-out* | awk '{print $2}')` must be exactly `8`.
    let counts: Vec<String> = job
        .files_starting_with("mr-out")
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let fields: Vec<String> = text
                .lines()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
                .collect();
            fields
        })
        .collect();
    let verdict = if counts == ["8"] {
        Ok(())
    } else {
        Err(format!(
            "map jobs ran incorrect number of times ({} != 8)",
            counts.join(" ")
        ))
    };
    first.wait();
    third.wait();
    coordinator.wait();
    finish("job count", &job, verdict);
}

/// The coordinator and 3 workers on `early_exit`, whose reduces for two keys take 3 s: when the
/// first process exits, the output must already be final.
#[test]
fn early_exit() {
    announce("*** Starting early exit test.");
    let job = Job::new("early_exit");
    let mut procs = vec![job.coordinator(TIMEOUT)];
    procs.extend((0..3).map(|_| job.worker("early_exit", TIMEOUT)));
    let first = wait_any(&mut procs);
    let initial = job.output();
    for p in &mut procs {
        p.wait();
    }
    let fin = job.output();
    let verdict = same_output("early exit", &initial, &fin)
        .map_err(|difference| {
            format!(
                "output changed after the first process ({}) exited: {difference}",
                procs[first].name
            )
        })
        // Beyond 6.5840, whose script passes a job that writes no output at all (nothing
        // changes after the first exit): the final output must also be right, one `<input> 1`
        // line per input file.
        .and_then(|()| {
            let mut correct: Vec<String> = job.inputs.iter().map(|f| format!("{f} 1")).collect();
            correct.sort();
            same_output("early exit", &fin, &correct)
        });
    finish("early exit", &job, verdict);
}

/// `crash` workers die or stall at random: one worker plus three loops restarting workers for as
/// long as the coordinator runs. The output must equal mrsequential's `nocrash` output.
#[test]
fn crash() {
    announce("*** Starting crash test.");
    let job = Job::new("crash");
    let correct = job.sequential("nocrash");
    let mut coordinator = job.coordinator(CRASH_TIMEOUT);
    let mut first = job.worker("crash", CRASH_TIMEOUT);
    let coordinator_done = AtomicBool::new(false);
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                while !coordinator_done.load(Ordering::SeqCst) && job.socket.exists() {
                    job.worker("crash", CRASH_TIMEOUT).wait();
                    thread::sleep(Duration::from_secs(1));
                }
            });
        }
        coordinator.wait();
        coordinator_done.store(true, Ordering::SeqCst);
    });
    first.wait();
    let verdict = same_output("crash", &job.output(), &correct);
    finish("crash", &job, verdict);
}
