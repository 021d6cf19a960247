//! Building a package's test binaries once and listing the tests they hold.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

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
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "test",
            "--release",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .args(["-p", package])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    if incremental {
        cmd.env("CARGO_INCREMENTAL", "1");
    }
    let out = cmd
        .output()
        .context("cannot run cargo (is it installed and on PATH?)")?;
    if !out.status.success() {
        return Err(BuildFailure {
            package: package.to_string(),
            output: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
        .into());
    }
    let mut cases = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
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
        cases.extend(list(package, Path::new(exe), &dir)?);
    }
    Ok(cases)
}

/// The tests of one binary, from `--list`.
fn list(package: &str, binary: &Path, dir: &Path) -> anyhow::Result<Vec<TestCase>> {
    let out = Command::new(binary)
        .args(["--list"])
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    if !out.status.success() {
        bail!("{} --list failed", binary.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
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
