//! mrinputs: writes the generated input texts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use mapreduce::inputs;

/// Writes deterministic input texts into DIR: by default the eight pg-*.txt files the tests use
/// (same names and sizes as the original's books); with --corpus-mb, a benchmark corpus of
/// corpus-NNN.txt files instead.
#[derive(Parser)]
#[command(name = "mrinputs")]
struct Args {
    /// The directory to write into (created if missing).
    dir: PathBuf,
    /// Write a corpus of this many MiB instead of the eight books.
    #[arg(long, value_name = "MIB")]
    corpus_mb: Option<usize>,
    /// How many files the corpus is split into (one map task each).
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..))]
    files: u32,
}

fn main() -> ExitCode {
    mapreduce::cli::exit("mrinputs", run())
}

fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let names = match args.corpus_mb {
        Some(mb) => inputs::write_corpus(&args.dir, mb << 20, args.files as usize)?,
        None => inputs::write_books(&args.dir)?,
    };
    for name in names {
        println!("{}", args.dir.join(name).display());
    }
    Ok(())
}
