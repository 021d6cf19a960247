//! The Makefile students find in their handout, built from the lab manifest: only the commands a
//! student runs (no CI, handout, suite-check or Gradescope targets, which need the instructor's
//! tree), and plain `make` lists them instead of starting a long grading run.

use super::Files;
use crate::manifest::{Lab, Manifest};

/// `cargo test` stops at the first failing test binary without this, so a lab with several
/// (Lab 2's memory tests are their own binary) would hide the later ones' results.
pub const TEST_FLAGS: &str = "--release --no-fail-fast";

/// A make target running some of a lab's tests.
struct Target {
    name: String,
    filter: Option<String>,
    krate: String,
    says: String,
    /// For a whole lab: which of its test files are graded and which are not, said before its
    /// tests run and again if one fails.
    files: Option<TestFiles>,
}

/// A lab's test targets (`kvraft/tests/graded`, `kvraft/tests/bad_input.rs`), graded or not.
struct TestFiles {
    graded: Vec<String>,
    others: Vec<String>,
}

impl TestFiles {
    /// The test targets of `lab` among the handout's `files`: a file `<crate>/tests/<name>.rs` or
    /// a directory `<crate>/tests/<name>/` with a `main.rs`; graded if it defines a graded test.
    fn of(lab: &Lab, files: &Files) -> TestFiles {
        let dir = lab
            .student_files
            .first()
            .and_then(|f| f.split('/').next())
            .unwrap_or(&lab.krate);
        let tests_dir = format!("{dir}/tests/");
        let mut targets: Vec<String> = Vec::new();
        for path in files.keys() {
            let Some(rest) = path.strip_prefix(&tests_dir) else {
                continue;
            };
            let target = match rest.split_once('/') {
                Some((sub, "main.rs")) => format!("{tests_dir}{sub}"),
                None if rest.ends_with(".rs") => path.clone(),
                _ => continue,
            };
            targets.push(target);
        }
        let defines_graded = |target: &String| {
            files
                .iter()
                .filter(|(path, _)| *path == target || path.starts_with(&format!("{target}/")))
                .any(|(_, text)| {
                    let text = String::from_utf8_lossy(text);
                    lab.graded_tests()
                        .any(|(_, test, _)| text.contains(&format!("fn {test}(")))
                })
        };
        let (graded, others) = targets.into_iter().partition(defines_graded);
        TestFiles { graded, others }
    }

    /// Printed before the lab's tests run.
    fn before(&self) -> String {
        let mut text = format!("graded: {}", self.graded.join(", "));
        if !self.others.is_empty() {
            text += &format!(
                "; also run, not graded (a correct solution passes them): {}",
                self.others.join(", ")
            );
        }
        text
    }

    /// Printed when some test failed.
    fn after_failure(&self) -> String {
        let mut text = format!(
            "a test failed. Graded (make grade scores them): {}",
            self.graded.join(", ")
        );
        if !self.others.is_empty() {
            text += &format!("; not graded: {}", self.others.join(", "));
        }
        text
    }
}

fn targets(manifest: &Manifest, files: &Files) -> Vec<Target> {
    let mut targets = Vec::new();
    for lab in &manifest.labs {
        targets.push(Target {
            name: lab.id.clone(),
            filter: None,
            krate: lab.krate.clone(),
            says: format!("{} {}: all its tests", lab.id, lab.name),
            files: Some(TestFiles::of(lab, files)),
        });
        if lab.parts.len() > 1 {
            for part in &lab.parts {
                let filter = part.id.to_lowercase();
                targets.push(Target {
                    name: format!("{}-{filter}", lab.krate),
                    says: format!("part {} only", part.id),
                    filter: Some(filter),
                    krate: lab.krate.clone(),
                    files: None,
                });
            }
        }
    }
    targets
}

/// The Makefile of a handout holding `files` (its other files: the test targets it runs).
pub fn student_makefile(manifest: &Manifest, files: &Files) -> String {
    let targets = targets(manifest, files);
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    let mut help = vec![
        "make grade [LABS=\"lab2 lab3\"]       grade your work as the course will".to_string(),
        "make stress LAB=<lab> TESTS=<pattern> [N=<seeds>]   many seeds in parallel; logs of failures kept".to_string(),
    ];
    help.extend(
        targets
            .iter()
            .map(|t| format!("make {:<28} {}", t.name, t.says)),
    );
    let mut s = format!(
        "# Your commands (see README.md). `make` alone lists them.\n\
         CARGO ?= cargo\n\
         TOOL = $(CARGO) run -q -p tools --release --bin\n\n\
         .PHONY: help grade stress {}\n\n\
         help:\n",
        names.join(" ")
    );
    for line in help {
        s += &format!("\t@echo '{line}'\n");
    }
    s += "\n## Grade your work as the course will: each graded test on several seeds, a score table.\n\
          grade:\n\
          \t$(TOOL) grade -- $(LABS) $(if $(RUNS),--runs $(RUNS))\n\n\
          ## Many seeds of some tests: make stress LAB=lab3 TESTS=3c N=500 [J=2] [KEEP=<logs per test>] [LOG_CAP=<MiB per log>].\n\
          stress:\n\
          \t@test -n \"$(LAB)\" || { echo \"usage: make stress LAB=<lab> [TESTS=<pattern>] [N=<seeds>] [J=<jobs>] [KEEP=<logs per test>] [LOG_CAP=<MiB>]\"; exit 2; }\n\
          \t$(TOOL) stress -- $(LAB) $(TESTS) -n $(or $(N),100) $(if $(J),-j $(J)) $(if $(KEEP),--keep $(KEEP)) $(if $(LOG_CAP),--log-cap $(LOG_CAP))\n";
    for t in &targets {
        let filter = t
            .filter
            .as_deref()
            .map_or(String::new(), |f| format!(" {f}"));
        let command = format!("$(CARGO) test -p {} {TEST_FLAGS}{filter}", t.krate);
        s += &match &t.files {
            // Quoted for the shell: the paths hold no quote.
            Some(files) => format!(
                "\n{}:\n\t@echo '== {}: {}'\n\t@{command} || {{ echo '== {}: {}'; exit 1; }}\n",
                t.name,
                t.name,
                files.before(),
                t.name,
                files.after_failure()
            ),
            None => format!("\n{}:\n\t{command}\n", t.name),
        };
    }
    s
}
