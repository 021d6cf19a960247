//! `handout`: generates the student handout (solution regions replaced by their stubs,
//! instructor-only files left out) and checks that it builds; `--check` also verifies that every
//! graded test of every lab fails on it, which `make test` runs.
//!
//! The check compiles what students build (each lab's tests and the tools, in release mode) with
//! `cargo check`, which finds every compile error without generating code, in a fraction of a
//! build's time; it works in `copies/` of the project's target directory (`CARGO_TARGET_DIR` when
//! set) rather than the handout, which stays source only, ready to hand out, and shares the
//! dependencies with the handout check and the grader's copies (see `runner::CopiesClaim`).
//! `--check` builds and runs the graded tests for real.

use std::path::{Path, PathBuf};

use std::process::ExitCode;

use clap::Parser;
use tools::grade::{self, Options};
use tools::handout::{self, Changed};
use tools::manifest::{Manifest, find_root};

#[derive(Parser)]
#[command(about = "Generate the student handout from the reference solution")]
struct Args {
    /// Directory to write the handout to (created; an earlier handout there is updated). Files
    /// the handout did not write, and dot-folders such as .git, are never touched.
    #[arg(long, required_unless_present = "check")]
    out: Option<PathBuf>,
    /// Overwrite files in OUT that differ from what the handout last wrote there (a student's
    /// edits), or that it never wrote; without it such files stop the handout, named.
    #[arg(long)]
    force: bool,
    /// Do not check that the handout compiles after writing it.
    #[arg(long)]
    no_build: bool,
    /// Write the handout under target/handout-check, build it, and fail unless every graded test
    /// of every lab fails on it (no solution leaks into the handout).
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    tools::cli::run("handout", body)
}

fn body() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let root = find_root()?;
    let manifest = Manifest::load(&root)?;
    if args.check {
        check(&root, &manifest)?;
        return Ok(ExitCode::SUCCESS);
    }
    let out = args.out.expect("clap requires --out without --check");
    let changed = if args.force {
        Changed::Overwrite
    } else {
        Changed::Refuse
    };
    let generated = handout::generate_into(&root, &manifest, &out, changed)?;
    let updated = &generated.updated;
    println!(
        "wrote the handout to {} ({} files, {} with solution regions stubbed; {} written, {} \
         unchanged, {} deleted as no longer part of it)",
        out.display(),
        generated.files,
        generated.stubbed.len(),
        updated.written,
        updated.unchanged,
        updated.deleted.len()
    );
    if !updated.overwritten.is_empty() {
        println!("--force: overwrote {}", updated.overwritten.join(", "));
    }
    if !updated.kept.is_empty() {
        println!(
            "kept (no longer part of the handout, but changed since it was written): {}",
            updated.kept.join(", ")
        );
    }
    if !args.no_build {
        build_as_students_do(&root, &manifest, &out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Compiles what students build, each lab's tests and the tools, in release mode as they do, in
/// `copies/` of the project's target directory.
fn build_as_students_do(root: &Path, manifest: &Manifest, handout: &Path) -> anyhow::Result<()> {
    let claim = tools::runner::CopiesClaim::new(root, handout)?;
    let target = claim.dir();
    let cargo = std::env::var("CARGO").unwrap_or("cargo".into());
    let labs = manifest
        .labs
        .iter()
        .flat_map(|lab| ["-p", lab.krate.as_str()]);
    let builds: [Vec<&str>; 2] = [
        ["check", "--release", "--tests"]
            .into_iter()
            .chain(labs)
            .collect(),
        vec!["check", "--release", "-p", "tools", "--bins"],
    ];
    for args in builds {
        println!(
            "checking: cargo {} (in {})",
            args.join(" "),
            target.display()
        );
        let status = std::process::Command::new(&cargo)
            .args(&args)
            .current_dir(handout)
            .env("CARGO_TARGET_DIR", target)
            .status()?;
        anyhow::ensure!(
            status.success(),
            "the handout does not compile (see the errors above)"
        );
    }
    println!("the handout compiles");
    Ok(())
}

fn check(root: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let tree = root.join("target/handout-check");
    let generated = handout::generate(root, manifest, &tree)?;
    eprintln!(
        "handout check: {} files, {} stubbed, in {}",
        generated.files,
        generated.stubbed.len(),
        tree.display()
    );
    let labs: Vec<_> = manifest.labs.iter().collect();
    let claim = tools::runner::CopiesClaim::new(root, &tree)?;
    let options = Options {
        runs: Some(1),
        jobs: tools::cli::default_jobs(),
        base_seed: rand::random(),
        target_dir: Some(claim.dir().to_path_buf()),
        limits: tools::runner::Limits::default(),
        build_limit: tools::runner::DEFAULT_BUILD_LIMIT,
    };
    let results = grade::grade(&tree, &labs, &options)?;
    if let Some(broken) = results.iter().find_map(|r| r.build_error.as_ref()) {
        anyhow::bail!("the handout does not build:\n{broken}");
    }
    let leaks: Vec<String> = results
        .iter()
        .filter(|r| r.passed())
        .map(|r| format!("{} {} {}", r.package, r.part, r.name))
        .collect();
    anyhow::ensure!(
        leaks.is_empty(),
        "these graded tests pass on the handout, so the reference solution leaks into it or the \
         test checks nothing: {}",
        leaks.join(", ")
    );
    println!(
        "handout check: the handout builds and all {} graded tests fail on it",
        results.len()
    );
    Ok(())
}
