//! Building a package's test binaries once and listing the tests they hold.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::process::{self, Limits};

/// One test function, located in its compiled test binary.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub package: String,
    pub binary: PathBuf,
    /// The name libtest knows it by: `part_3a::initial_election_3a`.
    pub full_name: String,
    /// The function name: `initial_election_3a`.
    pub short_name: String,
    /// The package directory, where `cargo test` would run it.
    pub dir: PathBuf,
}

/// The compiler's output when a package does not build.
#[derive(Debug)]
pub struct BuildFailure {
    pub package: String,
    pub output: String,
}

impl std::fmt::Display for BuildFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "package {} does not build:\n{}",
            self.package, self.output
        )
    }
}

impl std::error::Error for BuildFailure {}

/// How long a build may take when the caller does not say: a lab's first build takes a few
/// minutes on a busy machine; this much is not a build but a compiler stuck on a `const`.
pub const DEFAULT_BUILD_LIMIT: Duration = Duration::from_secs(20 * 60);

/// Compiler output kept from a failing build: its last diagnostics.
const KEPT_BUILD_OUTPUT: usize = 64 * 1024;
/// Standard output kept from a bounded command: far more than cargo's messages or a test list,
/// and a bound on what a binary flooding it can make the tools hold.
const KEPT_STDOUT: u64 = 64 << 20;

/// Builds `package`'s tests in release mode in the workspace at `root` (into `target_dir` if
/// given) and lists every test they contain. A compile error is a [`BuildFailure`].
///
/// `incremental` turns on rustc's incremental compilation, which release builds leave off: worth
/// it where one tree is rebuilt after small edits many times (the suite check, one bug after
/// another), where it cuts a rebuild from over a minute to seconds.
pub fn build_and_list(
    root: &Path,
    target_dir: Option<&Path>,
    package: &str,
    incremental: bool,
) -> anyhow::Result<Vec<TestCase>> {
    build_and_list_within(
        root,
        target_dir,
        package,
        incremental,
        DEFAULT_BUILD_LIMIT,
        &Limits::default(),
    )
}

/// [`build_and_list`], where a build still running after `limit` is stopped and is a
/// [`BuildFailure`] (a `const` evaluation can keep rustc busy forever), and the built binaries
/// list their tests under `limits`, as the tests will run: listing runs code the student compiled.
pub fn build_and_list_within(
    root: &Path,
    target_dir: Option<&Path>,
    package: &str,
    incremental: bool,
    limit: Duration,
    limits: &Limits,
) -> anyhow::Result<Vec<TestCase>> {
    let mut cmd = cargo_in(root, target_dir);
    cmd.args([
        "test",
        "--release",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ])
    .args(["-p", package]);
    if incremental {
        cmd.env("CARGO_INCREMENTAL", "1");
    }
    if limits.run_as.is_some() {
        // Another user runs what this builds: whatever the grader's umask, it must be able to
        // read and run it (and, the umask keeping group and others from writing, change nothing).
        // SAFETY: umask is async-signal-safe and cannot fail.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::umask(0o022);
                Ok(())
            });
        }
    }
    let CargoRun {
        status,
        stdout,
        stderr_tail: errors,
    } = run_within(cmd, limit).context("cannot run cargo (is it installed and on PATH?)")?;
    let Some(status) = status else {
        return Err(BuildFailure {
            package: package.to_string(),
            output: format!(
                "the build did not finish within its limit of {} s and was stopped (is a `const` \
                 evaluated forever?)\n{errors}",
                limit.as_secs()
            ),
        }
        .into());
    };
    if !status.success() {
        return Err(BuildFailure {
            package: package.to_string(),
            output: errors,
        }
        .into());
    }
    let mut cases = Vec::new();
    for line in stdout.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(exe), Some(manifest)) =
            (msg["executable"].as_str(), msg["manifest_path"].as_str())
        else {
            continue;
        };
        if msg["profile"]["test"] != true {
            continue;
        }
        let dir = Path::new(manifest).parent().unwrap_or(root).to_path_buf();
        cases.extend(list(package, Path::new(exe), &dir, limits)?);
    }
    Ok(cases)
}

/// A cargo command for the workspace at `root`, building into `target_dir` if given.
pub fn cargo_in(root: &Path, target_dir: Option<&Path>) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root);
    if let Some(dir) = target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    cmd
}

/// How a command run by [`run_within`] ended.
pub struct CargoRun {
    /// `None`: still running at its limit, and stopped.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    /// The last [`KEPT_BUILD_OUTPUT`] bytes of its standard error.
    pub stderr_tail: String,
}

/// Runs `cmd` (cargo, usually) to its end, or stops it and everything it started (a group of
/// its own, in the tools' session) once `limit` has passed: a `const` evaluated forever keeps
/// rustc busy for good.
pub fn run_within(cmd: Command, limit: Duration) -> std::io::Result<CargoRun> {
    run_bounded(cmd, limit, None)
}

/// [`run_within`]; with `confined`, the command runs as a test does (a session of its own under
/// those limits, and whatever it leaves behind killed after it), for code a student compiled.
fn run_bounded(
    mut cmd: Command,
    limit: Duration,
    confined: Option<&Limits>,
) -> std::io::Result<CargoRun> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match confined {
        None => {
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            cmd.spawn()?
        }
        Some(limits) => {
            process::confine(&mut cmd, limits);
            process::spawn(&mut cmd)?
        }
    };
    let stdout = child.stdout.take().expect("piped stdout");
    let stdout = std::thread::spawn(move || first_bytes(stdout, KEPT_STDOUT));
    let stderr = child.stderr.take().expect("piped stderr");
    let stderr = std::thread::spawn(move || last_bytes(stderr, KEPT_BUILD_OUTPUT));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() >= limit {
            // SAFETY: kill with a negative pid signals the command's process group.
            unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if confined.is_some() {
        process::end(child.id());
    }
    Ok(CargoRun {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr_tail: stderr.join().unwrap_or_default(),
    })
}

/// The first `keep` bytes of `pipe`'s contents (lossily decoded), read to its end.
fn first_bytes(mut pipe: impl Read, keep: u64) -> String {
    let mut kept = Vec::new();
    let _ = (&mut pipe).take(keep).read_to_end(&mut kept);
    let _ = std::io::copy(&mut pipe, &mut std::io::sink());
    String::from_utf8_lossy(&kept).into_owned()
}

/// The last `keep` bytes of `pipe`'s contents (lossily decoded), read to its end.
fn last_bytes(mut pipe: impl Read, keep: usize) -> String {
    let mut kept: Vec<u8> = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * keep {
                    kept.drain(..kept.len() - keep);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    let start = kept.len().saturating_sub(keep);
    String::from_utf8_lossy(&kept[start..]).into_owned()
}

/// How long listing a binary's tests may take: libtest answers at once; a binary that does not
/// is not a test binary the grader can use.
const LIST_LIMIT: Duration = Duration::from_secs(60);

/// The tests of one binary, from `--list`, run under `limits` as its tests will be.
fn list(
    package: &str,
    binary: &Path,
    dir: &Path,
    limits: &Limits,
) -> anyhow::Result<Vec<TestCase>> {
    let mut cmd = Command::new(binary);
    cmd.args(["--list"]).current_dir(dir);
    let out = run_bounded(cmd, LIST_LIMIT, Some(limits)).with_context(|| match &limits.run_as {
        None => format!("cannot run {}", binary.display()),
        Some(user) => format!(
            "cannot run {} as user {} (that user must be able to read the project and run its \
             test binaries)",
            binary.display(),
            user.name
        ),
    })?;
    match out.status {
        Some(status) if status.success() => {}
        Some(status) => bail!("{} --list failed ({status})", binary.display()),
        None => bail!(
            "{} --list did not finish within {} s",
            binary.display(),
            LIST_LIMIT.as_secs()
        ),
    }
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(|full| TestCase {
            package: package.to_string(),
            binary: binary.to_path_buf(),
            short_name: full.rsplit("::").next().unwrap_or(full).to_string(),
            full_name: full.to_string(),
            dir: dir.to_path_buf(),
        })
        .collect())
}

/// The test named `short` (its function name) among `cases`.
pub fn find<'a>(cases: &'a [TestCase], package: &str, short: &str) -> anyhow::Result<&'a TestCase> {
    let mut found = cases.iter().filter(|c| c.short_name == short);
    match (found.next(), found.next()) {
        (Some(case), None) => Ok(case),
        (None, _) => bail!("package {package} has no test named {short} (see labs.toml)"),
        (Some(a), Some(b)) => bail!(
            "package {package} has two tests named {short}: {} and {}",
            a.full_name,
            b.full_name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a process whose command line holds `marker` still runs.
    fn still_runs(marker: &str) -> bool {
        std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        })
    }

    #[test]
    fn a_confined_command_leaves_nothing_behind_and_its_output_is_bounded() {
        let marker = "confined-leftover-1618";
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            &format!("setsid sh -c 'sleep 1000; echo {marker}' & head -c 200000000 /dev/zero"),
        ]);
        let run = run_bounded(cmd, Duration::from_secs(30), Some(&Limits::default())).unwrap();
        assert!(run.status.is_some_and(|s| s.success()));
        assert_eq!(run.stdout.len() as u64, KEPT_STDOUT);
        assert!(!still_runs(marker), "a process of the run outlived it");
    }
}
