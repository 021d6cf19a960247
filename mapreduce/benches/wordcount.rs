//! Word count over a generated corpus: mrsequential against a job with 1 and with 2 workers.
//!
//! `cargo bench -p mapreduce` (figures recorded in docs/PERFORMANCE.md). Each configuration
//! runs once: a run takes tens of seconds, far longer than timer noise, so repeated sampling
//! would only multiply the wait. `MR_BENCH_MIB` (default 256) sets the corpus size and
//! `MR_BENCH_FILES` (default 16) the number of input files, that is of map tasks.
//!
//! A job is timed from starting the coordinator until every worker has exited (workers exit as
//! soon as the coordinator says the job is done; the coordinator's final second of lingering is
//! not counted). Every job's sorted output is checked against mrsequential's.
//!
//! Besides wall time, each line gives the CPU time (user + system) of the processes, which other
//! load on the machine disturbs far less, and the load average is printed before and after: on
//! a machine shared with other work, compare the wall-time figures only when it stayed low.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let mib = env_number("MR_BENCH_MIB", 256);
    let files = env_number("MR_BENCH_FILES", 16);
    let dir = tempfile::Builder::new()
        .prefix("mr-bench-")
        .tempdir()
        .expect("cannot create a temporary directory");
    let started = Instant::now();
    let inputs = mapreduce::inputs::write_corpus(dir.path(), mib << 20, files)
        .expect("cannot write the corpus");
    let inputs: Vec<String> = inputs.iter().map(|name| format!("../{name}")).collect();
    let megabytes = (mib << 20) as f64 / 1e6;
    println!("wordcount: load average before: {}", load_average());
    println!(
        "wordcount: corpus of {mib} MiB ({megabytes:.0} MB) in {files} files, generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let run = |name: &str| {
        let cwd = dir.path().join(name);
        fs::create_dir(&cwd).unwrap();
        cwd
    };
    let cwd = run("sequential");
    let cpu = children_cpu();
    let started = Instant::now();
    let status = command("mrsequential", &cwd)
        .arg("wc")
        .args(&inputs)
        .status()
        .unwrap();
    let sequential = started.elapsed();
    assert!(status.success(), "mrsequential failed");
    let correct = sorted_output(&cwd);
    report(
        "mrsequential",
        megabytes,
        sequential,
        children_cpu() - cpu,
        sequential,
    );

    for workers in [1, 2] {
        let cwd = run(&format!("workers-{workers}"));
        let cpu = children_cpu();
        let elapsed = job(&cwd, &inputs, workers);
        let cpu = children_cpu() - cpu;
        assert!(
            sorted_output(&cwd) == correct,
            "the {workers}-worker job's output differs from mrsequential's"
        );
        report(
            &format!("{workers} worker{}", if workers > 1 { "s" } else { "" }),
            megabytes,
            elapsed,
            cpu,
            sequential,
        );
    }
    println!("wordcount: load average after: {}", load_average());
}

/// Runs a job with `workers` workers in `cwd` and returns how long it took.
fn job(cwd: &Path, inputs: &[String], workers: usize) -> Duration {
    let socket = cwd.join("mr.sock");
    let started = Instant::now();
    let mut coordinator = command("mrcoordinator", cwd)
        .args(inputs)
        .arg("--socket")
        .arg(&socket)
        .spawn()
        .unwrap();
    while !socket.exists() {
        assert!(
            coordinator.try_wait().unwrap().is_none(),
            "mrcoordinator exited early"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut running: Vec<Child> = (0..workers)
        .map(|_| {
            command("mrworker", cwd)
                .arg("wc")
                .arg("--socket")
                .arg(&socket)
                .spawn()
                .unwrap()
        })
        .collect();
    for worker in &mut running {
        assert!(worker.wait().unwrap().success(), "a worker failed");
    }
    let elapsed = started.elapsed();
    assert!(
        coordinator.wait().unwrap().success(),
        "mrcoordinator failed"
    );
    elapsed
}

fn report(what: &str, megabytes: f64, elapsed: Duration, cpu: Duration, sequential: Duration) {
    let seconds = elapsed.as_secs_f64();
    println!(
        "wordcount/{what:<13} {seconds:7.2} s  {:6.1} MB/s  speedup {:.2}x over mrsequential  \
         (CPU {:.1} s)",
        megabytes / seconds,
        sequential.as_secs_f64() / seconds,
        cpu.as_secs_f64()
    );
}

/// User plus system time of every child process waited for so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

fn command(program: &str, cwd: &Path) -> Command {
    let binary: PathBuf = match program {
        "mrcoordinator" => env!("CARGO_BIN_EXE_mrcoordinator"),
        "mrworker" => env!("CARGO_BIN_EXE_mrworker"),
        "mrsequential" => env!("CARGO_BIN_EXE_mrsequential"),
        other => unreachable!("no binary {other}"),
    }
    .into();
    let mut command = Command::new(binary);
    command.current_dir(cwd).stdin(Stdio::null());
    command
}

/// `sort mr-out* | grep .`
fn sorted_output(cwd: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in fs::read_dir(cwd).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("mr-out")
        {
            let text = fs::read_to_string(&path).unwrap();
            lines.extend(text.lines().filter(|l| !l.is_empty()).map(String::from));
        }
    }
    lines.sort();
    lines
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a whole number")),
        Err(_) => default,
    }
}
