//! The lab manifest, `labs.toml` at the project root: each lab's crate, student files, parts,
//! graded tests and points. The grader, the handout generator, the stress runner and the suite
//! check all read it, so adding a lab is adding an entry.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail, ensure};
use serde::Deserialize;

pub const FILE_NAME: &str = "labs.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub handout: HandoutRules,
    #[serde(rename = "lab")]
    pub labs: Vec<Lab>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoutRules {
    /// Paths, relative to the root, that only instructors get.
    #[serde(default)]
    pub instructor_only: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    /// Short name used on command lines: `lab3`.
    pub id: String,
    /// Human name: `Raft`.
    pub name: String,
    /// The Cargo package holding the lab and its graded tests.
    #[serde(rename = "crate")]
    pub krate: String,
    pub doc: String,
    pub student_files: Vec<String>,
    /// Earlier labs whose student files this lab's code runs on (Lab 4 on the student's Raft):
    /// grading a submission takes theirs too.
    #[serde(default)]
    pub builds_on: Vec<String>,
    /// Grading runs per test (distinct seeds).
    #[serde(default = "default_runs")]
    pub runs: u32,
    /// Wall-clock limit of one run.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Whether its tests take `LAB_SEED` (simulated tests do; real-process tests do not).
    #[serde(default = "yes")]
    pub seeded: bool,
    /// Run its tests one at a time (tests that measure parallelism need the machine alone).
    #[serde(default)]
    pub exclusive: bool,
    #[serde(rename = "part")]
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// `3A`.
    pub id: String,
    pub points: f64,
    /// Exact test function names.
    pub tests: Vec<String>,
}

fn default_runs() -> u32 {
    3
}

fn default_timeout() -> u64 {
    120
}

fn yes() -> bool {
    true
}

impl Manifest {
    /// Reads and checks `labs.toml` in `root`.
    pub fn load(root: &Path) -> anyhow::Result<Manifest> {
        let path = root.join(FILE_NAME);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the lab manifest {}", path.display()))?;
        let manifest: Manifest =
            toml::from_str(&text).with_context(|| format!("{} is malformed", path.display()))?;
        manifest
            .validate(root)
            .with_context(|| format!("{} is inconsistent", path.display()))?;
        Ok(manifest)
    }

    fn validate(&self, root: &Path) -> anyhow::Result<()> {
        for path in &self.handout.instructor_only {
            project_path(root, path).context("[handout] instructor_only")?;
        }
        let mut seen_tests = std::collections::BTreeSet::new();
        for (i, lab) in self.labs.iter().enumerate() {
            ensure!(
                !self.labs[..i].iter().any(|l| l.id == lab.id),
                "lab id `{}` appears twice",
                lab.id
            );
            ensure!(lab.runs >= 1, "lab {}: runs must be at least 1", lab.id);
            ensure!(
                (1..=MAX_TIMEOUT_SECS).contains(&lab.timeout_secs),
                "lab {}: timeout_secs = {} must be between 1 and {MAX_TIMEOUT_SECS} (a day)",
                lab.id,
                lab.timeout_secs
            );
            project_path(root, &lab.doc).with_context(|| format!("lab {}: doc", lab.id))?;
            ensure!(!lab.parts.is_empty(), "lab {} has no parts", lab.id);
            for base in &lab.builds_on {
                ensure!(
                    self.labs[..i].iter().any(|l| l.id == *base),
                    "lab {} builds on `{base}`, which is not a lab listed before it",
                    lab.id
                );
            }
            for file in &lab.student_files {
                project_path(root, file)
                    .with_context(|| format!("lab {}: student file", lab.id))?;
                ensure!(
                    root.join(file).is_file(),
                    "lab {}: student file {file} does not exist",
                    lab.id
                );
            }
            for part in &lab.parts {
                ensure!(
                    !part.tests.is_empty(),
                    "lab {} part {} has no tests",
                    lab.id,
                    part.id
                );
                ensure!(
                    part.points.is_finite() && part.points >= 0.0,
                    "lab {} part {}: points = {} must be a finite number, 0 or more",
                    lab.id,
                    part.id,
                    part.points
                );
                for test in &part.tests {
                    if !seen_tests.insert((lab.krate.clone(), test.clone())) {
                        bail!("test {test} of crate {} is listed twice", lab.krate);
                    }
                }
            }
        }
        Ok(())
    }

    /// The labs named in `selection` (ids like `lab3`, or crate names like `raft`); all if empty.
    pub fn select(&self, selection: &[String]) -> anyhow::Result<Vec<&Lab>> {
        if selection.is_empty() {
            return Ok(self.labs.iter().collect());
        }
        selection
            .iter()
            .map(|want| {
                self.labs
                    .iter()
                    .find(|l| l.id == *want || l.krate == *want)
                    .with_context(|| {
                        let known: Vec<String> = self
                            .labs
                            .iter()
                            .map(|l| format!("{} ({})", l.id, l.krate))
                            .collect();
                        format!("no lab `{want}`; the labs are: {}", known.join(", "))
                    })
            })
            .collect()
    }

    /// The student files a submission for `lab` provides: its own, then those of the labs it
    /// builds on (and theirs, in turn).
    pub fn submission_files<'a>(&'a self, lab: &'a Lab) -> Vec<&'a str> {
        let mut files: Vec<&str> = lab.student_files.iter().map(String::as_str).collect();
        for base in &lab.builds_on {
            if let Some(base) = self.labs.iter().find(|l| l.id == *base) {
                for file in self.submission_files(base) {
                    if !files.contains(&file) {
                        files.push(file);
                    }
                }
            }
        }
        files
    }

    /// Whether `path` (relative to the root) is a student file of some lab.
    pub fn is_student_file(&self, path: &str) -> bool {
        self.labs
            .iter()
            .any(|l| l.student_files.iter().any(|f| f == path))
    }
}

impl Lab {
    /// Every graded test with its part and its share of the part's points.
    pub fn graded_tests(&self) -> impl Iterator<Item = (&Part, &str, f64)> {
        self.parts.iter().flat_map(|part| {
            let share = part.points / part.tests.len() as f64;
            part.tests.iter().map(move |t| (part, t.as_str(), share))
        })
    }

    pub fn points(&self) -> f64 {
        self.parts.iter().map(|p| p.points).sum()
    }
}

/// The longest `timeout_secs`: a day is far beyond any test, and far from overflowing a deadline.
const MAX_TIMEOUT_SECS: u64 = 86_400;

/// Checks that `path`, from the manifest, names a place inside the project at `root`: relative,
/// with no `..`, and not leading out through a symbolic link. The tools read, copy and replace
/// these paths, so one pointing elsewhere would have them touch files outside the project.
fn project_path(root: &Path, path: &str) -> anyhow::Result<()> {
    let relative = Path::new(path);
    let plain = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    ensure!(
        plain && !path.is_empty(),
        "`{path}` must be a path relative to the project root, without `..`"
    );
    if let (Ok(resolved), Ok(root)) = (root.join(relative).canonicalize(), root.canonicalize()) {
        ensure!(
            resolved.starts_with(&root),
            "`{path}` leads outside the project (to {}) through a symbolic link",
            resolved.display()
        );
    }
    Ok(())
}

/// The project root: the nearest directory at or above the current one holding `labs.toml`, or
/// else the workspace this tool was built from.
pub fn find_root() -> anyhow::Result<PathBuf> {
    let mut dir = std::env::current_dir()?;
    loop {
        if dir.join(FILE_NAME).is_file() {
            return Ok(dir);
        }
        if !dir.pop() {
            break;
        }
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if built_from.join(FILE_NAME).is_file() {
        return Ok(built_from.canonicalize()?);
    }
    bail!("cannot find {FILE_NAME}: run this from inside the course's project directory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_manifest_is_valid() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let m = Manifest::load(&root).unwrap();
        let raft = &m.select(&["raft".into()]).unwrap()[0];
        assert_eq!(raft.graded_tests().count(), 34);
        for lab in m.select(&[]).unwrap() {
            assert!(
                (lab.points() - 100.0).abs() < 1e-9,
                "{} is worth {}",
                lab.id,
                lab.points()
            );
        }
        assert!(m.is_student_file("raft/src/raft.rs"));
        let kvraft = &m.select(&["kvraft".into()]).unwrap()[0];
        let files = m.submission_files(kvraft);
        assert!(files.contains(&"kvraft/src/server.rs") && files.contains(&"raft/src/raft.rs"));
        assert!(!m.is_student_file("raft/src/lib.rs"));
        let err = m.select(&["lab9".into()]).unwrap_err().to_string();
        assert!(
            err.contains("no lab `lab9`") && err.contains("lab3 (raft)"),
            "{err}"
        );
    }

    #[test]
    fn a_lab_builds_only_on_earlier_labs() {
        let text = "[[lab]]\nid='a'\nname='A'\ncrate='a'\ndoc='d'\nstudent_files=[]\nbuilds_on=['b']\n\
                    [[lab.part]]\nid='1'\npoints=1\ntests=['t']\n";
        let m: Manifest = toml::from_str(text).unwrap();
        let err = m.validate(Path::new(".")).unwrap_err().to_string();
        assert!(err.contains("builds on `b`"), "{err}");
    }

    /// The validation error (or "valid") of a one-lab manifest of the real project with these
    /// values.
    fn validate_with(doc: &str, student_file: &str, extra: &str, points: &str) -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = format!(
            "[[lab]]\nid='a'\nname='A'\ncrate='kvsrv'\ndoc='{doc}'\n\
             student_files=['{student_file}']\n{extra}\n\
             [[lab.part]]\nid='1'\npoints={points}\ntests=['t']\n"
        );
        let m: Manifest = toml::from_str(&text).unwrap();
        match m.validate(&root) {
            Ok(()) => "valid".to_string(),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn points_timeouts_and_paths_must_be_sensible() {
        let (doc, file) = ("docs/lab2-kvsrv.md", "kvsrv/src/client.rs");
        assert_eq!(validate_with(doc, file, "", "1"), "valid");
        for points in ["inf", "nan", "-1"] {
            let e = validate_with(doc, file, "", points);
            assert!(
                e.contains("must be a finite number, 0 or more"),
                "{points}: {e}"
            );
        }
        let e = validate_with(doc, file, "timeout_secs = 0", "1");
        assert!(
            e.contains("timeout_secs = 0 must be between 1 and 86400"),
            "{e}"
        );
        let relative = "must be a path relative to the project root, without `..`";
        for path in ["/etc/passwd", "../x.rs", "kvsrv/../../x.rs", ""] {
            let e = validate_with(path, file, "", "1");
            assert!(
                e.starts_with("lab a: doc: ") && e.contains(relative),
                "{path}: {e}"
            );
            let e = validate_with(doc, path, "", "1");
            assert!(
                e.starts_with("lab a: student file: ") && e.contains(relative),
                "{path}: {e}"
            );
        }
    }

    #[test]
    fn a_path_leading_out_through_a_link_is_refused() {
        let project = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("x.rs"), "").unwrap();
        std::os::unix::fs::symlink(outside.path(), project.path().join("src")).unwrap();
        let e = project_path(project.path(), "src/x.rs").unwrap_err();
        assert!(e.to_string().contains("leads outside the project"), "{e}");
        std::fs::create_dir(project.path().join("lab")).unwrap();
        std::fs::write(project.path().join("lab/y.rs"), "").unwrap();
        project_path(project.path(), "lab/y.rs").unwrap();
    }

    #[test]
    fn unknown_fields_and_duplicates_are_errors() {
        let bad: Result<Manifest, _> = toml::from_str("[[lab]]\nid='x'\nfoo=1\n");
        assert!(bad.unwrap_err().to_string().contains("foo"));
    }
}
