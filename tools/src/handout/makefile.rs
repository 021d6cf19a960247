//! The Makefile students find in their handout, built from the lab manifest: only the commands a
//! student runs (no CI, handout, suite-check or Gradescope targets, which need the instructor's
//! tree), and plain `make` lists them instead of starting a long grading run.

use crate::manifest::Manifest;

/// `cargo test` stops at the first failing test binary without this, so a lab with several
/// (Lab 2's memory tests are their own binary) would hide the later ones' results.
pub const TEST_FLAGS: &str = "--release --no-fail-fast";

/// A make target running some of a lab's tests.
struct Target {
    name: String,
    filter: Option<String>,
    krate: String,
    says: String,
}

fn targets(manifest: &Manifest) -> Vec<Target> {
    let mut targets = Vec::new();
    for lab in &manifest.labs {
        targets.push(Target {
            name: lab.id.clone(),
            filter: None,
            krate: lab.krate.clone(),
            says: format!("{} {}: all its tests", lab.id, lab.name),
        });
        if lab.parts.len() > 1 {
            for part in &lab.parts {
                let filter = part.id.to_lowercase();
                targets.push(Target {
                    name: format!("{}-{filter}", lab.krate),
                    says: format!("part {} only", part.id),
                    filter: Some(filter),
                    krate: lab.krate.clone(),
                });
            }
        }
    }
    targets
}

pub fn student_makefile(manifest: &Manifest) -> String {
    let targets = targets(manifest);
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
          ## Many seeds of some tests: make stress LAB=lab3 TESTS=3c N=500 [J=2].\n\
          stress:\n\
          \t@test -n \"$(LAB)\" || { echo \"usage: make stress LAB=<lab> [TESTS=<pattern>] [N=<seeds>] [J=<jobs>]\"; exit 2; }\n\
          \t$(TOOL) stress -- $(LAB) $(TESTS) -n $(or $(N),100) $(if $(J),-j $(J))\n";
    for t in &targets {
        let filter = t
            .filter
            .as_deref()
            .map_or(String::new(), |f| format!(" {f}"));
        s += &format!(
            "\n{}:\n\t$(CARGO) test -p {} {TEST_FLAGS}{filter}\n",
            t.name, t.krate
        );
    }
    s
}
