//! `gradescope`: builds the autograder zip to upload to Gradescope: `setup.sh` and
//! `run_autograder` at its root and the student handout under `tree/`, graded by the same
//! `grade` command students run. One zip per assignment: `gradescope lab3` grades Lab 3 only.

use std::path::PathBuf;

use std::process::ExitCode;

use clap::Parser;
use tools::grade;
use tools::manifest::{Manifest, find_root};

#[derive(Parser)]
#[command(about = "Build the Gradescope autograder zip")]
struct Args {
    /// The labs the assignment grades, by id (lab3) or crate (raft); all when none is given.
    labs: Vec<String>,
    /// Where to write the zip.
    #[arg(long, default_value = "target/gradescope/autograder.zip")]
    out: PathBuf,
}

fn main() -> ExitCode {
    tools::cli::run("gradescope", body)
}

fn body() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let root = find_root()?;
    let manifest = Manifest::load(&root)?;
    let labs = manifest.select(&args.labs)?;
    let zip = grade::autograder_zip(&root, &manifest, &labs)?;
    let out = if args.out.is_absolute() {
        args.out
    } else {
        root.join(args.out)
    };
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, &zip)?;
    println!(
        "wrote {} ({} KiB): upload it as the autograder of a Gradescope programming assignment",
        out.display(),
        zip.len() / 1024
    );
    Ok(ExitCode::SUCCESS)
}
